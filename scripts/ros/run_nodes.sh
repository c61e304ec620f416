#!/usr/bin/env bash
# Starts rosbridge and any extra ROS 2 nodes in the ros-bridge container (compose profile "ros").
# Adapted from the SDR_OS seed plan's scripts/ros/run_nodes.sh.
#
#   ROS_ENABLE_ROSBRIDGE  1 (default) starts rosbridge_server's WebSocket on ROSBRIDGE_PORT (9090)
#   ROS_NODE_COMMANDS     extra commands, separated by ';', each started in the background
#
# When every process has exited (or none was configured) the container stays up for `docker exec`.
set -eo pipefail

# Source ROS setup
if ! source /opt/ros/jazzy/setup.bash 2>/dev/null; then
  echo "Warning: Failed to source ROS setup. Continuing anyway..." >&2
fi

ROS_ENABLE_ROSBRIDGE="${ROS_ENABLE_ROSBRIDGE:-1}"
ROS_NODE_COMMANDS="${ROS_NODE_COMMANDS:-}"
ROSBRIDGE_PORT="${ROSBRIDGE_PORT:-9090}"

pids=()

if [[ "${ROS_ENABLE_ROSBRIDGE}" == "1" ]]; then
  echo "Starting rosbridge_server on port ${ROSBRIDGE_PORT}..." >&2
  ros2 launch rosbridge_server rosbridge_websocket_launch.xml "port:=${ROSBRIDGE_PORT}" &
  pids+=("$!")
fi

if [[ -n "${ROS_NODE_COMMANDS}" ]]; then
  IFS=';' read -r -a commands <<< "${ROS_NODE_COMMANDS}"
  for cmd in "${commands[@]}"; do
    cmd_trimmed="${cmd#"${cmd%%[![:space:]]*}"}"
    cmd_trimmed="${cmd_trimmed%"${cmd_trimmed##*[![:space:]]}"}"
    if [[ -n "${cmd_trimmed}" ]]; then
      bash -lc "${cmd_trimmed}" &
      pids+=("$!")
    fi
  done
fi

if [[ ${#pids[@]} -eq 0 ]]; then
  echo "No ROS processes configured. Set ROS_NODE_COMMANDS or enable rosbridge." >&2
  echo "Container will stay alive. Use 'docker exec' to get a shell." >&2
else
  echo "Started ${#pids[@]} background process(es). Waiting..." >&2
  wait -n || true
  echo "One of the background processes exited. Container will stay alive." >&2
fi
# exec: the keep-alive process takes this PID, so stopping it stops the script (compose runs it
# under an init, which forwards signals and reaps the children).
exec tail -f /dev/null
