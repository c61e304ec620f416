"""SHM ringbuffer frame header protocol.

Frame Header (32 bytes):
    frame_id:   uint64  # Application-level ID
    frame_seq:  uint64  # Monotonic, never resets (lap detection)
    size:       uint32  # Payload size in bytes
    flags:      uint16  # FLAG_KEYFRAME, etc.
    codec:      uint16  # 1=H.264, 2=HEVC
    crc32:      uint32  # zlib.crc32 of payload
    reserved:   uint32
"""

import struct
from dataclasses import dataclass

# Header format: 2 uint64, 1 uint32, 1 uint16, 1 uint16, 2 uint32 = 32 bytes
HEADER_FORMAT = "<QQIHHiI"
HEADER_SIZE = struct.calcsize(HEADER_FORMAT)
assert HEADER_SIZE == 32, f"Header must be 32 bytes, got {HEADER_SIZE}"

# Flags
FLAG_KEYFRAME = 0x0001
FLAG_WRAP_MARKER = 0x0002

# Codec IDs
CODEC_H264 = 1
CODEC_HEVC = 2

# Ringbuffer metadata offsets (first 16 bytes of SHM region)
META_SIZE = 16
META_SEQ_OFFSET = 0       # uint64: sequence_number (written LAST)
META_WIDX_OFFSET = 8      # uint64: write_index


@dataclass
class FrameHeader:
    frame_id: int
    frame_seq: int
    size: int
    flags: int
    codec: int
    crc32: int
    reserved: int = 0

    @property
    def is_keyframe(self) -> bool:
        return bool(self.flags & FLAG_KEYFRAME)

    def pack(self) -> bytes:
        return struct.pack(
            HEADER_FORMAT,
            self.frame_id,
            self.frame_seq,
            self.size,
            self.flags,
            self.codec,
            self.crc32,
            self.reserved,
        )

    @classmethod
    def unpack(cls, data: bytes) -> "FrameHeader":
        fields = struct.unpack(HEADER_FORMAT, data)
        return cls(
            frame_id=fields[0],
            frame_seq=fields[1],
            size=fields[2],
            flags=fields[3],
            codec=fields[4],
            crc32=fields[5],
            reserved=fields[6],
        )
