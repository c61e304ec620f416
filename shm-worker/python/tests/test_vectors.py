import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
import unittest

from tests._support import PKG_DIR, VECTOR_DIR
from sdr_ring import RingReader, RingWriter, ShmReader, ShmWriter, pattern

ERROR_COUNTERS = ("torn", "crc_error", "bad_length", "bad_layout", "errors")
HEADER_FIELDS = ("frame_id", "frame_seq", "size", "flags", "codec", "crc32", "reserved")


def load_gen():
    spec = importlib.util.spec_from_file_location(
        "gen_vectors", os.path.join(PKG_DIR, "tools", "gen_vectors.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def load_manifest():
    with open(os.path.join(VECTOR_DIR, "manifest.json")) as f:
        return json.load(f)


class VectorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.manifest = load_manifest()
        cls.gen = load_gen()

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sdr_ring_vec_")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_manifest_and_files(self):
        m = self.manifest
        self.assertEqual(m["schema"], "sdr-ring-vectors/1")
        self.assertEqual(m["header_struct"], "<QQIHHiI")
        names = [v["name"] for v in m["vectors"]]
        self.assertEqual(len(names), len(set(names)))
        total = 0
        for v in m["vectors"]:
            with open(os.path.join(VECTOR_DIR, v["name"]), "rb") as f:
                data = f.read()
            total += len(data)
            self.assertEqual(len(data), v["file_size"], v["name"])
            self.assertEqual(hashlib.sha256(data).hexdigest(), v["sha256"], v["name"])
            self.assertIn(v["layout"], ("v1", "v2"))
            self.assertIn(v["expect"], ("ok", "no_frame", "crc_error", "bad_length",
                                        "bad_layout", "skipped_awaiting_keyframe"))
            for fr in v["frames"]:
                payload = bytes.fromhex(fr["payload_hex"])
                self.assertEqual(len(payload), fr["size"])
                self.assertTrue(pattern.check(fr["frame_seq"], payload), v["name"])
        self.assertLess(total, 200 * 1024)
        self.assertTrue(any(fr["crc32"] >= 1 << 31 for v in m["vectors"] for fr in v["frames"]))

    def test_generator_is_reproducible(self):
        manifest = self.gen.generate(self.dir)
        self.assertEqual(manifest, self.manifest)
        for name in [v["name"] for v in manifest["vectors"]] + ["manifest.json"]:
            with open(os.path.join(self.dir, name), "rb") as a, \
                    open(os.path.join(VECTOR_DIR, name), "rb") as b:
                self.assertEqual(a.read(), b.read(), name)

    # --- every vector through the readers ---------------------------------------------
    def drain_v1(self, path, gating):
        r = ShmReader(path, keyframe_gating=gating)
        try:
            frames = []
            for _ in range(5):
                header, payload = r.read_frame()
                if header is not None:
                    frames.append((header, payload, None))
            return frames, dict(r.counters)
        finally:
            r.close()

    def drain_v2(self, path):
        r = RingReader(path)
        try:
            frames = []
            for _ in range(20):
                got = r.read_frame()
                if got is not None:
                    frames.append(got)
            return frames, dict(r.counters)
        finally:
            r.close()

    def check(self, name, expect, want, frames, counters):
        self.assertEqual(len(frames), len(want), "%s: %r" % (name, counters))
        for (header, payload, commit_ns), fr in zip(frames, want):
            for field in HEADER_FIELDS:
                self.assertEqual(getattr(header, field), fr[field], "%s %s" % (name, field))
            self.assertEqual(payload, bytes.fromhex(fr["payload_hex"]), name)
            if "commit_ns" in fr:
                self.assertEqual(commit_ns, fr["commit_ns"], name)
        if expect in ("ok", "no_frame"):
            for c in ERROR_COUNTERS:
                self.assertEqual(counters.get(c, 0), 0, "%s: %s" % (name, c))
            if expect == "no_frame":
                self.assertEqual(frames, [])
        else:
            self.assertGreaterEqual(counters[expect], 1, name)
            for c in ERROR_COUNTERS:
                if c != expect:
                    self.assertEqual(counters.get(c, 0), 0, "%s: %s" % (name, c))

    def test_every_vector(self):
        for v in self.manifest["vectors"]:
            path = os.path.join(VECTOR_DIR, v["name"])
            with self.subTest(vector=v["name"]):
                if v["layout"] == "v1":
                    frames, counters = self.drain_v1(path, gating=True)
                    self.check(v["name"], v["expect"], v["frames"], frames, counters)
                    frames, counters = self.drain_v1(path, gating=False)
                    self.check(v["name"], v["ungated"]["expect"], v["ungated"]["frames"],
                               frames, counters)
                else:
                    frames, counters = self.drain_v2(path)
                    self.check(v["name"], v["expect"], v["frames"], frames, counters)
                    for key in ("slot_count", "slot_size", "epoch", "head", "created_ns"):
                        self.assertIn(key, v)

    # --- the live writers produce the same bytes as the low-level generator ----------
    def test_live_writers_match_vectors(self):
        g = self.gen
        path = os.path.join(self.dir, "ring")
        clock = iter(g.commit_ns(f) for f in range(1, 100))
        with RingWriter(path, 4, 256, epoch=g.EPOCH, clock=lambda: next(clock),
                        created_ns=g.CREATED_NS) as w:
            for f in range(1, 7):
                w.write_frame(pattern.payload_for(f, 40 + 23 * f), keyframe=f in (1, 4),
                              frame_id=g.frame_id_for(f))
        self.assertEqual(self._read(path), self._read(os.path.join(VECTOR_DIR, "v2_wrapped_keyframe.bin")))

        vec = next(v for v in self.manifest["vectors"] if v["name"] == "v1_keyframe_h264.bin")
        fr = vec["frames"][0]
        with ShmWriter(path, vec["file_size"]) as w:
            w.write_frame(bytes.fromhex(fr["payload_hex"]), keyframe=True, frame_id=fr["frame_id"])
        self.assertEqual(self._read(path), self._read(os.path.join(VECTOR_DIR, vec["name"])))

    @staticmethod
    def _read(path):
        with open(path, "rb") as f:
            return f.read()


if __name__ == "__main__":
    unittest.main()
