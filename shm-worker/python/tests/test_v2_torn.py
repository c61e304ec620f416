"""What the v2 reader decides when a u64 looks torn (a writer storing it byte by byte).

A head behind what was delivered, a head whose slot does not hold it, a slot seq below
what head promised: each is read again, believed only after 3 calls over 5 ms, and no
decision ever delivers a frame_seq twice. The clock is the test's own.
"""

import shutil
import struct
import tempfile
import os
import unittest

from sdr_ring import RingReader, RingWriter, pattern

HEAD = 64


class TornStoreTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sdr_ring_torn_")
        self.path = os.path.join(self.dir, "frames")
        self.now = 1_000_000_000
        self.w = RingWriter(self.path, 8, 1024)
        self.addCleanup(self.w.close)
        self.r = RingReader(self.path, clock=lambda: self.now)
        self.addCleanup(self.r.close)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def write(self, upto, gop=4):
        while self.w.next_seq <= upto:
            s = self.w.next_seq
            self.w.write_frame(pattern.payload_for(s, 10 + s % 50), keyframe=(s - 1) % gop == 0)

    def poke(self, offset, value):
        struct.pack_into("<Q", self.w._mm, offset, value)

    def slot_seq_offset(self, f):
        return 128 + ((f - 1) % 8) * 1024

    def read(self, after_ms=0):
        self.now += after_ms * 1_000_000
        got = self.r.read_frame()
        if got is not None:
            self.assertTrue(pattern.check(got[0].frame_seq, got[1]))
        return None if got is None else got[0].frame_seq

    def drain(self):
        out = []
        while True:
            f = self.read()
            if f is None:
                return out
            out.append(f)

    def test_head_back_for_one_call_is_read_again(self):
        self.write(0x1FF)
        self.assertEqual(self.drain(), [0x1FD, 0x1FE, 0x1FF])
        self.write(0x200)
        self.poke(HEAD, 0x100)                  # 0x1FF -> 0x200 with only the low byte stored
        self.assertIsNone(self.read())
        self.poke(HEAD, 0x200)
        self.assertEqual(self.read(), 0x200)
        c = self.r.counters
        self.assertEqual(c["torn"], 1)
        self.assertEqual((c["resyncs"], c["writer_rewound"], c["lapped"], c["frames_lost"]), (0, 0, 0, 0))

    def test_head_that_stays_behind_never_redelivers(self):
        self.write(20)
        self.assertEqual(self.drain(), [17, 18, 19, 20])
        self.poke(HEAD, 14)                      # keyframes 13 and 17 are still in the ring
        for _ in range(50):
            self.assertIsNone(self.read())       # many calls within 5 ms: still torn
        self.assertEqual(self.r.counters["writer_rewound"], 0)
        with self.assertLogs("sdr_ring.v2", "WARNING") as logs:
            self.assertIsNone(self.read(after_ms=5))
            for _ in range(5):
                self.assertIsNone(self.read(after_ms=2))
        self.assertEqual(len(logs.output), 1)
        self.assertIn("head=14", logs.output[0])
        self.assertIn("last_delivered=20", logs.output[0])
        self.assertEqual(self.r.counters["writer_rewound"], 1)
        self.write(26)                            # head past the floor again
        self.assertEqual(self.drain(), [25, 26])
        self.assertEqual(self.r.counters["frames_lost"], 4)       # 21..24
        self.assertEqual(self.r.counters["resyncs"], 0)

    def test_two_calls_over_ten_ms_are_not_enough(self):
        self.write(20)
        self.drain()
        self.poke(HEAD, 9)
        self.assertIsNone(self.read())
        self.assertIsNone(self.read(after_ms=10))
        self.assertEqual(self.r.counters["writer_rewound"], 0)
        self.assertIsNone(self.read())
        self.assertEqual(self.r.counters["writer_rewound"], 1)

    def test_head_torn_ahead_is_no_lap(self):
        self.write(2)
        self.assertEqual(self.drain(), [1, 2])
        self.write(3)
        self.poke(HEAD, 0x103)                   # stored high byte first
        self.assertEqual(self.read(), 3)         # frame 3 is still in its slot
        self.assertIsNone(self.read())           # frame 4 is not committed: torn
        self.poke(HEAD, 3)
        self.write(5)
        self.assertEqual(self.drain(), [4, 5])
        c = self.r.counters
        self.assertEqual((c["lapped"], c["frames_lost"], c["bad_layout"]), (0, 0, 0))

    def test_first_head_torn_ahead_does_not_start_past_the_writer(self):
        self.write(6)
        self.poke(HEAD, 0x10006)
        self.assertIsNone(self.read())
        self.assertEqual(self.r.counters["torn"], 1)
        self.poke(HEAD, 6)
        self.assertEqual(self.drain(), [5, 6])

    def test_slot_seq_below_head_is_read_again_then_dropped_if_it_stays(self):
        self.write(2)
        self.assertEqual(self.drain(), [1, 2])
        self.write(3)
        self.poke(self.slot_seq_offset(3), 4)    # below 2f = 6 although head says 3
        self.assertIsNone(self.read())
        self.poke(self.slot_seq_offset(3), 6)
        self.assertEqual(self.read(), 3)
        self.assertEqual(self.r.counters["frames_lost"], 0)
        self.write(4)
        self.poke(self.slot_seq_offset(4), 7)    # stays "being written": broken
        self.assertIsNone(self.read(after_ms=3))
        self.assertIsNone(self.read(after_ms=3))
        self.assertIsNone(self.read(after_ms=3))
        self.assertEqual(self.r.counters["bad_layout"], 1)
        self.write(6)
        self.assertEqual(self.drain(), [5, 6])
        self.assertEqual(self.r.counters["frames_lost"], 1)       # frame 4


class V1TornWriteLenTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sdr_ring_torn_v1_")
        self.path = os.path.join(self.dir, "frames")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_write_len_that_moves_is_read_again_not_dropped(self):
        from sdr_ring import ShmReader, ShmWriter
        from tests._support import ScriptedU64
        w = ShmWriter(self.path, 4096)
        self.addCleanup(w.close)
        r = ShmReader(self.path)
        self.addCleanup(r.close)
        w.write_frame(pattern.payload_for(1, 100), keyframe=True)
        # write_len read as a mix of the old and the next length, then the real one
        r._ensure_mapping()
        r._map.u64 = ScriptedU64(r._map.u64, {8: [0x1FF84]})
        self.assertEqual(r.read_frame(), (None, None))
        self.assertEqual((r.counters["torn"], r.counters["bad_length"]), (1, 0))
        header, payload = r.read_frame()
        self.assertEqual(header.frame_seq, 1)
        self.assertTrue(pattern.check(1, payload))


if __name__ == "__main__":
    unittest.main()
