"""Shared memory primitives for zero-copy frame transport."""

from genesis_bridge.shm.protocol import FrameHeader, FLAG_KEYFRAME, CODEC_H264, CODEC_HEVC
from genesis_bridge.shm.ringbuffer import ShmWriter, ShmReader

__all__ = [
    "FrameHeader",
    "FLAG_KEYFRAME",
    "CODEC_H264",
    "CODEC_HEVC",
    "ShmWriter",
    "ShmReader",
]
