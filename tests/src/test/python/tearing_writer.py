"""A v2 ring writer that tears its u64 stores on purpose (RingTearingWriterTest).

Every u64 field (slot seq, frame_id, frame_seq, commit_ns, head) is stored ONE BYTE AT A
TIME, with a random busy pause between the bytes, the way a writer that ignores the
"single aligned 8-byte store" rule of docs/RING.md may store it: a concurrent reader's
single 8-byte load can see half-old, half-new bits for as long as the pause lasts.
Everything else follows the contract (seq 2f-1, payload, seq 2f, head f), so a correct
reader must deliver every frame intact, in order, exactly once.

    python3 tearing_writer.py --path P [--slot-count 8] [--slot-size 4096] [--fps 0]
        [--size 64] [--size-jitter 0] [--gop 4] [--max-pause-us 20]
        [--byte-order lsb-first|random] [--seed S]

Same payloads as ``python3 -m sdr_ring write``: frame s has frame_id s, is a keyframe when
(s - 1) % gop == 0, and carries size + (s * 7919) % (jitter + 1) bytes of
sdr_ring.pattern. Prints ``ready ...`` once the ring exists and ``done frames=N tears=T``
on SIGTERM (or when stdin closes: the parent test is gone).
"""

import argparse
import random
import signal
import struct
import sys
import threading
import time

from sdr_ring import pattern
from sdr_ring._shm import create_mapped_file
from sdr_ring.protocol import (SB_HEAD_OFFSET, SLOT_COMMIT_NS_OFFSET, SLOT_FRAME_HEADER_OFFSET,
                               SLOT_PAYLOAD_OFFSET, SLOT_SEQ_OFFSET, SUPERBLOCK_SIZE,
                               check_geometry, payload_crc, v2_file_size)
from sdr_ring.v2 import init_superblock, random_epoch

_REST_OF_HEADER = struct.Struct("<IHHiI")   # size, flags, codec, crc32 (signed), reserved @ 16


class TearingStores:
    """Stores u64 values byte by byte with random pauses; counts stores that changed 2+ bytes."""

    def __init__(self, mm, rnd, max_pause_ns, byte_order):
        self.mm = mm
        self.rnd = rnd
        self.max_pause_ns = max_pause_ns
        self.shuffle = byte_order == "random"
        self.tears = 0

    def pause(self):
        if self.max_pause_ns:
            until = time.perf_counter_ns() + self.rnd.randrange(self.max_pause_ns + 1)
            while time.perf_counter_ns() < until:
                pass

    def store(self, offset, value):
        new = value.to_bytes(8, "little")
        old = bytes(self.mm[offset:offset + 8])
        if sum(a != b for a, b in zip(old, new)) > 1:
            self.tears += 1
        order = list(range(8))
        if self.shuffle:
            self.rnd.shuffle(order)
        for n, i in enumerate(order):
            if n:
                self.pause()
            self.mm[offset + i] = new[i]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--path", required=True)
    p.add_argument("--slot-count", type=int, default=8)
    p.add_argument("--slot-size", type=int, default=4096)
    p.add_argument("--fps", type=float, default=0.0)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--size-jitter", type=int, default=0)
    p.add_argument("--gop", type=int, default=4)
    p.add_argument("--codec", type=int, default=1)
    p.add_argument("--max-pause-us", type=int, default=20)
    p.add_argument("--byte-order", choices=("lsb-first", "random"), default="lsb-first")
    p.add_argument("--seed", type=int, default=None)
    args = p.parse_args(argv)
    problem = check_geometry(args.slot_count, args.slot_size)
    if problem:
        print("error: %s" % problem, file=sys.stderr)
        return 2
    if args.size < 0 or args.size_jitter < 0 or args.size + args.size_jitter > args.slot_size - SLOT_PAYLOAD_OFFSET:
        print("error: payload does not fit: size+size_jitter=%d max_payload=%d"
              % (args.size + args.size_jitter, args.slot_size - SLOT_PAYLOAD_OFFSET), file=sys.stderr)
        return 2
    seed = args.seed if args.seed is not None else random.randrange(1 << 32)
    epoch = random_epoch()
    mm = create_mapped_file(args.path, v2_file_size(args.slot_count, args.slot_size),
                            lambda m: init_superblock(m, args.slot_count, args.slot_size, epoch,
                                                      time.monotonic_ns()))
    stores = TearingStores(mm, random.Random(seed), args.max_pause_us * 1000, args.byte_order)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))

    def orphan_watch():
        while sys.stdin.buffer.read(4096):
            pass
        stop.append(1)

    threading.Thread(target=orphan_watch, daemon=True).start()
    print("ready path=%s layout=v2 seed=%d byte_order=%s" % (args.path, seed, args.byte_order), flush=True)
    interval_ns = int(1e9 / args.fps) if args.fps > 0 else 0
    next_at = time.monotonic_ns()
    f = 0
    while not stop:
        f += 1
        base = SUPERBLOCK_SIZE + ((f - 1) % args.slot_count) * args.slot_size
        size = args.size + (f * 7919) % (args.size_jitter + 1)
        payload = pattern.payload_for(f, size)
        crc = payload_crc(payload)
        stores.store(base + SLOT_SEQ_OFFSET, 2 * f - 1)
        header = base + SLOT_FRAME_HEADER_OFFSET
        mm[base + SLOT_PAYLOAD_OFFSET:base + SLOT_PAYLOAD_OFFSET + size] = payload
        stores.store(header, f)                      # frame_id
        stores.store(header + 8, f)                  # frame_seq
        _REST_OF_HEADER.pack_into(mm, header + 16, size, 1 if (f - 1) % args.gop == 0 else 0, args.codec,
                                  crc - (1 << 32) if crc >= 1 << 31 else crc, 0)
        stores.store(base + SLOT_COMMIT_NS_OFFSET, time.monotonic_ns())
        stores.store(base + SLOT_SEQ_OFFSET, 2 * f)
        stores.store(SB_HEAD_OFFSET, f)
        if interval_ns:
            next_at += interval_ns
            while not stop:
                delay = next_at - time.monotonic_ns()
                if delay <= 0:
                    break
                time.sleep(min(delay, 50_000_000) / 1e9)
    mm.close()
    print("done frames=%d tears=%d" % (f, stores.tears), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
