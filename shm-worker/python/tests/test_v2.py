import os
import random
import shutil
import struct
import tempfile
import unittest

from tests._support import ScriptedU64
from sdr_ring import CODEC_HEVC, MAGIC, RingReader, RingWriter, pattern
from sdr_ring.protocol import FrameHeader, payload_crc


class V2Test(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sdr_ring_v2_")
        self.path = os.path.join(self.dir, "frames")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def writer(self, slot_count=8, slot_size=1024, **kw):
        w = RingWriter(self.path, slot_count, slot_size, **kw)
        self.addCleanup(w.close)
        return w

    def reader(self, **kw):
        r = RingReader(self.path, **kw)
        self.addCleanup(r.close)
        return r

    @staticmethod
    def write(w, f_keys, size=100):
        """Write frames; ``f_keys`` is a set of frame_seqs that are keyframes."""
        seq = w.next_seq
        return w.write_frame(pattern.payload_for(seq, size), keyframe=seq in f_keys)

    def drain(self, r, limit=1000):
        out = []
        for _ in range(limit):
            got = r.read_frame()
            if got is None:
                return out
            out.append(got)
        self.fail("reader never ran dry")

    def seqs(self, r):
        return [h.frame_seq for h, _, _ in self.drain(r)]

    # --- basics -------------------------------------------------------------------
    def test_in_order_reads(self):
        w = self.writer()
        r = self.reader()
        self.assertIsNone(r.read_frame())
        self.assertEqual(r.counters["no_new"], 1)
        for f in range(1, 6):
            self.assertEqual(self.write(w, {1}, size=f * 10), f)
        got = self.drain(r)
        self.assertEqual([h.frame_seq for h, _, _ in got], [1, 2, 3, 4, 5])
        for h, p, commit_ns in got:
            self.assertTrue(pattern.check(h.frame_seq, p))
            self.assertEqual((h.size, h.frame_id, h.crc32), (len(p), h.frame_seq, payload_crc(p)))
            self.assertGreaterEqual(commit_ns, w.created_ns)
        for _ in range(3):
            self.write(w, set())
        self.assertEqual(self.seqs(r), [6, 7, 8])
        self.assertEqual(r.counters["frames"], 8)

    def test_byte_layout(self):
        ticks = iter(range(500, 600))
        w = self.writer(4, 256, epoch=0xFEDCBA9876543210, clock=lambda: next(ticks), created_ns=42)
        payload = b"\x00\x00\x00\x01\x40hevc"
        self.assertEqual(w.write_frame(payload, codec=CODEC_HEVC, keyframe=True, frame_id=9), 1)
        with open(self.path, "rb") as f:
            data = f.read()
        self.assertEqual(len(data), 128 + 4 * 256)
        self.assertEqual(data[:8], b"SDRRING2")
        self.assertEqual(struct.unpack_from("<QIIIIQQ", data, 0),
                         (MAGIC, 2, 4, 256, 0, 0xFEDCBA9876543210, 42))
        self.assertEqual(struct.unpack_from("<Q", data, 64)[0], 1)
        self.assertEqual(struct.unpack_from("<QQ", data, 128), (2, 500))
        self.assertEqual(FrameHeader.unpack(data[160:192]),
                         FrameHeader(9, 1, len(payload), 1, 2, payload_crc(payload)))
        self.assertEqual(data[192:192 + len(payload)], payload)
        self.write(w, set())
        with open(self.path, "rb") as f:
            data = f.read()
        self.assertEqual(struct.unpack_from("<QQ", data, 128 + 256), (4, 501))

    def test_validation(self):
        for kwargs, text in (({"slot_count": 3}, "slot_count=3"), ({"slot_count": 1}, "slot_count=1"),
                             ({"slot_size": 100}, "slot_size=100"), ({"slot_size": 64}, "slot_size=64"),
                             ({"epoch": 0}, "epoch=0")):
            args = {"slot_count": 4, "slot_size": 128}
            args.update(kwargs)
            with self.assertRaises(ValueError) as ctx:
                RingWriter(self.path, **args)
            self.assertIn(text, str(ctx.exception))
        w = self.writer(2, 128)
        w.write_frame(b"x" * 64)
        with self.assertRaises(ValueError) as ctx:
            w.write_frame(b"x" * 65)
        self.assertIn("size=65", str(ctx.exception))

    def test_random_epochs_and_new_inode(self):
        w1 = RingWriter(self.path, 2, 128)
        ino = os.stat(self.path).st_ino
        w1.close()
        w2 = self.writer(2, 128)
        self.assertNotEqual(w1.epoch, w2.epoch)
        self.assertNotEqual(w2.epoch, 0)
        self.assertNotEqual(os.stat(self.path).st_ino, ino)
        self.assertEqual([n for n in os.listdir(self.dir) if "tmp" in n], [])

    def test_creates_parent_directory(self):
        self.path = os.path.join(self.dir, "x", "y", "ring")
        w = self.writer(2, 128)
        self.write(w, {1}, size=64)
        self.assertEqual(self.seqs(self.reader()), [1])

    # --- lapping, restart, gating -----------------------------------------------------
    def test_lap_resyncs_at_newest_keyframe(self):
        w = self.writer(slot_count=4)
        r = self.reader()
        self.write(w, {1})
        self.assertEqual(self.seqs(r), [1])
        for _ in range(10):
            self.write(w, {6, 9})          # ring now holds 8..11; keyframe 9
        self.assertEqual(self.seqs(r), [9, 10, 11])
        self.assertEqual(r.counters["lapped"], 1)
        self.assertEqual(r.counters["frames_lost"], 7)      # 2..8
        self.assertEqual(r.counters["resyncs"], 0)

    def test_lap_without_keyframe_waits(self):
        w = self.writer(slot_count=4)
        r = self.reader()
        self.write(w, {1})
        self.assertEqual(self.seqs(r), [1])
        for _ in range(10):
            self.write(w, set())
        self.assertEqual(self.seqs(r), [])
        self.assertEqual(r.counters["lapped"], 1)
        self.write(w, set())
        self.write(w, {13})
        self.write(w, set())
        self.assertEqual(self.seqs(r), [13, 14])
        self.assertEqual(r.counters["skipped_awaiting_keyframe"], 1)   # frame 12

    def test_stall_shorter_than_ring_loses_nothing(self):
        w = self.writer(slot_count=8)
        r = self.reader()
        self.write(w, {1})
        self.assertEqual(self.seqs(r), [1])
        for _ in range(8):                 # 2..9: exactly slot_count frames behind
            self.write(w, set())
        self.assertEqual(self.seqs(r), list(range(2, 10)))
        self.assertEqual(r.counters["lapped"], 0)

    def test_writer_restart_new_epoch_resyncs(self):
        w1 = RingWriter(self.path, 8, 1024)
        r = self.reader()
        for _ in range(3):
            self.write(w1, {1})
        self.assertEqual(self.seqs(r), [1, 2, 3])
        epoch1 = r.epoch
        w1.close()
        w2 = self.writer()
        for _ in range(3):
            self.write(w2, {2})
        self.assertEqual(self.seqs(r), [2, 3])
        self.assertEqual(r.counters["resyncs"], 1)
        self.assertNotEqual(r.epoch, epoch1)
        self.assertEqual(r.epoch, w2.epoch)

    def test_writer_restart_same_epoch_head_back_resyncs(self):
        w1 = RingWriter(self.path, 8, 1024, epoch=5)
        r = self.reader()
        for _ in range(5):
            self.write(w1, {1})
        self.assertEqual(len(self.seqs(r)), 5)
        w1.close()
        w2 = self.writer(epoch=5)           # non-conforming: same epoch; head goes back
        for _ in range(2):
            self.write(w2, {1})
        self.assertEqual(self.seqs(r), [1, 2])
        self.assertEqual(r.counters["resyncs"], 1)

    def test_start_at_newest_keyframe_and_gating(self):
        w = self.writer(slot_count=8)
        for _ in range(6):
            self.write(w, {2, 4})
        r = self.reader()
        self.assertEqual(self.seqs(r), [4, 5, 6])

    def test_start_without_keyframe_then_gate(self):
        w = self.writer(slot_count=8)
        for _ in range(3):
            self.write(w, set())
        r = self.reader()
        self.assertEqual(self.seqs(r), [])
        self.write(w, set())
        self.assertEqual(self.seqs(r), [])
        self.assertEqual(r.counters["skipped_awaiting_keyframe"], 1)
        self.write(w, {5})
        self.write(w, set())
        self.assertEqual(self.seqs(r), [5, 6])

    def test_crc_error_gates_until_keyframe(self):
        w = self.writer(slot_count=8, slot_size=256)
        r = self.reader()
        self.write(w, {1})
        self.assertEqual(self.seqs(r), [1])
        self.write(w, set())
        self.write(w, set())
        # corrupt frame 2's payload (slot 1)
        mm = w._mm
        mm[128 + 256 + 64] ^= 0xFF
        self.write(w, {4})
        self.assertEqual(self.seqs(r), [4])
        self.assertEqual(r.counters["crc_error"], 1)
        self.assertEqual(r.counters["skipped_awaiting_keyframe"], 1)
        r2 = RingReader(self.path, crc_check=False)
        self.addCleanup(r2.close)
        self.assertEqual([h.frame_seq for h, _, _ in self.drain(r2)], [4])

    # --- torn / overwritten slots ---------------------------------------------------
    def test_overwritten_slot_detected(self):
        w = self.writer(slot_count=8, slot_size=256)
        r = self.reader()
        self.write(w, {1})
        self.assertEqual(self.seqs(r), [1])
        self.write(w, set())
        self.write(w, set())
        # slot of frame 2 claims to hold frame 10 (2f for f=10): lapped during our poll
        struct.pack_into("<Q", w._mm, 128 + 256, 20)
        self.assertEqual(self.seqs(r), [])
        self.assertEqual(r.counters["torn"], 1)
        self.assertEqual(r.counters["skipped_awaiting_keyframe"], 1)
        self.write(w, {4})
        self.assertEqual(self.seqs(r), [4])

    def test_seq_changes_during_copy_is_torn(self):
        w = self.writer(slot_count=8, slot_size=256)
        r = self.reader()
        self.write(w, {1})
        self.assertEqual(self.seqs(r), [1])
        self.write(w, set())
        self.write(w, {3})
        # frame 2 (slot 1): seq 4 before the copy, 5 after (rewritten meanwhile)
        r._map.u64 = ScriptedU64(r._map.u64, {128 + 256: [4, 5]})
        self.assertEqual(self.seqs(r), [3])
        self.assertEqual(r.counters["torn"], 1)
        self.assertEqual(r.counters["frames_lost"], 1)

    def test_uncommitted_next_slot_not_read(self):
        w = self.writer(slot_count=8, slot_size=256)
        r = self.reader()
        self.write(w, {1})
        struct.pack_into("<Q", w._mm, 128 + 256, 3)      # frame 2 in progress (2f-1)
        self.assertEqual(self.seqs(r), [1])
        self.assertIsNone(r.read_frame())

    # --- files that come, go, shrink, or hold garbage -------------------------------
    def test_missing_then_created(self):
        r = self.reader()
        self.assertIsNone(r.read_frame())
        self.assertEqual(r.counters["no_file"], 1)
        w = self.writer()
        self.write(w, {1})
        self.assertEqual(self.seqs(r), [1])

    def test_truncated_in_place_no_crash(self):
        w = self.writer(slot_count=4, slot_size=256)
        r = self.reader()
        self.write(w, {1})
        self.assertEqual(self.seqs(r), [1])
        os.truncate(self.path, 64)
        self.assertIsNone(r.read_frame())
        self.assertEqual(r.counters["no_file"], 1)
        os.truncate(self.path, 128 + 2 * 256)            # geometry larger than the file
        self.assertIsNone(r.read_frame())
        self.assertEqual(r.counters["bad_layout"], 1)

    def test_garbage_never_raises(self):
        rnd = random.Random(7)
        path = os.path.join(self.dir, "garbage")
        r = RingReader(path)
        self.addCleanup(r.close)
        delivered = 0
        for i in range(300):
            size = rnd.choice((0, 7, 64, 127, 128, 200, 384, 640, 1152, 2176))
            data = bytearray(rnd.getrandbits(8) for _ in range(size))
            if size >= 128 and i % 3:
                slot_count = rnd.choice((2, 4, 8))
                slot_size = rnd.choice((128, 192, 256))
                struct.pack_into("<QIIII", data, 0, MAGIC, 2, slot_count, slot_size, 0)
                if i % 2:
                    head = rnd.randrange(0, 40)
                    struct.pack_into("<Q", data, 64, head)
                    for f in range(max(1, head - slot_count + 1), head + 1):
                        base = 128 + ((f - 1) % slot_count) * slot_size
                        if base + 64 <= size and rnd.random() < 0.8:
                            struct.pack_into("<Q", data, base, 2 * f)
                            if rnd.random() < 0.5:
                                struct.pack_into("<QH", data, base + 40, f, rnd.getrandbits(16))
            with open(path + ".new", "wb") as f:
                f.write(data)
            os.rename(path + ".new", path)
            for _ in range(3):
                got = r.read_frame()
                if got is not None:
                    header, payload, _ = got
                    self.assertEqual(len(payload), header.size)
                    delivered += 1
        r2 = RingReader(path, crc_check=False)
        self.addCleanup(r2.close)
        r2.read_frame()


if __name__ == "__main__":
    unittest.main()
