import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

from tests._support import PKG_DIR


def env():
    e = dict(os.environ)
    e["PYTHONPATH"] = PKG_DIR + (os.pathsep + e["PYTHONPATH"] if e.get("PYTHONPATH") else "")
    return e


def run(*args, timeout=30):
    return subprocess.run([sys.executable, "-m", "sdr_ring"] + list(args), cwd=PKG_DIR,
                          env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=timeout)


class CliTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sdr_ring_cli_")
        self.path = os.path.join(self.dir, "shm", "frames")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def start_writer(self, *args):
        p = subprocess.Popen([sys.executable, "-m", "sdr_ring", "write", "--path", self.path]
                             + list(args), cwd=PKG_DIR, env=env(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, universal_newlines=True)

        def cleanup():
            if p.poll() is None:
                p.kill()
            p.communicate()
        self.addCleanup(cleanup)
        line = p.stdout.readline()
        self.assertTrue(line.startswith("ready path=%s layout=" % self.path), line)
        return p

    def stop_writer(self, p):
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=10)
        self.assertEqual(p.returncode, 0, err)
        self.assertRegex(out.strip().splitlines()[-1], r"^done frames=\d+$")
        return int(out.strip().splitlines()[-1].split("=")[1])

    @staticmethod
    def frames(result):
        return [json.loads(line) for line in result.stdout.splitlines()]

    @staticmethod
    def summary(result):
        return json.loads(result.stderr.strip().splitlines()[-1])

    def assert_in_order(self, frames):
        seqs = [f["frame_seq"] for f in frames]
        self.assertEqual(seqs, sorted(set(seqs)))
        self.assertTrue(all(f["pattern_ok"] for f in frames), frames)

    def test_v2_finite_write_then_read(self):
        w = run("write", "--layout", "v2", "--path", self.path, "--frames", "10", "--gop", "5",
                "--slot-count", "16", "--slot-size", "4096", "--size", "500",
                "--size-jitter", "100", "--codec", "2")
        self.assertEqual(w.returncode, 0, w.stderr)
        self.assertEqual(w.stdout.splitlines(),
                         ["ready path=%s layout=v2" % self.path, "done frames=10"])
        r = run("read", "--layout", "v2", "--path", self.path, "--count", "5", "--timeout-s", "5")
        self.assertEqual(r.returncode, 0, r.stderr)
        frames = self.frames(r)
        self.assertEqual([f["frame_seq"] for f in frames], [6, 7, 8, 9, 10])
        for f in frames:
            self.assertEqual(f["size"], 500 + f["frame_seq"] * 7919 % 101)
            self.assertEqual((f["codec"], f["flags"], f["frame_id"], f["reserved"]),
                             (2, 1 if f["frame_seq"] == 6 else 0, f["frame_seq"], 0))
            self.assertTrue(f["pattern_ok"])
            self.assertIn("commit_ns", f)
            self.assertEqual(len(f["sha256"]), 64)
        # the sha256 is of the pattern payload
        sys.path.insert(0, PKG_DIR)
        from sdr_ring import pattern
        self.assertEqual(frames[0]["sha256"],
                         hashlib.sha256(pattern.payload_for(6, frames[0]["size"])).hexdigest())
        self.assertEqual(self.summary(r)["counters"]["frames"], 5)

        dump = run("dump", "--path", self.path)
        self.assertEqual(dump.returncode, 0, dump.stderr)
        d = json.loads(dump.stdout)
        self.assertEqual(d["superblock"]["magic"], "0x32474E4952524453")
        self.assertEqual((d["superblock"]["head"], d["superblock"]["slot_count"]), (10, 16))
        self.assertEqual(len(d["slots"]), 16)

    def test_v2_streaming_and_sigterm(self):
        p = self.start_writer("--layout", "v2", "--frames", "0", "--fps", "400", "--gop", "10",
                              "--slot-count", "64", "--size", "2000", "--size-jitter", "500")
        r = run("read", "--layout", "auto", "--path", self.path, "--count", "30", "--timeout-s", "10")
        self.assertEqual(r.returncode, 0, r.stderr)
        frames = self.frames(r)
        self.assertEqual(len(frames), 30)
        self.assert_in_order(frames)
        self.assertTrue(frames[0]["flags"] & 1)
        self.assertEqual(self.summary(r)["layout"], "v2")
        self.assertGreaterEqual(self.stop_writer(p), 30)

    def test_v2_full_speed_large_payloads_never_torn(self):
        p = self.start_writer("--layout", "v2", "--frames", "0", "--size", "100000",
                              "--size-jitter", "20000", "--gop", "8", "--slot-count", "16")
        for extra in ([], ["--no-crc"]):
            r = run("read", "--layout", "v2", "--path", self.path, "--count", "40",
                    "--timeout-s", "10", *extra)
            self.assertEqual(r.returncode, 0, r.stderr)
            frames = self.frames(r)
            self.assertEqual(len(frames), 40)
            self.assert_in_order(frames)
        self.stop_writer(p)

    def test_v1_streaming(self):
        p = self.start_writer("--layout", "v1", "--frames", "0", "--fps", "300", "--size", "3000",
                              "--buf-size", "65536")
        r = run("read", "--layout", "auto", "--path", self.path, "--count", "5", "--timeout-s", "10")
        self.assertEqual(r.returncode, 0, r.stderr)
        frames = self.frames(r)
        self.assertEqual(len(frames), 5)
        self.assert_in_order(frames)
        self.assertNotIn("commit_ns", frames[0])
        self.assertEqual(self.summary(r)["layout"], "v1")
        self.stop_writer(p)
        dump = json.loads(run("dump", "--path", self.path).stdout)
        self.assertEqual(dump["layout"], "v1")
        self.assertEqual(dump["write_len"], 32 + 3000)

    def test_read_timeout_exit_3(self):
        r = run("read", "--path", os.path.join(self.dir, "missing"), "--count", "1",
                "--timeout-s", "0.3")
        self.assertEqual(r.returncode, 3)
        self.assertTrue(self.summary(r)["timeout"])
        w = run("write", "--layout", "v2", "--path", self.path, "--frames", "3", "--gop", "0",
                "--slot-count", "4", "--slot-size", "4096")
        self.assertEqual(w.returncode, 0, w.stderr)
        r = run("read", "--layout", "v2", "--path", self.path, "--count", "5", "--timeout-s", "0.3")
        self.assertEqual(r.returncode, 3)
        self.assertEqual([f["frame_seq"] for f in self.frames(r)], [1, 2, 3])

    def test_write_rejects_bad_geometry(self):
        r = run("write", "--layout", "v2", "--path", self.path, "--frames", "1", "--slot-count", "3")
        self.assertEqual(r.returncode, 2)
        self.assertIn("slot_count=3", r.stderr)
        r = run("write", "--layout", "v2", "--path", self.path, "--frames", "1",
                "--slot-size", "256", "--size", "500")
        self.assertEqual(r.returncode, 2)
        self.assertIn("max_payload=192", r.stderr)


if __name__ == "__main__":
    unittest.main()
