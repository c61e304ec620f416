"""SHM ringbuffer writer and reader.

Layout:
    [0:8]   sequence_number (uint64, written LAST - commit marker)
    [8:16]  write_index (uint64)
    [16:]   frame data (header + payload)

Atomic commit pattern:
    Writer: write header+payload, then write_index, then sequence LAST
    Reader: read seq1 -> read write_index -> read data -> read seq2
            accept only if seq1 == seq2

Drop policy: "latest wins" - reader always gets the most recent frame.
"""

import mmap
import os
import struct
import zlib

from genesis_bridge.shm.protocol import (
    CODEC_H264,
    FLAG_KEYFRAME,
    HEADER_SIZE,
    META_SEQ_OFFSET,
    META_SIZE,
    META_WIDX_OFFSET,
    FrameHeader,
)


class ShmWriter:
    """Writes encoded video frames to a shared memory ringbuffer."""

    def __init__(self, path: str, buf_size: int):
        self._path = path
        self._buf_size = buf_size
        self._data_size = buf_size - META_SIZE
        self._seq = 0
        self._frame_id = 0

        # Create and size the backing file
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o666)
        os.ftruncate(fd, buf_size)
        self._fd = fd
        self._mm = mmap.mmap(fd, buf_size)

        # Zero metadata
        self._mm[0:META_SIZE] = b"\x00" * META_SIZE

    def write_frame(self, payload: bytes, codec: int = CODEC_H264, keyframe: bool = False) -> None:
        """Write a single frame (header + payload) into the ringbuffer.

        Overwrites whatever was there before (latest-wins single-slot).
        """
        self._seq += 1
        self._frame_id += 1

        flags = FLAG_KEYFRAME if keyframe else 0
        crc = zlib.crc32(payload) & 0xFFFFFFFF

        header = FrameHeader(
            frame_id=self._frame_id,
            frame_seq=self._seq,
            size=len(payload),
            flags=flags,
            codec=codec,
            crc32=crc,
        )

        frame_data = header.pack() + payload
        frame_len = len(frame_data)

        if frame_len > self._data_size:
            raise ValueError(
                f"Frame ({frame_len}B) exceeds data region ({self._data_size}B)"
            )

        # Write frame data at the start of data region
        write_offset = META_SIZE
        self._mm[write_offset : write_offset + frame_len] = frame_data

        # Commit: write write_index, then sequence LAST
        struct.pack_into("<Q", self._mm, META_WIDX_OFFSET, frame_len)
        struct.pack_into("<Q", self._mm, META_SEQ_OFFSET, self._seq)

    def close(self) -> None:
        self._mm.close()
        os.close(self._fd)


class ShmReader:
    """Reads encoded video frames from a shared memory ringbuffer."""

    def __init__(self, path: str, buf_size: int):
        self._path = path
        self._buf_size = buf_size
        self._last_seq = 0

        fd = os.open(path, os.O_RDONLY)
        self._fd = fd
        self._mm = mmap.mmap(fd, buf_size, access=mmap.ACCESS_READ)

    def read_frame(self) -> tuple:
        """Read the latest frame if available.

        Returns:
            (FrameHeader, bytes) on success
            (None, None) if no new frame or CRC mismatch
        """
        # Atomic read: seq1 -> data -> seq2, accept if seq1 == seq2
        seq1 = struct.unpack_from("<Q", self._mm, META_SEQ_OFFSET)[0]

        if seq1 == 0 or seq1 == self._last_seq:
            return (None, None)

        write_len = struct.unpack_from("<Q", self._mm, META_WIDX_OFFSET)[0]

        # Read frame data
        read_offset = META_SIZE
        frame_data = bytes(self._mm[read_offset : read_offset + write_len])

        # Verify sequence didn't change during read
        seq2 = struct.unpack_from("<Q", self._mm, META_SEQ_OFFSET)[0]
        if seq1 != seq2:
            return (None, None)  # Writer was mid-write, skip

        if len(frame_data) < HEADER_SIZE:
            return (None, None)

        header = FrameHeader.unpack(frame_data[:HEADER_SIZE])
        payload = frame_data[HEADER_SIZE:]

        # CRC check
        expected_crc = zlib.crc32(payload) & 0xFFFFFFFF
        if expected_crc != header.crc32:
            return (None, None)

        self._last_seq = seq1
        return (header, payload)

    def close(self) -> None:
        self._mm.close()
        os.close(self._fd)
