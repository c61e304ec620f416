import unittest

from tests import _support  # noqa: F401
from sdr_ring import pattern


class PatternTest(unittest.TestCase):
    def test_definition(self):
        for seq in (0, 1, 2, 9, 255, 256, 12345678901):
            for size in (0, 1, 255, 256, 257, 1000):
                p = pattern.payload_for(seq, size)
                self.assertEqual(len(p), size)
                self.assertEqual(p, bytes((seq * 31 + i) & 0xFF for i in range(size)))
                self.assertTrue(pattern.check(seq, p))

    def test_large_and_grows(self):
        p = pattern.payload_for(7, 300000)
        self.assertEqual(len(p), 300000)
        self.assertEqual(p[299999], (7 * 31 + 299999) & 0xFF)
        self.assertTrue(pattern.check(7, p))
        self.assertTrue(pattern.check(7, memoryview(p)))

    def test_check_rejects(self):
        p = bytearray(pattern.payload_for(5, 100))
        self.assertFalse(pattern.check(6, p))
        p[50] ^= 1
        self.assertFalse(pattern.check(5, p))
        self.assertTrue(pattern.check(5, b""))

    def test_negative_size(self):
        with self.assertRaises(ValueError):
            pattern.payload_for(1, -1)


if __name__ == "__main__":
    unittest.main()
