#!/usr/bin/env python3
"""Minimal WebSocket client (stdlib only) for manual checks: connects to /stream/ws, reads N
messages and prints one line per message (type, frame_seq, size, keyframe, codec, CRC check)."""
import argparse
import base64
import json
import os
import socket
import struct
import sys
import time
import zlib
from urllib.parse import urlparse


def connect(url, timeout):
    u = urlparse(url)
    sock = socket.create_connection((u.hostname, u.port or 80), timeout=timeout)
    key = base64.b64encode(os.urandom(16)).decode()
    path = u.path + ("?" + u.query if u.query else "")
    sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    response = b""
    while b"\r\n\r\n" not in response:
        chunk = sock.recv(4096)
        if not chunk:
            raise SystemExit("connection closed during handshake")
        response += chunk
    head, rest = response.split(b"\r\n\r\n", 1)
    status = head.split(b"\r\n")[0].decode()
    if " 101 " not in status + " ":
        raise SystemExit(f"handshake refused: {status}")
    return sock, rest


def read_exact(sock, buf, n):
    while len(buf) < n:
        chunk = sock.recv(max(65536, n - len(buf)))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf[:n], buf[n:]


def messages(sock, buf):
    while True:
        head, buf = read_exact(sock, buf, 2)
        opcode = head[0] & 0x0F
        length = head[1] & 0x7F
        if length == 126:
            ext, buf = read_exact(sock, buf, 2)
            length = struct.unpack(">H", ext)[0]
        elif length == 127:
            ext, buf = read_exact(sock, buf, 8)
            length = struct.unpack(">Q", ext)[0]
        payload, buf = read_exact(sock, buf, length)
        yield opcode, payload


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url", nargs="?", default="ws://127.0.0.1:8080/stream/ws")
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--timeout-s", type=float, default=10)
    args = parser.parse_args()
    sock, buf = connect(args.url, args.timeout_s)
    received = 0
    for opcode, payload in messages(sock, buf):
        if opcode == 8:
            code = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else None
            print(json.dumps({"close": code, "reason": payload[2:].decode(errors="replace")}))
            return 1
        if opcode != 2 or not payload:
            continue
        if payload[0] == 0x01:
            frame_id, seq, size, flags, codec, crc, _ = struct.unpack_from("<QQIHHiI", payload, 1)
            body = payload[33:]
            print(json.dumps({"type": "video", "frame_seq": seq, "frame_id": frame_id, "size": size,
                              "keyframe": bool(flags & 1), "codec": codec,
                              "crc_ok": (zlib.crc32(body) & 0xFFFFFFFF) == (crc & 0xFFFFFFFF) and len(body) == size,
                              "t": round(time.time(), 3)}))
        else:
            print(json.dumps({"type": payload[0], "bytes": len(payload)}))
        received += 1
        if received >= args.count:
            return 0


if __name__ == "__main__":
    sys.exit(main())
