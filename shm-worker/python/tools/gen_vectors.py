#!/usr/bin/env python3
"""Generate the byte-reproducible ring test vectors in tests/vectors/ring/.

Files are built by a low-level simulation of the writers into a bytearray with a fixed
epoch, created_ns and commit_ns (no clock, no randomness), then described in
manifest.json (schema: tests/vectors/ring/README.md).

    python3 shm-worker/python/tools/gen_vectors.py            # (re)write the vectors
    python3 shm-worker/python/tools/gen_vectors.py --check    # exit 1 if they differ
"""

import argparse
import hashlib
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from sdr_ring import pattern  # noqa: E402
from sdr_ring.protocol import (  # noqa: E402
    CODEC_H264,
    CODEC_HEVC,
    FLAG_KEYFRAME,
    HEADER_FORMAT,
    HEADER_SIZE,
    META_SIZE,
    SB_HEAD_OFFSET,
    SLOT_HEADER_SIZE,
    SUPERBLOCK_SIZE,
    U64,
    FrameHeader,
    payload_crc,
    v2_file_size,
)
from sdr_ring.v2 import init_superblock  # noqa: E402

DEFAULT_OUT = os.path.normpath(os.path.join(HERE, "..", "..", "..", "tests", "vectors", "ring"))

SCHEMA = "sdr-ring-vectors/1"
EPOCH = 0xC0FFEE00D15EA5E5          # high bit set on purpose: epoch is an unsigned u64
CREATED_NS = 1000000000000
FRAME_INTERVAL_NS = 16666667
V1_FILE_SIZE = 512
V2_SLOT_COUNT = 4
V2_SLOT_SIZE = 256                  # max payload 192


def commit_ns(frame_seq):
    return CREATED_NS + frame_seq * FRAME_INTERVAL_NS


def frame_id_for(frame_seq):
    return 1000 + frame_seq         # distinct from frame_seq on purpose


def make_frame(frame_seq, size, keyframe, codec=CODEC_H264, payload=None):
    if payload is None:
        payload = pattern.payload_for(frame_seq, size)
    header = FrameHeader(frame_id=frame_id_for(frame_seq), frame_seq=frame_seq,
                         size=len(payload), flags=FLAG_KEYFRAME if keyframe else 0,
                         codec=codec, crc32=payload_crc(payload))
    return header, payload


def frame_json(header, payload, **extra):
    obj = header.to_dict()
    obj.update(extra)
    obj["payload_hex"] = bytes(payload).hex()
    return obj


def find_size(frame_seq, start, want_high):
    """Smallest size >= start whose pattern payload has CRC >= 2^31 (or < 2^31)."""
    size = start
    while (payload_crc(pattern.payload_for(frame_seq, size)) >= 0x80000000) != want_high:
        size += 1
    return size


# --- v1 -----------------------------------------------------------------------

def v1_file(seq, write_len, header, payload, file_size=V1_FILE_SIZE):
    buf = bytearray(file_size)
    if header is not None:
        raw = header.pack() + bytes(payload)
        buf[META_SIZE:META_SIZE + len(raw)] = raw[:file_size - META_SIZE]
    U64.pack_into(buf, 8, write_len)
    U64.pack_into(buf, 0, seq)
    return buf


def v1_vectors():
    out = []

    def add(name, description, buf, seq, write_len, expect, frames, ungated_expect=None,
            ungated_frames=None):
        out.append(({
            "name": name, "layout": "v1", "description": description,
            "file_size": len(buf), "seq": seq, "write_len": write_len,
            "expect": expect, "frames": frames,
            "ungated": {"expect": ungated_expect or expect,
                        "frames": frames if ungated_frames is None else ungated_frames},
        }, buf))

    h, p = make_frame(1, find_size(1, 100, want_high=False), keyframe=True)
    add("v1_keyframe_h264.bin", "one committed H.264 keyframe (CRC < 2^31)",
        v1_file(1, HEADER_SIZE + h.size, h, p), 1, HEADER_SIZE + h.size, "ok", [frame_json(h, p)])

    h, p = make_frame(7, 90, keyframe=False, codec=CODEC_HEVC)
    add("v1_hevc_delta.bin",
        "one committed HEVC non-keyframe (frame_seq 7, commit seq 7): a keyframe-gated reader "
        "skips it, an ungated (seed) reader delivers it",
        v1_file(7, HEADER_SIZE + h.size, h, p), 7, HEADER_SIZE + h.size,
        "skipped_awaiting_keyframe", [], "ok", [frame_json(h, p)])

    h, p = make_frame(1, find_size(1, 100, want_high=True), keyframe=True)
    assert h.crc32 >= 0x80000000
    add("v1_crc_high.bin",
        "keyframe whose CRC-32 is >= 2^31: stored as a negative int32 (the seed bug case)",
        v1_file(1, HEADER_SIZE + h.size, h, p), 1, HEADER_SIZE + h.size, "ok", [frame_json(h, p)])

    h, p = make_frame(3, V1_FILE_SIZE - META_SIZE - HEADER_SIZE, keyframe=True)
    add("v1_max_len.bin", "write_len == file_size - 16 exactly (largest valid frame)",
        v1_file(3, HEADER_SIZE + h.size, h, p), 3, HEADER_SIZE + h.size, "ok", [frame_json(h, p)])

    h, p = make_frame(1, 64, keyframe=True)
    bad = bytearray(p)
    bad[10] ^= 0xFF
    add("v1_crc_corrupt.bin", "payload byte 10 flipped after the CRC was computed",
        v1_file(1, HEADER_SIZE + h.size, h, bad), 1, HEADER_SIZE + h.size, "crc_error", [])

    h, p = make_frame(1, 64, keyframe=True)
    wl = V1_FILE_SIZE - META_SIZE + 1
    add("v1_write_len_past_end.bin", "write_len == file_size - 16 + 1 (one byte past the end)",
        v1_file(1, wl, h, p), 1, wl, "bad_length", [])

    wl = (1 << 64) - 16
    add("v1_write_len_huge.bin", "write_len == 2^64 - 16 (negative as a signed long)",
        v1_file(1, wl, h, p), 1, wl, "bad_length", [])

    wl = 16
    add("v1_write_len_short.bin", "write_len == 16 (< 32, shorter than a frame header)",
        v1_file(1, wl, h, p), 1, wl, "bad_length", [])

    wrong = FrameHeader(h.frame_id, h.frame_seq, h.size - 1, h.flags, h.codec, h.crc32)
    wl = HEADER_SIZE + h.size
    add("v1_size_mismatch.bin", "header.size == write_len - 32 - 1",
        v1_file(1, wl, wrong, p), 1, wl, "bad_length", [])

    add("v1_empty.bin", "all zero: seq == 0, nothing committed",
        v1_file(0, 0, None, b""), 0, 0, "no_frame", [])
    return out


# --- v2 -----------------------------------------------------------------------

class V2Sim:
    """The RingWriter protocol replayed into a bytearray with a fixed clock."""

    def __init__(self, slot_count=V2_SLOT_COUNT, slot_size=V2_SLOT_SIZE, epoch=EPOCH):
        self.slot_count = slot_count
        self.slot_size = slot_size
        self.buf = bytearray(v2_file_size(slot_count, slot_size))
        init_superblock(self.buf, slot_count, slot_size, epoch, CREATED_NS)
        self.head = 0
        self.frames = {}

    def base(self, f):
        return SUPERBLOCK_SIZE + ((f - 1) % self.slot_count) * self.slot_size

    def write(self, size, keyframe, codec=CODEC_H264, header=None, payload=None,
              commit=True, partial=None):
        """Write frame head+1. ``header``/``payload`` override the honest ones;
        ``commit=False`` stops after ``partial`` payload bytes (slot seq stays 2f-1)."""
        f = self.head + 1
        h, p = make_frame(f, size, keyframe, codec)
        h = header or h
        p = p if payload is None else payload
        b = self.base(f)
        U64.pack_into(self.buf, b, 2 * f - 1)
        self.buf[b + 32:b + 64] = h.pack()
        room = self.slot_size - SLOT_HEADER_SIZE
        data = bytes(p[:room if partial is None else partial])
        self.buf[b + 64:b + 64 + len(data)] = data
        if not commit:
            return h, p
        U64.pack_into(self.buf, b + 8, commit_ns(f))
        U64.pack_into(self.buf, b, 2 * f)
        U64.pack_into(self.buf, SB_HEAD_OFFSET, f)
        self.head = f
        self.frames[f] = (h, p)
        return h, p

    def frame_json(self, f):
        h, p = self.frames[f]
        return frame_json(h, p, commit_ns=commit_ns(f),
                          slot=(f - 1) % self.slot_count)


def v2_vectors():
    out = []

    def add(name, description, sim, expect, delivered):
        out.append(({
            "name": name, "layout": "v2", "description": description,
            "file_size": len(sim.buf), "slot_count": sim.slot_count,
            "slot_size": sim.slot_size, "epoch": EPOCH, "epoch_hex": "0x%016X" % EPOCH,
            "created_ns": CREATED_NS, "head": sim.head,
            "expect": expect, "frames": [sim.frame_json(f) for f in delivered],
        }, sim.buf))

    s = V2Sim()
    s.write(150, True)
    s.write(V2_SLOT_SIZE - SLOT_HEADER_SIZE, False)     # exactly slot_size - 64
    s.write(0, False)                                   # empty payload, CRC 0
    add("v2_in_order.bin",
        "frames 1..3, 1 keyframe, 2 fills its slot (192 bytes), 3 is empty: deliver 1,2,3",
        s, "ok", [1, 2, 3])

    s = V2Sim()
    for f in range(1, 7):
        s.write(40 + 23 * f, f in (1, 4))
    add("v2_wrapped_keyframe.bin",
        "4 slots after 6 writes: frames 3..6 in the ring (slots 2,3,0,1), keyframes 1 "
        "(overwritten) and 4, head 6: a fresh reader starts at the newest keyframe 4 and "
        "delivers 4,5,6 (frame 3 is older than the keyframe and never read)",
        s, "ok", [4, 5, 6])

    s = V2Sim()
    for f in range(1, 6):
        s.write(30 + 11 * f, f == 3, codec=CODEC_HEVC)
    s.write(120, True, codec=CODEC_HEVC, commit=False, partial=50)
    add("v2_write_in_progress.bin",
        "HEVC, frames 1..5 committed (head 5), frame 6 half-written into slot 1 (seq 11, "
        "head not yet 6); keyframe 3: deliver 3,4,5 and never frame 6",
        s, "ok", [3, 4, 5])

    s = V2Sim()
    for f in range(1, 5):
        s.write(20 * f, f in (1, 4))
    add("v2_keyframe_is_head.bin",
        "frames 1..4, keyframes 1 and 4, head 4: start at the newest keyframe, deliver 4 only",
        s, "ok", [4])

    s = V2Sim()
    for f in range(1, 9):
        s.write(60, f == 1)
    add("v2_no_keyframe.bin",
        "frames 5..8 in the ring, none a keyframe (keyframe 1 overwritten): deliver nothing",
        s, "no_frame", [])

    s = V2Sim()
    h, p = make_frame(1, V2_SLOT_SIZE - SLOT_HEADER_SIZE + 1, True)
    s.write(0, True, header=h, payload=p)               # 192 bytes stored, header says 193
    add("v2_bad_length.bin",
        "head 1, keyframe 1 with header.size 193 > slot_size - 64 (slot seq valid, so the "
        "start scan picks it; the size check rejects it)",
        s, "bad_length", [])

    s = V2Sim()
    s.write(80, True)
    h, p = make_frame(2, 80, False)
    bad = bytearray(p)
    bad[0] ^= 0x01
    s.write(80, False, header=h, payload=bad)
    s.write(80, False)
    add("v2_crc_corrupt.bin",
        "frames 1..3, keyframe 1, frame 2's payload corrupted after its CRC was computed: "
        "deliver 1, count crc_error for 2, then skip 3 (gated: a frame was lost)",
        s, "crc_error", [1])

    s = V2Sim()
    add("v2_empty.bin", "fresh ring, head 0: nothing to deliver", s, "no_frame", [])

    s = V2Sim()
    s.write(50, True)
    s.buf[12:16] = (3).to_bytes(4, "little")           # slot_count 3: not a power of two
    add("v2_bad_superblock.bin",
        "v2 magic but slot_count 3 in the superblock (frame 1 otherwise intact): no frame, "
        "never an exception", s, "bad_layout", [])
    return out


def generate(out_dir):
    """Write every vector file and manifest.json into out_dir; returns the manifest."""
    os.makedirs(out_dir, exist_ok=True)
    vectors = []
    for entry, buf in v1_vectors() + v2_vectors():
        data = bytes(buf)
        entry["sha256"] = hashlib.sha256(data).hexdigest()
        with open(os.path.join(out_dir, entry["name"]), "wb") as f:
            f.write(data)
        vectors.append(entry)
    manifest = {
        "schema": SCHEMA,
        "generator": "shm-worker/python/tools/gen_vectors.py",
        "contract": "design/RING.md",
        "header_struct": HEADER_FORMAT,
        "payload_pattern": "byte i = (frame_seq * 31 + i) & 0xFF (corrupted vectors excepted)",
        "reader": {
            "keyframe_gating": True,
            "crc_check": True,
            "v2_start": "newest keyframe still in the ring, found by scanning back from head "
                        "(the scan reads only slot seq and the keyframe flag)",
            "poll_until": "the reader reports no new frame",
        },
        "vectors": vectors,
    }
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=False)
        f.write("\n")
    return manifest


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--check", action="store_true",
                    help="regenerate into a temp dir and compare with --out")
    args = ap.parse_args(argv)
    if not args.check:
        manifest = generate(args.out)
        print("wrote %d vectors to %s" % (len(manifest["vectors"]), args.out))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        manifest = generate(tmp)
        names = [v["name"] for v in manifest["vectors"]] + ["manifest.json"]
        diff = []
        for name in names:
            try:
                with open(os.path.join(args.out, name), "rb") as a, \
                        open(os.path.join(tmp, name), "rb") as b:
                    if a.read() != b.read():
                        diff.append(name)
            except OSError:
                diff.append(name)
    for name in diff:
        print("differs: %s" % name)
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
