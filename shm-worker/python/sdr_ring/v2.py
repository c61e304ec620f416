"""v2: a ring of fixed-size slots, each guarded by its own seqlock (design/RING.md).

::

    superblock (128 bytes): magic u64 | version u32 | slot_count u32 | slot_size u32 |
                            flags u32 | epoch u64 | created_ns u64 | ... | head u64 @64
    slot i at 128 + i*slot_size, frame f in slot (f-1) % slot_count:
        seq u64 (2f-1 writing, 2f committed) | commit_ns u64 | 0.. | header @32 | payload @64
"""

import logging
import os
import struct
import time
import zlib
from typing import Callable, Optional, Tuple

from . import raw
from ._shm import MappedReader, MappedWriter, ReadMapping, U64Access, create_mapped_file
from .protocol import (
    CODEC_H264,
    FLAG_KEYFRAME,
    MAGIC,
    SB_CREATED_NS_OFFSET,
    SB_EPOCH_OFFSET,
    SB_HEAD_OFFSET,
    SLOT_COMMIT_NS_OFFSET,
    SLOT_FRAME_HEADER_OFFSET,
    SLOT_HEADER_SIZE,
    SLOT_PAYLOAD_OFFSET,
    SLOT_SEQ_OFFSET,
    SUPERBLOCK_SIZE,
    SUPERBLOCK_STRUCT,
    VERSION,
    FrameHeader,
    check_geometry,
    payload_crc,
    v2_file_size,
)

DEFAULT_SLOT_COUNT = 64
DEFAULT_SLOT_SIZE = 256 * 1024

V2_COUNTER_NAMES = ("frames", "no_new", "torn", "crc_error", "bad_length", "lapped",
                    "resyncs", "skipped_awaiting_keyframe", "frames_lost", "no_file",
                    "bad_layout", "remaps", "errors", "writer_rewound")

_GEOMETRY = struct.Struct("<IIII")      # version, slot_count, slot_size, flags @ 8
_U16 = struct.Struct("<H")
_FLAGS_IN_HEADER = 20
_LOG = logging.getLogger(__name__)


def random_epoch() -> int:
    while True:
        epoch = int.from_bytes(os.urandom(8), "little")
        if epoch:
            return epoch


def init_superblock(buf, slot_count: int, slot_size: int, epoch: int, created_ns: int,
                    head: int = 0) -> None:
    SUPERBLOCK_STRUCT.pack_into(buf, 0, MAGIC, VERSION, slot_count, slot_size, 0, epoch,
                                created_ns)
    struct.pack_into("<Q", buf, SB_HEAD_OFFSET, head)


class RingWriter(MappedWriter):
    """Writes frames into a v2 ring file; every start creates a new file with a new epoch.

    ``epoch``, ``clock`` (ns, default ``time.monotonic_ns``) and ``created_ns`` can be
    injected to make files byte-reproducible.
    """

    def __init__(self, path: str, slot_count: int = DEFAULT_SLOT_COUNT,
                 slot_size: int = DEFAULT_SLOT_SIZE, epoch: Optional[int] = None,
                 clock: Optional[Callable[[], int]] = None, created_ns: Optional[int] = None):
        problem = check_geometry(slot_count, slot_size)
        if problem:
            raise ValueError(problem)
        if epoch is None:
            epoch = random_epoch()
        elif not isinstance(epoch, int) or not 0 < epoch < (1 << 64):
            raise ValueError("epoch must be a non-zero u64: epoch=%r" % (epoch,))
        self._clock = clock or time.monotonic_ns
        if created_ns is None:
            created_ns = self._clock()
        self._path = path
        self._slot_count = slot_count
        self._slot_size = slot_size
        self._mask = slot_count - 1
        self._epoch = epoch
        self._created_ns = created_ns
        self._head = 0
        size = v2_file_size(slot_count, slot_size)
        self._mm = create_mapped_file(
            path, size, lambda mm: init_superblock(mm, slot_count, slot_size, epoch, created_ns))
        self._u64 = U64Access(self._mm, size)

    path = property(lambda self: self._path)
    slot_count = property(lambda self: self._slot_count)
    slot_size = property(lambda self: self._slot_size)
    epoch = property(lambda self: self._epoch)
    created_ns = property(lambda self: self._created_ns)
    head = property(lambda self: self._head)
    max_payload = property(lambda self: self._slot_size - SLOT_HEADER_SIZE)

    @property
    def next_seq(self) -> int:
        return self._head + 1

    def write_frame(self, payload, codec: int = CODEC_H264, keyframe: bool = False,
                    frame_id: Optional[int] = None) -> int:
        """Write and commit frame ``head + 1``; returns its frame_seq."""
        if self._mm is None:
            raise ValueError("writer is closed")
        size = len(payload)
        if size > self._slot_size - SLOT_HEADER_SIZE:
            raise ValueError("payload does not fit a slot: size=%d max_payload=%d"
                             % (size, self._slot_size - SLOT_HEADER_SIZE))
        f = self._head + 1
        base = SUPERBLOCK_SIZE + ((f - 1) & self._mask) * self._slot_size
        u64 = self._u64
        mm = self._mm
        u64.store(base + SLOT_SEQ_OFFSET, 2 * f - 1)
        FrameHeader(
            frame_id=f if frame_id is None else frame_id,
            frame_seq=f,
            size=size,
            flags=FLAG_KEYFRAME if keyframe else 0,
            codec=codec,
            crc32=payload_crc(payload),
        ).pack_into(mm, base + SLOT_FRAME_HEADER_OFFSET)
        start = base + SLOT_PAYLOAD_OFFSET
        mm[start:start + size] = payload
        u64.store(base + SLOT_COMMIT_NS_OFFSET, self._clock())
        u64.store(base + SLOT_SEQ_OFFSET, 2 * f)
        u64.store(SB_HEAD_OFFSET, f)
        self._head = f
        return f

    def write_raw(self, pixels, width: int, height: int, fmt, frame_id: Optional[int] = None) -> int:
        """Write one raw picture (docs/RING-RAW.md) as frame ``head + 1``; returns its frame_seq.

        ``pixels``: tightly packed bytes of format ``fmt`` ("rgb24", "bgr24", "rgba", "bgra",
        "i420", "nv12", "gray8" or the codec id), e.g. ``numpy_array.tobytes()`` or the array
        itself (any C-contiguous buffer; no copy is made). The frame is flagged as a keyframe:
        every raw frame stands alone. Size the ring with ``raw.slot_size_for(width, height, fmt)``.
        """
        if self._mm is None:
            raise ValueError("writer is closed")
        code = raw.format_code(fmt)
        expected = raw.pixel_bytes(width, height, code)
        view = raw.as_bytes_view(pixels)
        if view.nbytes != expected:
            raise ValueError("pixels do not match the picture: fmt=%s width=%d height=%d expected=%d size=%d"
                             % (raw.FORMAT_NAMES[code], width, height, expected, view.nbytes))
        size = raw.RAW_HEADER_SIZE + expected
        if size > self._slot_size - SLOT_HEADER_SIZE:
            raise ValueError("raw frame does not fit a slot: size=%d max_payload=%d (slot_size >= %d needed)"
                             % (size, self._slot_size - SLOT_HEADER_SIZE, raw.slot_size_for(width, height, code)))
        header = raw.pack_header(width, height)
        return self._write_parts((header, view), size, code, True, frame_id)

    def _write_parts(self, parts, size: int, codec: int, keyframe: bool, frame_id) -> int:
        """write_frame for a payload given as consecutive parts (no concatenation)."""
        f = self._head + 1
        base = SUPERBLOCK_SIZE + ((f - 1) & self._mask) * self._slot_size
        u64 = self._u64
        mm = self._mm
        u64.store(base + SLOT_SEQ_OFFSET, 2 * f - 1)
        crc = 0
        at = base + SLOT_PAYLOAD_OFFSET
        for part in parts:
            n = len(part) if not isinstance(part, memoryview) else part.nbytes
            mm[at:at + n] = part
            crc = zlib.crc32(part, crc)
            at += n
        FrameHeader(
            frame_id=f if frame_id is None else frame_id,
            frame_seq=f,
            size=size,
            flags=FLAG_KEYFRAME if keyframe else 0,
            codec=codec,
            crc32=crc & 0xFFFFFFFF,
        ).pack_into(mm, base + SLOT_FRAME_HEADER_OFFSET)
        u64.store(base + SLOT_COMMIT_NS_OFFSET, self._clock())
        u64.store(base + SLOT_SEQ_OFFSET, 2 * f)
        u64.store(SB_HEAD_OFFSET, f)
        self._head = f
        return f


class RingReader(MappedReader):
    """Delivers the frames of a v2 ring IN ORDER.

    ``read_frame()`` returns ``(FrameHeader, payload, commit_ns)`` or ``None``. It never
    raises on file contents; every outcome is counted in ``counters``.

    * On start, after a resync (new epoch, new file) or a lap it starts at the newest
      keyframe still in the ring (scanning back from head; the scan looks only at slot seq
      and the keyframe flag), or after head when there is none.
    * Within one epoch of one file it never delivers a frame_seq at or below one already
      delivered or dropped: ``next_seq`` only moves forward.
    * A u64 that looks torn (written by a writer that stores it byte by byte): a head behind
      what was delivered, a head whose slot does not hold it, a slot seq below what head
      promised. It is read again on the next calls (counted ``torn``) and believed only once
      it stays wrong on ``CONFIRM_POLLS`` calls over ``CONFIRM_NS``. A head that stays behind
      is counted ``writer_rewound`` (logged once); delivery resumes at a keyframe once head
      is past the last frame delivered.
    * Keyframe gating: after start/resync/lap or any lost frame (torn, bad length, CRC)
      non-keyframes are skipped until a keyframe.
    * A frame is delivered only if its slot seq was 2f before and after the copy.

    ``clock`` (ns, default ``time.monotonic_ns``) times the torn-read window; tests inject one.
    """

    # A torn value lasts as long as one store takes: nanoseconds, or a time slice of a few ms
    # when the writer is descheduled in the middle of it. 5 ms and 3 calls, as the Java reader.
    CONFIRM_POLLS = 3
    CONFIRM_NS = 5_000_000

    def __init__(self, path: str, crc_check: bool = True, keyframe_gating: bool = True,
                 clock: Optional[Callable[[], int]] = None):
        self._path = path
        self._crc_check = crc_check
        self._gating = keyframe_gating
        self._clock = clock or time.monotonic_ns
        self._map = None        # type: Optional[ReadMapping]
        self._epoch = None      # type: Optional[int]
        self._next = 0          # next frame_seq to deliver, and the floor of every resync
        self._synced = False
        self._rewound = False
        self._rewind_logged = False
        self._awaiting = True
        self._polls = 0
        self._suspect_last = -2
        self._suspect_polls = 0
        self._suspect_since = 0
        self.counters = dict.fromkeys(V2_COUNTER_NAMES, 0)

    @property
    def epoch(self) -> Optional[int]:
        return self._epoch

    @property
    def next_seq(self) -> int:
        return self._next

    def _ensure_mapping(self) -> Optional[ReadMapping]:
        m = self._map
        if m is not None and not m.has_changed():
            return m
        if m is not None:
            m.close()
            self._map = None
        m = ReadMapping.open_if_ready(self._path, SUPERBLOCK_SIZE)
        if m is not None:
            if self._epoch is not None:
                # Another file: another writer, whatever its epoch says (as the Java reader).
                self.counters["resyncs"] += 1
                self._epoch = None
            self._map = m
            self.counters["remaps"] += 1
        return m

    def read_frame(self) -> Optional[Tuple[FrameHeader, bytes, int]]:
        m = self._ensure_mapping()
        if m is None:
            self.counters["no_file"] += 1
            return None
        try:
            return self._poll(m)
        except (ValueError, IndexError, OverflowError, OSError):
            self.counters["errors"] += 1
            return None

    def _resync(self) -> None:
        self._next = 0
        self._synced = False
        self._rewound = False
        self._awaiting = True

    def _may_be_torn(self) -> bool:
        """True while a value that looks wrong has not yet looked so on CONFIRM_POLLS
        consecutive calls spanning CONFIRM_NS."""
        now = self._clock()
        if self._suspect_last != self._polls - 1:
            self._suspect_polls = 0
            self._suspect_since = now
        self._suspect_last = self._polls
        self._suspect_polls += 1
        return (self._suspect_polls < self.CONFIRM_POLLS
                or now - self._suspect_since < self.CONFIRM_NS)

    def _torn(self):
        self.counters["torn"] += 1
        return None

    def _head_behind(self, h: int):
        if self._rewound:
            self.counters["no_new"] += 1
            return None
        if self._may_be_torn():
            return self._torn()
        # Believed: frames up to _next - 1 are never delivered again; resume at a keyframe
        # once head is past them (they may come from another encoder session).
        self._rewound = True
        self._synced = False
        self._awaiting = True
        self.counters["writer_rewound"] += 1
        if not self._rewind_logged:
            self._rewind_logged = True
            _LOG.warning("ring head went back without a new epoch and stayed back: a broken writer "
                         "(restarted in place without a new epoch, or u64 stores that tear); frames "
                         "up to the last delivered are not delivered again: path=%s epoch=%x head=%d "
                         "last_delivered=%d", self._path, self._epoch or 0, h, self._next - 1)
        return None

    def _poll(self, m: ReadMapping):
        self._polls += 1
        u64 = m.u64
        mm = m.mm
        version, slot_count, slot_size, _flags = _GEOMETRY.unpack_from(mm, 8)
        epoch = u64.load(SB_EPOCH_OFFSET)
        if (u64.load(0) != MAGIC or version != VERSION or epoch == 0
                or check_geometry(slot_count, slot_size) is not None
                or v2_file_size(slot_count, slot_size) > m.size):
            self.counters["bad_layout"] += 1
            return None
        if epoch != self._epoch:
            if self._epoch is not None:
                self.counters["resyncs"] += 1       # writer restarted
            self._epoch = epoch
            self._resync()
        h = u64.load(SB_HEAD_OFFSET)
        if h + 1 < self._next:
            return self._head_behind(h)              # head went back without a new epoch
        self._rewound = False
        if h == 0:
            self.counters["no_new"] += 1
            return None
        if not self._synced and not self._start(u64, mm, h, slot_count, slot_size):
            return None
        if self._next > h:
            self.counters["no_new"] += 1
            return None
        max_payload = slot_size - SLOT_HEADER_SIZE
        mask = slot_count - 1
        while self._next <= h:
            f = self._next
            base = SUPERBLOCK_SIZE + ((f - 1) & mask) * slot_size
            want = 2 * f
            seq = u64.load(base)
            if seq < want:
                # Head says committed, the slot says not: head or seq read torn, or broken.
                if self._may_be_torn():
                    return self._torn()
                self._lose(f, "bad_layout")
                continue
            if h - f >= slot_count and seq > want:
                # Lapped; the slot confirms it (a head torn ahead alone does not).
                self.counters["lapped"] += 1
                self._synced = False
                if not self._start(u64, mm, h, slot_count, slot_size):
                    return None
                continue
            if seq != want:
                self._lose(f, "torn")
                continue
            header = FrameHeader.unpack_from(mm, base + SLOT_FRAME_HEADER_OFFSET)
            commit_ns = u64.load(base + SLOT_COMMIT_NS_OFFSET)
            if self._gating and self._awaiting and not header.is_keyframe:
                if u64.load(base) != want:
                    self._lose(f, "torn")
                else:
                    self.counters["skipped_awaiting_keyframe"] += 1
                    self._next = f + 1
                continue
            start = base + SLOT_PAYLOAD_OFFSET
            payload = mm[start:start + min(header.size, max_payload)]
            if u64.load(base) != want:
                self._lose(f, "torn")
                continue
            if header.size > max_payload:
                self._lose(f, "bad_length")
                continue
            if header.frame_seq != f:
                self._lose(f, "bad_layout")
                continue
            if self._crc_check and payload_crc(payload) != header.crc32:
                self._lose(f, "crc_error")
                continue
            if header.is_keyframe:
                self._awaiting = False
            self._next = f + 1
            self.counters["frames"] += 1
            return (header, payload, commit_ns)
        return None

    def _lose(self, f: int, outcome: str) -> None:
        self.counters[outcome] += 1
        self.counters["frames_lost"] += 1
        self._next = f + 1
        self._awaiting = True

    def _start(self, u64, mm, h: int, slot_count: int, slot_size: int) -> bool:
        """Start at the newest keyframe still in the ring and not below ``_next``, else just
        after head; frames skipped since the last one delivered are counted lost. False when
        head looks torn (its own slot does not hold it): read again on the next call."""
        floor = self._next
        mask = slot_count - 1
        if h >= floor:
            seq = u64.load(SUPERBLOCK_SIZE + ((h - 1) & mask) * slot_size)
            if seq != 2 * h:
                if seq > 2 * h or self._may_be_torn():
                    self._torn()        # lapped since head was read, or head torn ahead
                    return False
                self.counters["bad_layout"] += 1
        self._synced = True
        self._awaiting = True
        start = None
        k = h
        low = max(1, h - slot_count + 1, floor)
        while k >= low:
            base = SUPERBLOCK_SIZE + ((k - 1) & mask) * slot_size
            if u64.load(base) != 2 * k:
                break                       # overwritten (or garbage): older ones too
            flags = _U16.unpack_from(mm, base + SLOT_FRAME_HEADER_OFFSET + _FLAGS_IN_HEADER)[0]
            if u64.load(base) != 2 * k:
                break
            if flags & FLAG_KEYFRAME:
                start = k
                break
            k -= 1
        if start is None:
            start = max(h if not self._gating else h + 1, floor)
        if floor and start > floor:
            self.counters["frames_lost"] += start - floor
        self._next = start
        return True


def read_superblock(buf) -> dict:
    """The v2 superblock fields as a dict (no validation)."""
    magic, version, slot_count, slot_size, flags, epoch, created_ns = \
        SUPERBLOCK_STRUCT.unpack_from(buf, 0)
    head = struct.unpack_from("<Q", buf, SB_HEAD_OFFSET)[0]
    return {"magic": magic, "version": version, "slot_count": slot_count,
            "slot_size": slot_size, "flags": flags, "epoch": epoch,
            "created_ns": created_ns, "head": head}
