"""Demo telemetry for the viewer: publishes a robot's pose (JSON, 10 Hz) and battery level (text,
1 Hz) on NATS, standard library only, reconnecting with a backoff when the server goes away.

  SDR_NATS_URL=nats://127.0.0.1:4222 python3 telemetry_demo.py [--robot sim1] [--count N]
"""

import argparse
import json
import math
import os
import socket
import sys
import time
from urllib.parse import urlparse


def connect(url: str) -> socket.socket:
    parsed = urlparse(url)
    sock = socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 4222), timeout=5)
    info = sock.recv(4096)
    if not info.startswith(b"INFO "):
        raise ConnectionError("not a NATS server: %r" % info[:40])
    sock.sendall(b'CONNECT {"verbose":false,"pedantic":false,"name":"sdr-telemetry-demo"}\r\nPING\r\n')
    return sock


def publish(sock: socket.socket, subject: str, payload: bytes) -> None:
    sock.sendall(b"PUB %s %d\r\n%s\r\n" % (subject.encode(), len(payload), payload))


def run(url: str, robot: str, count: int) -> int:
    delay = 0.5
    sent = 0
    while count == 0 or sent < count:
        try:
            sock = connect(url)
        except OSError as e:
            print("cannot reach %s: %s; retrying in %.1f s" % (url, e, delay), file=sys.stderr, flush=True)
            time.sleep(delay)
            delay = min(delay * 2, 10.0)
            continue
        delay = 0.5
        print("publishing telemetry.%s.* to %s" % (robot, url), flush=True)
        try:
            while count == 0 or sent < count:
                t = time.time()
                pose = {"t": round(t, 3), "x": round(math.cos(t / 5) * 2, 3), "y": round(math.sin(t / 5) * 2, 3),
                        "yaw": round((t / 5) % (2 * math.pi), 3)}
                publish(sock, "telemetry.%s.pose" % robot, json.dumps(pose, separators=(",", ":")).encode())
                if sent % 10 == 0:
                    battery = 100 - (t / 60) % 100
                    publish(sock, "telemetry.%s.battery" % robot, ("%.1f %%" % battery).encode())
                sent += 1
                time.sleep(0.1)
        except OSError as e:
            print("connection lost: %s" % e, file=sys.stderr, flush=True)
        finally:
            sock.close()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("SDR_NATS_URL", "nats://nats:4222"))
    parser.add_argument("--robot", default="sim1")
    parser.add_argument("--count", type=int, default=0, help="pose messages to send (0 = forever)")
    args = parser.parse_args()
    return run(args.url, args.robot, args.count)


if __name__ == "__main__":
    sys.exit(main())
