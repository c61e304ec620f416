"""The checkable payload pattern shared with the Java tests.

Byte ``i`` of the payload of frame ``frame_seq`` is ``(frame_seq * 31 + i) & 0xFF``.
"""

_BASE = bytes(range(256))
_cycle = _BASE * 2


def _cycle_for(size: int) -> bytes:
    """A repetition of 0..255 at least ``256 + size`` bytes long (grown geometrically)."""
    global _cycle
    if len(_cycle) < 256 + size:
        want = max(256 + size, 2 * len(_cycle))
        _cycle = _BASE * (want // 256 + 1)
    return _cycle


def payload_for(frame_seq: int, size: int) -> bytes:
    if size < 0:
        raise ValueError("size must be >= 0: size=%r" % (size,))
    start = (frame_seq * 31) & 0xFF
    return _cycle_for(size)[start:start + size]


def check(frame_seq: int, payload) -> bool:
    """True when ``payload`` is exactly ``payload_for(frame_seq, len(payload))``."""
    n = len(payload)
    start = (frame_seq * 31) & 0xFF
    return _cycle_for(n)[start:start + n] == payload
