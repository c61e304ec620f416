"""Byte-level constants of the shared-memory frame ring (see design/RING.md).

Everything is little-endian. The 32-byte frame header is ``struct`` format
``<QQIHHiI``; its CRC-32 field is stored as a *signed* 32-bit int on the wire but
exposed here (``FrameHeader.crc32``) as the usual unsigned ``zlib.crc32`` value.
"""

import struct
import sys
import zlib
from dataclasses import dataclass

# --- frame header (both layouts) -------------------------------------------
HEADER_FORMAT = "<QQIHHiI"
HEADER_STRUCT = struct.Struct(HEADER_FORMAT)
HEADER_SIZE = HEADER_STRUCT.size
assert HEADER_SIZE == 32, HEADER_SIZE

FLAG_KEYFRAME = 0x0001
FLAG_WRAP_MARKER = 0x0002

CODEC_H264 = 1
CODEC_HEVC = 2
CODEC_RAW_FIRST = 16

# --- v1: single-slot layout -------------------------------------------------
META_SIZE = 16            # seq(u64) + write_len(u64)
META_SEQ_OFFSET = 0       # u64 commit marker, written LAST, 0 = nothing yet
META_WIDX_OFFSET = 8      # u64 write_len = 32 + payload size (seed name kept)
META_WRITE_LEN_OFFSET = META_WIDX_OFFSET
V1_DATA_OFFSET = META_SIZE
V1_MIN_FILE_SIZE = META_SIZE + HEADER_SIZE

# --- v2: slotted seqlock ring -----------------------------------------------
MAGIC = 0x32474E4952524453          # b"SDRRING2" read as little-endian u64
MAGIC_BYTES = b"SDRRING2"
assert int.from_bytes(MAGIC_BYTES, "little") == MAGIC
VERSION = 2
SUPERBLOCK_SIZE = 128
SLOT_HEADER_SIZE = 64
SLOT_ALIGNMENT = 64

SB_MAGIC_OFFSET = 0        # u64
SB_VERSION_OFFSET = 8      # u32
SB_SLOT_COUNT_OFFSET = 12  # u32
SB_SLOT_SIZE_OFFSET = 16   # u32
SB_FLAGS_OFFSET = 20       # u32
SB_EPOCH_OFFSET = 24       # u64
SB_CREATED_NS_OFFSET = 32  # u64
SB_HEAD_OFFSET = 64        # u64, own cache line

SLOT_SEQ_OFFSET = 0        # u64: 2f-1 while writing frame f, 2f once committed
SLOT_COMMIT_NS_OFFSET = 8  # u64
SLOT_FRAME_HEADER_OFFSET = 32
SLOT_PAYLOAD_OFFSET = 64

SUPERBLOCK_STRUCT = struct.Struct("<QIIIIQQ")  # magic..created_ns, offsets 0..40

U64 = struct.Struct("<Q")
U32 = struct.Struct("<I")

LITTLE_ENDIAN_HOST = sys.byteorder == "little"


def crc_to_signed(crc: int) -> int:
    """Unsigned (or any) CRC-32 value -> the signed int32 stored on the wire."""
    crc &= 0xFFFFFFFF
    return crc - 0x100000000 if crc >= 0x80000000 else crc


def crc_to_unsigned(crc: int) -> int:
    return crc & 0xFFFFFFFF


def payload_crc(payload) -> int:
    """Unsigned zlib/IEEE CRC-32 of a payload."""
    return zlib.crc32(payload) & 0xFFFFFFFF


def check_geometry(slot_count: int, slot_size: int):
    """Why a v2 geometry is unacceptable, or None when it is fine."""
    if (not isinstance(slot_count, int) or slot_count < 2 or slot_count > (1 << 30)
            or slot_count & (slot_count - 1)):
        return "slot_count must be a power of two >= 2: slot_count=%r" % (slot_count,)
    if (not isinstance(slot_size, int) or slot_size < SLOT_HEADER_SIZE + SLOT_ALIGNMENT
            or slot_size % SLOT_ALIGNMENT or slot_size > 0x7FFFFFFF):
        return "slot_size must be a multiple of 64 and >= 128: slot_size=%r" % (slot_size,)
    return None


def v2_file_size(slot_count: int, slot_size: int) -> int:
    return SUPERBLOCK_SIZE + slot_count * slot_size


def v2_slot_offset(frame_seq: int, slot_count: int, slot_size: int) -> int:
    return SUPERBLOCK_SIZE + ((frame_seq - 1) & (slot_count - 1)) * slot_size


@dataclass
class FrameHeader:
    frame_id: int
    frame_seq: int
    size: int
    flags: int
    codec: int
    crc32: int          # unsigned; converted to signed int32 only on pack
    reserved: int = 0

    @property
    def is_keyframe(self) -> bool:
        return bool(self.flags & FLAG_KEYFRAME)

    def pack(self) -> bytes:
        return HEADER_STRUCT.pack(self.frame_id, self.frame_seq, self.size, self.flags,
                                  self.codec, crc_to_signed(self.crc32), self.reserved)

    def pack_into(self, buf, offset: int) -> None:
        HEADER_STRUCT.pack_into(buf, offset, self.frame_id, self.frame_seq, self.size,
                                self.flags, self.codec, crc_to_signed(self.crc32),
                                self.reserved)

    @classmethod
    def unpack(cls, data) -> "FrameHeader":
        return cls._from_fields(HEADER_STRUCT.unpack(bytes(data[:HEADER_SIZE])))

    @classmethod
    def unpack_from(cls, buf, offset: int = 0) -> "FrameHeader":
        return cls._from_fields(HEADER_STRUCT.unpack_from(buf, offset))

    @classmethod
    def _from_fields(cls, f) -> "FrameHeader":
        return cls(frame_id=f[0], frame_seq=f[1], size=f[2], flags=f[3], codec=f[4],
                   crc32=f[5] & 0xFFFFFFFF, reserved=f[6])

    def to_dict(self) -> dict:
        return {"frame_id": self.frame_id, "frame_seq": self.frame_seq, "size": self.size,
                "flags": self.flags, "codec": self.codec, "crc32": self.crc32,
                "reserved": self.reserved}
