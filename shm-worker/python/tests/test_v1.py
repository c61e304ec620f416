import os
import shutil
import struct
import tempfile
import unittest
import zlib

from tests._support import ScriptedU64
from sdr_ring import CODEC_H264, CODEC_HEVC, ShmReader, ShmWriter, pattern
from sdr_ring.protocol import FrameHeader, payload_crc

MB4 = 4 * 1024 * 1024


def high_crc_payload(seq=1):
    size = 10
    while payload_crc(pattern.payload_for(seq, size)) < 0x80000000:
        size += 1
    return pattern.payload_for(seq, size)


class V1Test(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sdr_ring_v1_")
        self.path = os.path.join(self.dir, "frames")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def pair(self, buf_size=MB4, **kw):
        writer = ShmWriter(self.path, buf_size)
        reader = ShmReader(self.path, buf_size, **kw)
        self.addCleanup(reader.close)
        self.addCleanup(writer.close)
        return writer, reader

    # --- the seed plan's cases --------------------------------------------------
    def test_write_then_read_single_frame(self):
        writer, reader = self.pair()
        payload = b"fake H.264 NAL unit data" * 100
        writer.write_frame(payload, codec=CODEC_H264, keyframe=True)
        header, data = reader.read_frame()
        self.assertIsNotNone(header)
        self.assertEqual(data, payload)
        self.assertTrue(header.is_keyframe)
        self.assertEqual(header.codec, CODEC_H264)
        self.assertEqual(header.crc32, zlib.crc32(payload) & 0xFFFFFFFF)
        self.assertEqual((header.frame_seq, header.frame_id), (1, 1))

    def test_sequential_writes_read_latest(self):
        writer, reader = self.pair()
        for i in range(5):
            writer.write_frame(("frame-%d" % i).encode(), keyframe=(i == 0))
        header, data = reader.read_frame()
        self.assertEqual(header.frame_seq, 5)
        self.assertEqual(data, b"frame-4")

    def test_crc32_mismatch_detected(self):
        writer, reader = self.pair()
        writer.write_frame(b"valid data", keyframe=True)
        writer._mm[48:58] = b"XXXXXXXXXX"     # the reader's mapping is read-only
        self.assertEqual(reader.read_frame(), (None, None))
        self.assertEqual(reader.counters["crc_error"], 1)
        # counted once: the same bad commit is not re-checked
        self.assertEqual(reader.read_frame(), (None, None))
        self.assertEqual(reader.counters["crc_error"], 1)
        reader_nocrc = ShmReader(self.path, crc_check=False)
        self.addCleanup(reader_nocrc.close)
        self.assertEqual(reader_nocrc.read_frame()[1], b"XXXXXXXXXX")

    def test_lap_detection(self):
        writer, reader = self.pair(1024)
        writer.write_frame(b"A" * 100, keyframe=True)
        self.assertIsNotNone(reader.read_frame()[0])
        for i in range(20):
            writer.write_frame(("B%03d" % i).encode() * 20, keyframe=(i == 0))
        header, data = reader.read_frame()
        self.assertEqual(header.frame_seq, 21)
        self.assertEqual(data, b"B019" * 20)
        self.assertEqual(reader.counters["lapped"], 1)
        self.assertEqual(reader.counters["frames_lost"], 19)

    def test_reader_returns_none_when_no_new_frame(self):
        writer, reader = self.pair()
        writer.write_frame(b"data", keyframe=True)
        self.assertIsNotNone(reader.read_frame()[0])
        self.assertEqual(reader.read_frame(), (None, None))
        self.assertEqual(reader.counters["no_new"], 1)

    def test_hevc_codec(self):
        writer, reader = self.pair()
        writer.write_frame(b"hevc data", codec=CODEC_HEVC, keyframe=False)
        header, _ = reader.read_frame()
        self.assertEqual(header.codec, CODEC_HEVC)
        self.assertFalse(header.is_keyframe)

    # --- beyond the seed ----------------------------------------------------------
    def test_high_crc_round_trip(self):
        writer, reader = self.pair()
        payload = high_crc_payload()
        writer.write_frame(payload, keyframe=True)      # the seed raised struct.error here
        header, data = reader.read_frame()
        self.assertGreaterEqual(header.crc32, 0x80000000)
        self.assertEqual(header.crc32, zlib.crc32(payload) & 0xFFFFFFFF)
        self.assertEqual(data, payload)
        self.assertLess(struct.unpack_from("<i", writer._mm, 16 + 24)[0], 0)

    def test_many_payloads_round_trip(self):
        writer, reader = self.pair(8192)
        for seq in range(1, 200):
            payload = pattern.payload_for(seq, seq * 13 % 4000)
            self.assertEqual(writer.write_frame(payload, frame_id=seq * 2), seq)
            header, data = reader.read_frame()
            self.assertEqual((header.frame_seq, header.frame_id, data), (seq, seq * 2, payload))
        self.assertEqual(reader.counters["frames"], 199)

    def test_byte_layout(self):
        writer, _ = self.pair(256)
        payload = b"\x00\x00\x00\x01\x65abc"
        writer.write_frame(payload, codec=CODEC_H264, keyframe=True, frame_id=77)
        seq, write_len = struct.unpack_from("<QQ", writer._mm, 0)
        self.assertEqual((seq, write_len), (1, 32 + len(payload)))
        self.assertEqual(FrameHeader.unpack(writer._mm[16:48]),
                         FrameHeader(77, 1, len(payload), 1, 1, payload_crc(payload)))
        self.assertEqual(writer._mm[48:48 + len(payload)], payload)

    def test_frame_too_large(self):
        writer, _ = self.pair(256)
        writer.write_frame(b"x" * (256 - 48))
        with self.assertRaises(ValueError):
            writer.write_frame(b"x" * (256 - 47))
        with self.assertRaises(ValueError):
            ShmWriter(self.path, 47)

    def test_bad_lengths_counted_once(self):
        writer, reader = self.pair(1024)
        writer.write_frame(b"abc", keyframe=True)
        struct.pack_into("<Q", writer._mm, 8, 1024 - 16 + 1)
        self.assertEqual(reader.read_frame(), (None, None))
        self.assertEqual(reader.counters["bad_length"], 1)
        writer.write_frame(b"abcd", keyframe=True)
        struct.pack_into("<I", writer._mm, 16 + 16, 5)     # size != write_len - 32
        self.assertEqual(reader.read_frame(), (None, None))
        self.assertEqual(reader.read_frame(), (None, None))
        self.assertEqual(reader.counters["bad_length"], 2)

    def test_frame_seq_zero_is_dropped_not_redelivered(self):
        writer, reader = self.pair()
        writer.write_frame(b"zero", keyframe=True)
        struct.pack_into("<Q", writer._mm, 16 + 8, 0)       # frame_seq 0: never written by a writer
        for commit in (1, 2, 3):
            struct.pack_into("<Q", writer._mm, 0, 100 + commit)
            self.assertEqual(reader.read_frame(), (None, None))
        self.assertEqual(reader.counters["bad_layout"], 3)
        self.assertEqual(reader.counters["frames"], 0)

    def test_torn_read_detected_then_retried(self):
        writer, reader = self.pair()
        writer.write_frame(b"first", keyframe=True)
        real = reader._map.u64
        reader._map.u64 = ScriptedU64(real, {0: [1, 2]})   # seq moved during the copy
        self.assertEqual(reader.read_frame(), (None, None))
        self.assertEqual(reader.counters["torn"], 1)
        reader._map.u64 = real
        self.assertEqual(reader.read_frame()[1], b"first")

    def test_frame_copied_under_old_seq_is_delivered_once(self):
        writer, reader = self.pair()
        writer.write_frame(b"first", keyframe=True)
        self.assertEqual(reader.read_frame()[1], b"first")
        writer.write_frame(b"second", keyframe=False)
        # A poll that ran between the writer's write_len and seq stores saw frame 2 under seq 1;
        # model it by moving the commit marker back to a value the reader has not seen.
        struct.pack_into("<Q", writer._mm, 0, 99)
        self.assertEqual(reader.read_frame()[1], b"second")
        struct.pack_into("<Q", writer._mm, 0, 2)
        self.assertEqual(reader.read_frame(), (None, None), "same frame_seq again is not a new frame")
        self.assertEqual(reader.counters["frames"], 2)
        self.assertEqual(reader.counters["resyncs"], 0)

    def test_creates_parent_and_new_inode(self):
        path = os.path.join(self.dir, "a", "b", "frames")
        w1 = ShmWriter(path, 4096)
        reader = ShmReader(path)
        self.addCleanup(reader.close)
        ino1 = os.stat(path).st_ino
        for i in range(5):
            w1.write_frame(b"old%d" % i, keyframe=True)
        self.assertEqual(reader.read_frame()[0].frame_seq, 5)
        w1.close()
        # restart with a SMALLER file: a new inode, the old mapping never shrinks
        w2 = ShmWriter(path, 1024)
        self.addCleanup(w2.close)
        self.assertNotEqual(os.stat(path).st_ino, ino1)
        self.assertEqual(os.path.getsize(path), 1024)
        self.assertEqual(reader.read_frame(), (None, None))   # new file, seq 0
        w2.write_frame(b"new", keyframe=True)
        header, data = reader.read_frame()
        self.assertEqual((header.frame_seq, data), (1, b"new"))
        self.assertEqual(reader.counters["resyncs"], 1)
        self.assertEqual([n for n in os.listdir(os.path.dirname(path)) if "tmp" in n], [])

    def test_missing_file_and_garbage(self):
        reader = ShmReader(os.path.join(self.dir, "nope"))
        self.addCleanup(reader.close)
        self.assertEqual(reader.read_frame(), (None, None))
        self.assertEqual(reader.counters["no_file"], 1)
        import random
        rnd = random.Random(1)
        path = os.path.join(self.dir, "garbage")
        for size in (0, 1, 15, 16, 47, 48, 49, 100, 1000, 4096):
            for _ in range(20):
                with open(path + ".new", "wb") as f:
                    f.write(bytes(rnd.getrandbits(8) for _ in range(size)))
                os.rename(path + ".new", path)
                r = ShmReader(path)
                try:
                    header, data = r.read_frame()
                    if header is not None:
                        self.assertEqual(len(data), header.size)
                finally:
                    r.close()

    def test_keyframe_gating_option(self):
        writer, reader = self.pair(keyframe_gating=True)
        writer.write_frame(b"p1", keyframe=False)
        self.assertEqual(reader.read_frame(), (None, None))
        self.assertEqual(reader.counters["skipped_awaiting_keyframe"], 1)
        writer.write_frame(b"k2", keyframe=True)
        self.assertEqual(reader.read_frame()[1], b"k2")
        writer.write_frame(b"p3")
        self.assertEqual(reader.read_frame()[1], b"p3")
        writer.write_frame(b"p4")
        writer.write_frame(b"p5")     # p4 lost -> gate
        self.assertEqual(reader.read_frame(), (None, None))
        writer.write_frame(b"k6", keyframe=True)
        self.assertEqual(reader.read_frame()[1], b"k6")


if __name__ == "__main__":
    unittest.main()
