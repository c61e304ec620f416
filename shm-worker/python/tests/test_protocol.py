import struct
import unittest
import zlib

from tests import _support  # noqa: F401
from sdr_ring.protocol import (
    CODEC_H264, CODEC_HEVC, FLAG_KEYFRAME, FLAG_WRAP_MARKER, HEADER_FORMAT, HEADER_SIZE,
    MAGIC, MAGIC_BYTES, SLOT_HEADER_SIZE, SUPERBLOCK_SIZE, VERSION, FrameHeader,
    check_geometry, crc_to_signed,
)


class FrameHeaderTest(unittest.TestCase):
    def test_pack_unpack_roundtrip(self):
        hdr = FrameHeader(frame_id=1, frame_seq=42, size=1024, flags=FLAG_KEYFRAME,
                          codec=CODEC_H264, crc32=0xDEADBEEF)
        data = hdr.pack()
        self.assertEqual(len(data), 32)
        got = FrameHeader.unpack(data)
        self.assertEqual(got, hdr)
        self.assertEqual(got.crc32, 0xDEADBEEF)
        # On the wire the CRC is a signed int32 with the same bits.
        self.assertEqual(struct.unpack_from("<i", data, 24)[0], 0xDEADBEEF - (1 << 32))
        self.assertEqual(data[24:28], (0xDEADBEEF).to_bytes(4, "little"))

    def test_is_keyframe(self):
        self.assertTrue(FrameHeader(0, 0, 0, FLAG_KEYFRAME, CODEC_H264, 0).is_keyframe)
        self.assertFalse(FrameHeader(0, 0, 0, 0, CODEC_H264, 0).is_keyframe)
        self.assertFalse(FrameHeader(0, 0, 0, FLAG_WRAP_MARKER, CODEC_HEVC, 0).is_keyframe)

    def test_layout_of_fields(self):
        hdr = FrameHeader(0x0102030405060708, 0x1112131415161718, 0x21222324, 0x3132,
                          0x4142, 0x51525354, 0x61626364)
        self.assertEqual(hdr.pack(), struct.pack(HEADER_FORMAT, *(
            0x0102030405060708, 0x1112131415161718, 0x21222324, 0x3132, 0x4142,
            0x51525354, 0x61626364)))
        buf = bytearray(40)
        hdr.pack_into(buf, 8)
        self.assertEqual(FrameHeader.unpack_from(buf, 8), hdr)

    def test_every_crc_packs(self):
        for crc in (0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF):
            hdr = FrameHeader(1, 1, 0, 0, CODEC_H264, crc)
            self.assertEqual(FrameHeader.unpack(hdr.pack()).crc32, crc)
        self.assertEqual(crc_to_signed(0x80000000), -0x80000000)
        self.assertEqual(crc_to_signed(-1), -1)

    def test_high_crc_payloads(self):
        highs = 0
        for i in range(64):
            payload = ("payload-%d" % i).encode() * 7
            crc = zlib.crc32(payload) & 0xFFFFFFFF
            highs += crc >= 0x80000000
            hdr = FrameHeader(i, i, len(payload), 0, CODEC_H264, crc)
            self.assertEqual(FrameHeader.unpack(hdr.pack()).crc32, crc)
        self.assertGreater(highs, 0)

    def test_constants(self):
        self.assertEqual(HEADER_SIZE, 32)
        self.assertEqual(MAGIC.to_bytes(8, "little"), b"SDRRING2")
        self.assertEqual(MAGIC_BYTES, b"SDRRING2")
        self.assertEqual((VERSION, SUPERBLOCK_SIZE, SLOT_HEADER_SIZE), (2, 128, 64))
        self.assertEqual((CODEC_H264, CODEC_HEVC, FLAG_KEYFRAME, FLAG_WRAP_MARKER), (1, 2, 1, 2))

    def test_check_geometry(self):
        self.assertIsNone(check_geometry(2, 128))
        self.assertIsNone(check_geometry(64, 262144))
        self.assertIn("slot_count=3", check_geometry(3, 128))
        self.assertIn("slot_count=1", check_geometry(1, 128))
        self.assertIn("slot_size=64", check_geometry(4, 64))
        self.assertIn("slot_size=200", check_geometry(4, 200))


if __name__ == "__main__":
    unittest.main()
