#!/usr/bin/env bash
# Installs the Debian packages the tests and demo need, only when the command is missing.
# Usage: scripts/ensure-tools.sh COMMAND[:PACKAGE] ...
set -euo pipefail
missing=()
for spec in "$@"; do
  cmd="${spec%%:*}"
  pkg="${spec#*:}"
  # Debian puts daemons such as nats-server in /usr/sbin, which is not on every user's PATH.
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "installing missing packages: ${missing[*]}" >&2
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -q
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
