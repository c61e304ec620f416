"""Mapping helpers shared by the v1 and v2 readers and writers (internal)."""

import mmap
import os
import stat
import struct

from .protocol import LITTLE_ENDIAN_HOST

_U64 = struct.Struct("<Q")


def create_mapped_file(path: str, size: int, init=None) -> mmap.mmap:
    """Create ``path`` as a fresh zero-filled file of ``size`` bytes and map it read-write.

    ``init(mm)`` runs before the file becomes visible under ``path`` (e.g. to write the v2
    superblock), so no reader ever sees a half-initialised ring.

    The file is built under a temporary name in the same directory and renamed over
    ``path``: the path gets a new inode, so a reader still mapping an older file never
    sees that file shrink (no SIGBUS); it notices the new inode and re-maps.
    """
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    tmp = "%s.tmp.%d.%s" % (path, os.getpid(), os.urandom(4).hex())
    fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o666)
    try:
        try:
            os.ftruncate(fd, size)
            mm = mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        finally:
            os.close(fd)
        try:
            if init is not None:
                init(mm)
            os.rename(tmp, path)
        except BaseException:
            mm.close()
            raise
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return mm


class U64Access:
    """Loads and stores of aligned little-endian u64 fields in a mapping.

    On a little-endian host it goes through a native ``Q`` memoryview, so each access is
    one 8-byte memcpy (a single load/store on x86-64/arm64): a concurrent reader in another
    process (Java VarHandle) never sees half of a commit marker. ``struct.pack_into('<Q')``
    promises no such thing (CPython happens to memcpy on little-endian hosts and loops
    byte by byte on big-endian ones).
    """

    __slots__ = ("_buf", "_view", "_limit")

    def __init__(self, buf, length: int):
        self._buf = buf
        self._limit = (length // 8) * 8
        self._view = None
        if LITTLE_ENDIAN_HOST and self._limit:
            self._view = memoryview(buf)[:self._limit].cast("Q")

    def load(self, offset: int) -> int:
        if self._view is not None and not offset & 7 and offset + 8 <= self._limit:
            return self._view[offset >> 3]
        return _U64.unpack_from(self._buf, offset)[0]

    def store(self, offset: int, value: int) -> None:
        if self._view is not None and not offset & 7 and offset + 8 <= self._limit:
            self._view[offset >> 3] = value
        else:
            _U64.pack_into(self._buf, offset, value)

    def release(self) -> None:
        if self._view is not None:
            self._view.release()
            self._view = None


class ReadMapping:
    """A read-only mapping of the ring file plus the identity (device, inode, size) it had."""

    __slots__ = ("path", "mm", "size", "ident", "u64")

    def __init__(self, path, mm, size, ident):
        self.path = path
        self.mm = mm
        self.size = size
        self.ident = ident
        self.u64 = U64Access(mm, size)

    @classmethod
    def open_if_ready(cls, path: str, min_size: int):
        """Map ``path`` read-only if it is a regular file of at least ``min_size`` bytes."""
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_size < max(1, min_size):
                return None
            mm = mmap.mmap(fd, st.st_size, mmap.MAP_SHARED, mmap.PROT_READ)
            return cls(path, mm, st.st_size, (st.st_dev, st.st_ino))
        except (OSError, ValueError, OverflowError):
            return None
        finally:
            os.close(fd)

    def has_changed(self) -> bool:
        """True when the path names another file now, is gone, or changed size."""
        try:
            st = os.stat(self.path)
        except OSError:
            return True
        return (st.st_dev, st.st_ino) != self.ident or st.st_size != self.size

    def close(self) -> None:
        self.u64.release()
        try:
            self.mm.close()
        except (BufferError, ValueError):
            pass


class _Closing:
    """Context-manager support: ``with Writer(...) as w:`` closes the mapping on exit."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class MappedWriter(_Closing):
    """Base of the writers: they hold a read-write mapping ``_mm`` and its ``_u64`` view."""

    _mm = None

    def close(self) -> None:
        if self._mm is not None:
            self._u64.release()
            self._mm.close()
            self._mm = None


class MappedReader(_Closing):
    """Base of the readers: they hold a :class:`ReadMapping` ``_map`` (None while no file)."""

    _map = None

    def close(self) -> None:
        if self._map is not None:
            self._map.close()
            self._map = None
