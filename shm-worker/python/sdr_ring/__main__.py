"""Command line: python3 -m sdr_ring {write,read,dump} ...

  write --layout v1|v2 --path P [--buf-size N] [--slot-count N --slot-size N]
        [--frames N] [--fps F] [--size N] [--size-jitter N] [--gop N] [--codec 1|2]
  read  --layout v1|v2|auto --path P --count N [--timeout-s T] [--no-crc]
  dump  --path P
  write-raw --path P --width W --height H [--format rgb24|bgr24|rgba|bgra|i420|nv12|gray8]
            [--frames N] [--fps F] [--slot-count N]
"""

import argparse
import hashlib
import json
import os
import signal
import struct
import sys
import time

from . import detect_layout, pattern, raw
from .protocol import (
    HEADER_SIZE,
    META_SIZE,
    SLOT_COMMIT_NS_OFFSET,
    SLOT_FRAME_HEADER_OFFSET,
    SLOT_HEADER_SIZE,
    SUPERBLOCK_SIZE,
    FrameHeader,
    check_geometry,
)
from .v1 import ShmReader, ShmWriter
from .v2 import DEFAULT_SLOT_COUNT, DEFAULT_SLOT_SIZE, RingReader, RingWriter, read_superblock

EXIT_TIMEOUT = 3


def _frame_size(args, frame_seq: int) -> int:
    return args.size + (frame_seq * 7919) % (args.size_jitter + 1)


def cmd_write(args) -> int:
    if args.size < 0 or args.size_jitter < 0 or args.frames < 0 or args.fps < 0:
        print("error: --size, --size-jitter, --frames and --fps must be >= 0", file=sys.stderr)
        return 2
    largest = args.size + args.size_jitter
    try:
        if args.layout == "v1":
            writer = ShmWriter(args.path, args.buf_size)
        else:
            slot_size = args.slot_size
            if slot_size is None:
                slot_size = max(DEFAULT_SLOT_SIZE, -(-(largest + SLOT_HEADER_SIZE) // 64) * 64)
            writer = RingWriter(args.path, args.slot_count, slot_size)
    except ValueError as e:
        print("error: %s" % e, file=sys.stderr)
        return 2
    if largest > writer.max_payload:
        writer.close()
        print("error: payload does not fit: size+size_jitter=%d max_payload=%d"
              % (largest, writer.max_payload), file=sys.stderr)
        return 2

    stop = []

    def on_signal(signum, _frame):
        stop.append(signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    print("ready path=%s layout=%s" % (args.path, args.layout), flush=True)
    written = 0
    interval = 1.0 / args.fps if args.fps > 0 else 0.0
    next_at = time.monotonic()
    try:
        while not stop and (args.frames == 0 or written < args.frames):
            seq = writer.next_seq
            keyframe = seq == 1 or (args.gop > 0 and (seq - 1) % args.gop == 0)
            writer.write_frame(pattern.payload_for(seq, _frame_size(args, seq)),
                               codec=args.codec, keyframe=keyframe)
            written += 1
            if interval:
                next_at += interval
                while not stop:
                    delay = next_at - time.monotonic()
                    if delay <= 0:
                        break
                    time.sleep(min(delay, 0.05))
    finally:
        writer.close()
    print("done frames=%d" % written, flush=True)
    return 0


def _pace(stop, next_at: float) -> None:
    while not stop:
        delay = next_at - time.monotonic()
        if delay <= 0:
            return
        time.sleep(min(delay, 0.05))


def cmd_write_raw(args) -> int:
    """Raw pictures of a moving test image into a v2 ring (docs/RING-RAW.md)."""
    if args.frames < 0 or args.fps < 0:
        print("error: --frames and --fps must be >= 0", file=sys.stderr)
        return 2
    try:
        image = raw.MovingImage(args.width, args.height, args.format)
        writer = RingWriter(args.path, args.slot_count, raw.slot_size_for(args.width, args.height, args.format))
    except ValueError as e:
        print("error: %s" % e, file=sys.stderr)
        return 2
    stop = []

    def on_signal(signum, _frame):
        stop.append(signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print("ready path=%s format=%s size=%dx%d" % (args.path, args.format, args.width, args.height), flush=True)
    written = 0
    interval = 1.0 / args.fps if args.fps > 0 else 0.0
    next_at = time.monotonic()
    try:
        while not stop and (args.frames == 0 or written < args.frames):
            writer.write_raw(image.frame(writer.next_seq), args.width, args.height, args.format)
            written += 1
            if interval:
                next_at += interval
                _pace(stop, next_at)
    finally:
        writer.close()
    print("done frames=%d" % written, flush=True)
    return 0


def _frame_json(header: FrameHeader, payload, commit_ns=None) -> str:
    obj = header.to_dict()
    if commit_ns is not None:
        obj["commit_ns"] = commit_ns
    obj["sha256"] = hashlib.sha256(payload).hexdigest()
    obj["pattern_ok"] = pattern.check(header.frame_seq, payload)
    return json.dumps(obj, separators=(",", ":"))


def cmd_read(args) -> int:
    deadline = time.monotonic() + args.timeout_s
    layout = args.layout
    while layout == "auto":
        layout = detect_layout(args.path) or "auto"
        if layout == "auto":
            if time.monotonic() >= deadline:
                print(json.dumps({"layout": None, "delivered": 0, "timeout": True,
                                  "counters": {}}), file=sys.stderr)
                return EXIT_TIMEOUT
            time.sleep(0.005)
    crc = not args.no_crc
    if layout == "v2":
        reader = RingReader(args.path, crc_check=crc)

        def poll():
            got = reader.read_frame()
            return None if got is None else _frame_json(*got)
    else:
        reader = ShmReader(args.path, crc_check=crc)

        def poll():
            header, payload = reader.read_frame()
            return None if header is None else _frame_json(header, payload)

    delivered = 0
    timed_out = False
    out = sys.stdout
    try:
        while delivered < args.count:
            before = reader.counters["no_new"] + reader.counters["no_file"]
            line = poll()
            if line is not None:
                out.write(line + "\n")
                out.flush()
                delivered += 1
                continue
            if time.monotonic() >= deadline:
                timed_out = True
                break
            if reader.counters["no_new"] + reader.counters["no_file"] != before:
                time.sleep(0.0002)
    finally:
        reader.close()
    print(json.dumps({"layout": layout, "delivered": delivered, "timeout": timed_out,
                      "counters": reader.counters}), file=sys.stderr, flush=True)
    return EXIT_TIMEOUT if timed_out else 0


def cmd_dump(args) -> int:
    try:
        with open(args.path, "rb") as f:
            data = f.read()
    except OSError as e:
        print("error: %s" % e, file=sys.stderr)
        return 2
    out = {"path": args.path, "file_size": len(data), "layout": detect_layout(args.path)}
    if out["layout"] == "v2" and len(data) >= SUPERBLOCK_SIZE:
        sb = read_superblock(data)
        sb["magic"] = "0x%016X" % sb["magic"]
        out["superblock"] = sb
        problem = check_geometry(sb["slot_count"], sb["slot_size"])
        if problem:
            out["problem"] = problem
        else:
            slots = []
            for i in range(sb["slot_count"]):
                base = SUPERBLOCK_SIZE + i * sb["slot_size"]
                if base + SLOT_HEADER_SIZE > len(data):
                    out["problem"] = "file shorter than slot_count*slot_size"
                    break
                seq = struct.unpack_from("<Q", data, base)[0]
                slot = {"index": i, "seq": seq,
                        "commit_ns": struct.unpack_from("<Q", data, base + SLOT_COMMIT_NS_OFFSET)[0],
                        "header": FrameHeader.unpack_from(data, base + SLOT_FRAME_HEADER_OFFSET).to_dict()}
                slots.append(slot)
            out["slots"] = slots
    elif len(data) >= 16:
        seq, write_len = struct.unpack_from("<QQ", data, 0)
        out["seq"] = seq
        out["write_len"] = write_len
        if len(data) >= META_SIZE + HEADER_SIZE:
            out["header"] = FrameHeader.unpack_from(data, META_SIZE).to_dict()
    print(json.dumps(out, indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python3 -m sdr_ring", description="SDR shared-memory frame ring tool")
    sub = p.add_subparsers(dest="command")
    sub.required = True

    w = sub.add_parser("write", help="write pattern frames into a ring")
    w.add_argument("--layout", choices=("v1", "v2"), required=True)
    w.add_argument("--path", required=True)
    w.add_argument("--buf-size", type=int, default=4194304, help="v1 file size (default 4194304)")
    w.add_argument("--slot-count", type=int, default=DEFAULT_SLOT_COUNT, help="v2 (default 64)")
    w.add_argument("--slot-size", type=int, default=None,
                   help="v2 bytes per slot incl. 64-byte slot header (default max(262144, fit))")
    w.add_argument("--frames", type=int, default=0, help="0 = until SIGTERM/SIGINT")
    w.add_argument("--fps", type=float, default=0.0, help="0 = full speed")
    w.add_argument("--size", type=int, default=1024)
    w.add_argument("--size-jitter", type=int, default=0)
    w.add_argument("--gop", type=int, default=30, help="keyframe every N frames (frame 1 always)")
    w.add_argument("--codec", type=int, choices=(1, 2), default=1)
    w.set_defaults(func=cmd_write)

    r = sub.add_parser("read", help="read frames and print one JSON object per frame")
    r.add_argument("--layout", choices=("v1", "v2", "auto"), default="auto")
    r.add_argument("--path", required=True)
    r.add_argument("--count", type=int, required=True)
    r.add_argument("--timeout-s", type=float, default=10.0)
    r.add_argument("--no-crc", action="store_true")
    r.set_defaults(func=cmd_read)

    x = sub.add_parser("write-raw", help="write raw pictures of a moving test image into a v2 ring")
    x.add_argument("--path", required=True)
    x.add_argument("--width", type=int, required=True)
    x.add_argument("--height", type=int, required=True)
    x.add_argument("--format", choices=sorted(raw.FORMATS), default="rgb24")
    x.add_argument("--frames", type=int, default=0, help="0 = until SIGTERM/SIGINT")
    x.add_argument("--fps", type=float, default=30.0, help="0 = full speed (default 30)")
    x.add_argument("--slot-count", type=int, default=4, help="v2 slots (default 4; slot size fits one picture)")
    x.set_defaults(func=cmd_write_raw)

    d = sub.add_parser("dump", help="print the ring metadata as JSON")
    d.add_argument("--path", required=True)
    d.set_defaults(func=cmd_dump)
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
