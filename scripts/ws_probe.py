#!/usr/bin/env python3
"""Minimal WebSocket client (stdlib only) for manual checks: connects to /stream/ws, reads N
messages and prints one line per message (type, frame_seq, size, keyframe, codec, CRC check; for
telemetry the subject and payload). --subscribe sends {"subscribe": [...]} first; --telemetry-only
skips video messages."""
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


def send_text(sock, text):
    """One masked text frame (clients must mask)."""
    data = text.encode()
    mask = os.urandom(4)
    if len(data) < 126:
        head = struct.pack(">BB", 0x81, 0x80 | len(data))
    elif len(data) < 65536:
        head = struct.pack(">BBH", 0x81, 0x80 | 126, len(data))
    else:
        head = struct.pack(">BBQ", 0x81, 0x80 | 127, len(data))
    sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))


def telemetry(payload):
    """[0x02][u16 LE subject length][subject UTF-8][payload] as a dict."""
    n = struct.unpack_from("<H", payload, 1)[0]
    body = payload[3 + n:]
    try:
        text = body.decode()
        shown = {"payload": text} if text.isprintable() else {"payload_hex": body.hex()}
    except UnicodeDecodeError:
        shown = {"payload_hex": body.hex()}
    return {"type": 2, "bytes": len(payload), "subject": payload[3:3 + n].decode(errors="replace"), **shown,
            "t": round(time.time(), 3)}


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
    parser.add_argument("--subscribe", action="append", metavar="SUBJECT",
                        help="telemetry subject pattern (NATS wildcards); repeat for several")
    parser.add_argument("--telemetry-only", action="store_true", help="skip (and do not count) all but telemetry messages")
    args = parser.parse_args()
    sock, buf = connect(args.url, args.timeout_s)
    if args.subscribe:
        send_text(sock, json.dumps({"subscribe": args.subscribe}))
    received = 0
    for opcode, payload in messages(sock, buf):
        if opcode == 8:
            code = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else None
            print(json.dumps({"close": code, "reason": payload[2:].decode(errors="replace")}))
            return 1
        if opcode != 2 or not payload:
            continue
        if args.telemetry_only and payload[0] != 0x02:
            continue
        if payload[0] == 0x01:
            frame_id, seq, size, flags, codec, crc, _ = struct.unpack_from("<QQIHHiI", payload, 1)
            body = payload[33:]
            print(json.dumps({"type": "video", "frame_seq": seq, "frame_id": frame_id, "size": size,
                              "keyframe": bool(flags & 1), "codec": codec,
                              "crc_ok": (zlib.crc32(body) & 0xFFFFFFFF) == (crc & 0xFFFFFFFF) and len(body) == size,
                              "t": round(time.time(), 3)}))
        elif payload[0] == 0x02 and len(payload) >= 3:
            print(json.dumps(telemetry(payload), ensure_ascii=False))
        else:
            print(json.dumps({"type": payload[0], "bytes": len(payload)}))
        received += 1
        if received >= args.count:
            return 0


if __name__ == "__main__":
    sys.exit(main())
