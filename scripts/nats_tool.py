#!/usr/bin/env python3
"""Minimal NATS client (stdlib only, the plain text protocol) for manual checks.

  nats_tool.py pub SUBJECT PAYLOAD [--count N] [--interval-s S]   publish (PAYLOAD may contain {n})
  nats_tool.py sub SUBJECT [--count N]                             print messages as JSON lines

--url nats://HOST:PORT (default nats://127.0.0.1:4222). Subjects are sent as UTF-8 bytes.
"""
import argparse
import json
import socket
import sys
import time
from urllib.parse import urlparse


def connect(url):
    u = urlparse(url)
    sock = socket.create_connection((u.hostname or "127.0.0.1", u.port or 4222), timeout=10)
    f = sock.makefile("rb")
    info = f.readline()
    if not info.startswith(b"INFO "):
        raise SystemExit(f"not a NATS server: {info!r}")
    sock.sendall(b'CONNECT {"verbose":false,"pedantic":false,"name":"nats_tool.py"}\r\n')
    return sock, f


def pub(args):
    sock, f = connect(args.url)
    for n in range(args.count):
        payload = args.payload.replace("{n}", str(n)).encode()
        sock.sendall(b"PUB " + args.subject.encode() + b" %d\r\n" % len(payload) + payload + b"\r\n")
        if args.interval_s and n + 1 < args.count:
            time.sleep(args.interval_s)
    sock.sendall(b"PING\r\n")
    while (line := f.readline()) and not line.startswith(b"PONG"):
        if line.startswith(b"-ERR"):
            raise SystemExit(line.decode().strip())
    print(json.dumps({"published": args.count, "subject": args.subject}), flush=True)


def sub(args):
    sock, f = connect(args.url)
    sock.settimeout(None)
    sock.sendall(b"SUB " + args.subject.encode() + b" 1\r\nPING\r\n")
    received = 0
    while received < args.count:
        line = f.readline()
        if not line:
            return 1
        if line.startswith(b"PING"):
            sock.sendall(b"PONG\r\n")
        elif line.startswith(b"MSG "):
            parts = line.split()
            subject, size = parts[1], int(parts[-1])
            payload = f.read(size + 2)[:size]
            print(json.dumps({"subject": subject.decode(errors="replace"), "payload": payload.decode(errors="replace"),
                              "t": round(time.time(), 3)}, ensure_ascii=False), flush=True)
            received += 1
        elif line.startswith(b"-ERR"):
            raise SystemExit(line.decode().strip())
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="nats://127.0.0.1:4222")
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("pub")
    p.add_argument("subject")
    p.add_argument("payload")
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--interval-s", type=float, default=0)
    s = commands.add_parser("sub")
    s.add_argument("subject")
    s.add_argument("--count", type=int, default=1 << 62)
    args = parser.parse_args()
    return pub(args) if args.command == "pub" else sub(args)


if __name__ == "__main__":
    sys.exit(main())
