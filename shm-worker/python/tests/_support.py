"""Shared test helpers: puts the package directory on sys.path."""

import os
import sys

PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if PKG_DIR not in sys.path:
    sys.path.insert(0, PKG_DIR)

REPO_ROOT = os.path.normpath(os.path.join(PKG_DIR, "..", ".."))
VECTOR_DIR = os.path.join(REPO_ROOT, "tests", "vectors", "ring")


class ScriptedU64:
    """Wraps a U64Access; load(offset) returns scripted values once, then the real one."""

    def __init__(self, real, script):
        self.real = real
        self.script = {k: list(v) for k, v in script.items()}

    def load(self, offset):
        values = self.script.get(offset)
        if values:
            return values.pop(0)
        return self.real.load(offset)

    def store(self, offset, value):
        self.real.store(offset, value)

    def release(self):
        self.real.release()
