import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest
import zlib

from tests._support import PKG_DIR
from sdr_ring import FLAG_KEYFRAME, RAW_I420, RAW_NV12, RAW_RGB24, RingReader, RingWriter, raw
from sdr_ring.protocol import FrameHeader

try:
    import numpy
except ImportError:          # optional: the package itself is stdlib only
    numpy = None


class RawFormatTest(unittest.TestCase):
    def test_pixel_bytes_per_format(self):
        self.assertEqual(raw.pixel_bytes(4, 2, "rgb24"), 24)
        self.assertEqual(raw.pixel_bytes(4, 2, "bgr24"), 24)
        self.assertEqual(raw.pixel_bytes(4, 2, "rgba"), 32)
        self.assertEqual(raw.pixel_bytes(4, 2, "bgra"), 32)
        self.assertEqual(raw.pixel_bytes(4, 2, "gray8"), 8)
        self.assertEqual(raw.pixel_bytes(4, 2, "i420"), 8 + 2 * 2)
        self.assertEqual(raw.pixel_bytes(4, 2, RAW_NV12), 8 + 2 * 2)
        # Odd sizes: chroma planes are ceil(w/2) x ceil(h/2), as FFmpeg lays out yuv420p.
        self.assertEqual(raw.pixel_bytes(7, 5, "i420"), 35 + 2 * 4 * 3)

    def test_format_codes_and_names(self):
        self.assertEqual([raw.format_code(n) for n in ("rgb24", "BGR24", "rgba", "bgra", "i420", "nv12", "gray8")],
                         list(range(16, 23)))
        self.assertEqual(raw.format_code(RAW_I420), 20)
        for bad in ("yuv444", 15, 23, 1, True, None):
            with self.assertRaises(ValueError):
                raw.format_code(bad)

    def test_dimensions_validated(self):
        for w, h in ((0, 1), (1, 0), (16385, 1), (1, 16385), (2.0, 2)):
            with self.assertRaises(ValueError):
                raw.pixel_bytes(w, h, "rgb24")

    def test_slot_size_fits_one_frame(self):
        size = raw.slot_size_for(1280, 720, "rgb24")
        self.assertEqual(size % 64, 0)
        self.assertGreaterEqual(size - 64, 16 + 1280 * 720 * 3)
        self.assertLess(size - 64 - 64, 16 + 1280 * 720 * 3)

    def test_parse_round_trip_and_rejects(self):
        payload = raw.pack_header(2, 2) + bytes(range(12))
        w, h, name, pixels = raw.parse(payload, RAW_RGB24)
        self.assertEqual((w, h, name, bytes(pixels)), (2, 2, "rgb24", bytes(range(12))))
        with self.assertRaises(ValueError):
            raw.parse(payload[:-1], RAW_RGB24)
        with self.assertRaises(ValueError):
            raw.parse(b"RAW2" + payload[4:], RAW_RGB24)
        with self.assertRaises(ValueError):
            raw.parse(payload, 99)

    def test_moving_image_sizes_and_motion(self):
        for fmt in raw.FORMATS:
            for w, h in ((64, 36), (7, 5)):
                image = raw.MovingImage(w, h, fmt)
                a, b = image.frame(1), image.frame(2)
                self.assertEqual(len(a), raw.pixel_bytes(w, h, fmt), (fmt, w, h))
                self.assertEqual(len(b), len(a))
                if w > 8:
                    self.assertNotEqual(a, b, fmt)


class WriteRawTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sdr_ring_raw_")
        self.path = os.path.join(self.dir, "raw")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def writer(self, width, height, fmt, slot_count=4):
        w = RingWriter(self.path, slot_count, raw.slot_size_for(width, height, fmt))
        self.addCleanup(w.close)
        return w

    def slots(self, width, height, fmt, slot_count=4):
        """Every committed frame in the ring file, oldest first: (header, payload)."""
        slot_size = raw.slot_size_for(width, height, fmt)
        with open(self.path, "rb") as f:
            data = f.read()
        out = []
        for i in range(slot_count):
            base = 128 + i * slot_size
            if struct.unpack_from("<Q", data, base)[0] == 0:
                continue
            header = FrameHeader.unpack(data[base + 32:base + 64])
            out.append((header, data[base + 64:base + 64 + header.size]))
        return sorted(out, key=lambda frame: frame[0].frame_seq)

    def write_and_read(self, w, r, *args):
        """Writes one raw frame and reads it back (every raw frame is a keyframe: a reader
        starting late would begin at the newest)."""
        w.write_raw(*args)
        got = r.read_frame()
        self.assertIsNotNone(got)
        self.assertIsNone(r.read_frame())
        return got

    def test_byte_layout(self):
        w = self.writer(4, 2, "i420")
        pixels = bytes(range(12))
        self.assertEqual(w.write_raw(pixels, 4, 2, "i420", frame_id=77), 1)
        with open(self.path, "rb") as f:
            data = f.read()
        slot = 128
        header = FrameHeader.unpack(data[slot + 32:slot + 64])
        payload = data[slot + 64:slot + 64 + 16 + 12]
        self.assertEqual(struct.unpack_from("<Q", data, slot)[0], 2)          # committed
        self.assertEqual(header, FrameHeader(77, 1, 28, FLAG_KEYFRAME, RAW_I420, zlib.crc32(payload)))
        self.assertEqual(payload[:16], b"RAW1" + struct.pack("<III", 4, 2, 0))
        self.assertEqual(payload[16:], pixels)

    def test_accepts_bytes_bytearray_memoryview_and_shaped_buffers(self):
        w = self.writer(4, 2, "rgb24")
        r = RingReader(self.path)
        self.addCleanup(r.close)
        data = bytes(range(24))
        shaped = memoryview(bytearray(data)).cast("B", shape=[2, 4, 3])    # like a numpy HxWx3 array
        frames = [self.write_and_read(w, r, pixels, 4, 2, "rgb24")
                  for pixels in (data, bytearray(data), memoryview(data), shaped)]
        self.assertEqual([h.frame_seq for h, _, _ in frames], [1, 2, 3, 4])
        for header, payload, _ in frames:
            self.assertEqual(header.codec, RAW_RGB24)
            self.assertTrue(header.is_keyframe)
            self.assertEqual(bytes(raw.parse(payload, header.codec)[3]), data)

    @unittest.skipIf(numpy is None, "numpy not installed")
    def test_accepts_numpy_arrays(self):
        w = self.writer(5, 3, "rgb24")
        r = RingReader(self.path)
        self.addCleanup(r.close)
        image = numpy.arange(5 * 3 * 3, dtype=numpy.uint8).reshape(3, 5, 3)
        frames = [self.write_and_read(w, r, image, 5, 3, "rgb24"),
                  self.write_and_read(w, r, image.tobytes(), 5, 3, "rgb24")]
        with self.assertRaises(ValueError):
            w.write_raw(image[:, ::2], 3, 3, "rgb24")                        # not contiguous
        self.assertEqual([bytes(raw.parse(p, h.codec)[3]) for h, p, _ in frames], [image.tobytes()] * 2)

    def test_refuses_wrong_size_unknown_format_and_oversize(self):
        w = self.writer(4, 2, "rgb24")
        with self.assertRaises(ValueError) as ctx:
            w.write_raw(bytes(23), 4, 2, "rgb24")
        self.assertIn("expected=24 size=23", str(ctx.exception))
        with self.assertRaises(ValueError):
            w.write_raw(bytes(24), 4, 2, "yuv444")
        with self.assertRaises(ValueError) as ctx:
            w.write_raw(bytes(4 * 8 * 3), 4, 8, "rgb24")                    # bigger than a slot
        self.assertIn("slot_size >=", str(ctx.exception))
        with self.assertRaises(ValueError):
            w.write_raw(memoryview(bytes(48))[::2], 4, 2, "rgb24")           # strided view
        self.assertEqual(w.head, 0)
        w.write_raw(bytes(24), 4, 2, "rgb24")
        self.assertEqual(w.head, 1)

    def test_cli_write_raw(self):
        env = dict(os.environ)
        env["PYTHONPATH"] = PKG_DIR
        result = subprocess.run([sys.executable, "-m", "sdr_ring", "write-raw", "--path", self.path, "--width", "32",
                                 "--height", "18", "--format", "i420", "--fps", "0", "--frames", "3",
                                 "--slot-count", "4"], cwd=PKG_DIR, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, universal_newlines=True, timeout=30)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.splitlines(), ["ready path=%s format=i420 size=32x18" % self.path,
                                                      "done frames=3"])
        frames = self.slots(32, 18, "i420")
        self.assertEqual([h.frame_seq for h, _ in frames], [1, 2, 3])
        for header, payload in frames:
            self.assertEqual(header.crc32, zlib.crc32(payload))
            self.assertEqual(raw.parse(payload, header.codec)[:3], (32, 18, "i420"))


if __name__ == "__main__":
    unittest.main()
