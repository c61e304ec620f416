"""Drives the seed plan's own v1 writer at full speed (RingTearingWriterTest).

``genesis_bridge/shm`` here is the seed plan's code copied verbatim (see README.md): its
``ShmWriter`` stores ``write_index`` and ``seq`` with ``struct.pack_into("<Q")`` and writes
header and payload with one slice assignment, with no write-in-progress marker.

    python3 seed_v1_writer.py --path P [--buf-size 65536] [--size 64] [--size-jitter 0] [--gop 4]

Frame s carries the sdr_ring.pattern payload of frame s, at least size + (s * 7919) %
(jitter + 1) bytes: one byte more at a time until its CRC-32 is below 2^31, because the seed's
writer packs the unsigned CRC into a signed field and raises struct.error otherwise (the
known defect docs/RING.md describes; it would also burn a frame_seq). frame_id is the seed's
own counter (= frame_seq). Keyframe when (s - 1) % gop == 0. Prints ``ready`` and, on SIGTERM
or when stdin closes, ``done frames=N``.
"""

import argparse
import signal
import sys
import threading
import zlib

from genesis_bridge.shm.ringbuffer import ShmWriter
from sdr_ring import pattern


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--path", required=True)
    p.add_argument("--buf-size", type=int, default=65536)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--size-jitter", type=int, default=0)
    p.add_argument("--gop", type=int, default=4)
    args = p.parse_args(argv)
    if args.size + args.size_jitter + 64 > args.buf_size - 16 - 32:
        print("error: payload does not fit: size+size_jitter+64=%d" % (args.size + args.size_jitter + 64),
              file=sys.stderr)
        return 2
    writer = ShmWriter(args.path, args.buf_size)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))

    def orphan_watch():
        while sys.stdin.buffer.read(4096):
            pass
        stop.append(1)

    threading.Thread(target=orphan_watch, daemon=True).start()
    print("ready path=%s layout=v1 writer=seed" % args.path, flush=True)
    s = 0
    while not stop:
        s += 1
        size = args.size + (s * 7919) % (args.size_jitter + 1)
        payload = pattern.payload_for(s, size)
        while zlib.crc32(payload) >= 1 << 31:
            size += 1
            payload = pattern.payload_for(s, size)
        writer.write_frame(payload, keyframe=(s - 1) % args.gop == 0)
    writer.close()
    print("done frames=%d" % s, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
