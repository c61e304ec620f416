"""sdr_ring: the shared-memory frame ring of the SDR transport system (design/RING.md).

Standard library only. v1 (single slot, seed-compatible) and v2 (slotted seqlock ring).
"""

from .protocol import (
    CODEC_H264,
    CODEC_HEVC,
    FLAG_KEYFRAME,
    FLAG_WRAP_MARKER,
    HEADER_SIZE,
    MAGIC,
    VERSION,
    FrameHeader,
)
from .v1 import ShmReader, ShmWriter
from .v2 import RingReader, RingWriter
from . import pattern

__all__ = [
    "CODEC_H264", "CODEC_HEVC", "FLAG_KEYFRAME", "FLAG_WRAP_MARKER", "HEADER_SIZE",
    "MAGIC", "VERSION", "FrameHeader", "ShmReader", "ShmWriter", "RingReader",
    "RingWriter", "pattern", "detect_layout",
]


def detect_layout(path: str):
    """"v2" if the file starts with the v2 magic, "v1" if it exists otherwise, else None."""
    try:
        with open(path, "rb") as f:
            first = f.read(8)
    except OSError:
        return None
    if len(first) < 8:
        return None
    return "v2" if int.from_bytes(first, "little") == MAGIC else "v1"
