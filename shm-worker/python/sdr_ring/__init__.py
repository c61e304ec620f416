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
from . import pattern, raw
from .raw import (
    RAW_BGR24,
    RAW_BGRA,
    RAW_GRAY8,
    RAW_I420,
    RAW_NV12,
    RAW_RGB24,
    RAW_RGBA,
)

__all__ = [
    "CODEC_H264", "CODEC_HEVC", "FLAG_KEYFRAME", "FLAG_WRAP_MARKER", "HEADER_SIZE",
    "MAGIC", "VERSION", "FrameHeader", "ShmReader", "ShmWriter", "RingReader",
    "RingWriter", "pattern", "detect_layout", "raw", "RAW_RGB24", "RAW_BGR24", "RAW_RGBA",
    "RAW_BGRA", "RAW_I420", "RAW_NV12", "RAW_GRAY8",
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
