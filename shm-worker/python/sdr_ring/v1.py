"""v1: the original single-slot layout, byte-exact with the seed plan.

::

    0        8            16                       16+write_len
    | seq    | write_len  | header(32) | payload   |  unused

The writer stores header+payload at 16, then ``write_len``, then ``seq`` LAST.
The reader returns the latest committed frame ("latest wins").
"""

from typing import Optional, Tuple

from ._shm import MappedReader, MappedWriter, ReadMapping, U64Access, create_mapped_file
from .protocol import (
    CODEC_H264,
    FLAG_KEYFRAME,
    HEADER_SIZE,
    META_SEQ_OFFSET,
    META_SIZE,
    META_WRITE_LEN_OFFSET,
    V1_MIN_FILE_SIZE,
    FrameHeader,
    payload_crc,
)

V1_COUNTER_NAMES = ("frames", "no_new", "torn", "crc_error", "bad_length", "bad_layout", "lapped",
                    "resyncs", "skipped_awaiting_keyframe", "frames_lost", "no_file",
                    "remaps", "errors")


class ShmWriter(MappedWriter):
    """Writes encoded frames into a v1 single-slot ring file.

    Every writer start creates a new file (temp file + rename, new inode) whose commit
    ``seq`` and ``frame_seq`` start at 1.
    """

    def __init__(self, path: str, buf_size: int):
        if not isinstance(buf_size, int) or buf_size < V1_MIN_FILE_SIZE:
            raise ValueError("buf_size must be >= %d: buf_size=%r" % (V1_MIN_FILE_SIZE, buf_size))
        self._path = path
        self._buf_size = buf_size
        self._data_size = buf_size - META_SIZE
        self._seq = 0
        self._mm = create_mapped_file(path, buf_size)
        self._u64 = U64Access(self._mm, META_SIZE)

    @property
    def path(self) -> str:
        return self._path

    @property
    def buf_size(self) -> int:
        return self._buf_size

    @property
    def max_payload(self) -> int:
        return self._data_size - HEADER_SIZE

    @property
    def next_seq(self) -> int:
        """frame_seq the next write_frame() call will use."""
        return self._seq + 1

    def write_frame(self, payload, codec: int = CODEC_H264, keyframe: bool = False,
                    frame_id: Optional[int] = None) -> int:
        """Overwrite the slot with one frame and commit it; returns its frame_seq."""
        if self._mm is None:
            raise ValueError("writer is closed")
        size = len(payload)
        frame_len = HEADER_SIZE + size
        if frame_len > self._data_size:
            raise ValueError("frame does not fit the buffer: frame_len=%d data_size=%d"
                             % (frame_len, self._data_size))
        seq = self._seq + 1
        header = FrameHeader(
            frame_id=seq if frame_id is None else frame_id,
            frame_seq=seq,
            size=size,
            flags=FLAG_KEYFRAME if keyframe else 0,
            codec=codec,
            crc32=payload_crc(payload),
        )
        mm = self._mm
        header.pack_into(mm, META_SIZE)
        mm[META_SIZE + HEADER_SIZE:META_SIZE + frame_len] = payload
        self._u64.store(META_WRITE_LEN_OFFSET, frame_len)
        self._u64.store(META_SEQ_OFFSET, seq)   # commit marker, LAST
        self._seq = seq
        return seq


class ShmReader(MappedReader):
    """Reads the latest frame of a v1 ring file.

    ``read_frame()`` returns ``(FrameHeader, payload)`` or ``(None, None)`` when there is
    no new frame, the copy was torn, a length is out of range or the CRC does not match.
    It never raises on file contents; outcomes are counted in ``counters``.

    The file may be missing, re-created (new inode) or resized: the reader re-maps.
    ``buf_size`` is accepted for compatibility; the mapping always covers the actual file.
    With ``keyframe_gating=True`` frames are withheld after start or any lost frame until
    a keyframe (the seed reader, and the default here, does not gate).
    """

    def __init__(self, path: str, buf_size: Optional[int] = None, crc_check: bool = True,
                 keyframe_gating: bool = False):
        self._path = path
        self._buf_size = buf_size
        self._crc_check = crc_check
        self._gating = keyframe_gating
        self._map = None            # type: Optional[ReadMapping]
        self._ident = None
        self._last_seq = 0
        self._last_frame_seq = 0
        self._awaiting = True
        self.counters = dict.fromkeys(V1_COUNTER_NAMES, 0)
        self._ensure_mapping()

    @property
    def _mm(self):
        """The current read-only mapping (None when the file is not there)."""
        return self._map.mm if self._map is not None else None

    def _ensure_mapping(self) -> Optional[ReadMapping]:
        m = self._map
        if m is not None and not m.has_changed():
            return m
        if m is not None:
            m.close()
            self._map = None
        m = ReadMapping.open_if_ready(self._path, V1_MIN_FILE_SIZE)
        if m is None:
            return None
        self._map = m
        self.counters["remaps"] += 1
        if m.ident != self._ident:
            if self._ident is not None:
                # Another file: the writer restarted, its seq counts from 1 again.
                self.counters["resyncs"] += 1
            self._ident = m.ident
            self._last_seq = 0
            self._last_frame_seq = 0
            self._awaiting = True
        return m

    def read_frame(self) -> Tuple[Optional[FrameHeader], Optional[bytes]]:
        m = self._ensure_mapping()
        if m is None:
            self.counters["no_file"] += 1
            return (None, None)
        try:
            return self._poll(m)
        except (ValueError, IndexError, OverflowError, OSError):
            self.counters["errors"] += 1
            return (None, None)

    def _drop(self, seq: int, outcome: str):
        # Count a bad commit once, and gate until a keyframe.
        self._last_seq = seq
        self._awaiting = True
        self.counters[outcome] += 1
        return (None, None)

    def _torn_or_drop(self, u64, seq: int, write_len: int):
        # A write_len stored byte by byte reads as a mix of two lengths while the writer stores
        # the next frame's: if it or seq moved, read again on the next call instead of dropping.
        if u64.load(META_WRITE_LEN_OFFSET) != write_len or u64.load(META_SEQ_OFFSET) != seq:
            self.counters["torn"] += 1
            return (None, None)
        return self._drop(seq, "bad_length")

    def _poll(self, m: ReadMapping):
        u64 = m.u64
        s1 = u64.load(META_SEQ_OFFSET)
        if s1 == 0 or s1 == self._last_seq:
            self.counters["no_new"] += 1
            return (None, None)
        write_len = u64.load(META_WRITE_LEN_OFFSET)
        if write_len < HEADER_SIZE or write_len > m.size - META_SIZE:
            return self._torn_or_drop(u64, s1, write_len)
        mm = m.mm
        raw_header = mm[META_SIZE:META_SIZE + HEADER_SIZE]
        payload = mm[META_SIZE + HEADER_SIZE:META_SIZE + write_len]
        if u64.load(META_SEQ_OFFSET) != s1:
            self.counters["torn"] += 1          # retried on the next poll
            return (None, None)
        header = FrameHeader.unpack(raw_header)
        if header.size != write_len - HEADER_SIZE:
            return self._torn_or_drop(u64, s1, write_len)
        if self._crc_check and payload_crc(payload) != header.crc32:
            return self._drop(s1, "crc_error")
        if header.frame_seq == 0:
            # frame_seq starts at 1; 0 would pass the "already seen" check below on every commit
            # and be delivered again and again (the Java reader's fuzz test found it there).
            return self._drop(s1, "bad_layout")
        self._last_seq = s1
        last = self._last_frame_seq
        if last and header.frame_seq == last:
            # The writer stores write_len before seq: a poll in between can copy the new frame under
            # the old seq, and the next poll would see it again under its own seq. Deliver it once.
            self.counters["no_new"] += 1
            return (None, None)
        if last and header.frame_seq != last + 1:
            if header.frame_seq <= last:
                self.counters["resyncs"] += 1
            else:
                self.counters["lapped"] += 1
                self.counters["frames_lost"] += header.frame_seq - last - 1
            self._awaiting = True
        self._last_frame_seq = header.frame_seq
        if header.is_keyframe:
            self._awaiting = False
        elif self._gating and self._awaiting:
            self.counters["skipped_awaiting_keyframe"] += 1
            return (None, None)
        self.counters["frames"] += 1
        return (header, payload)
