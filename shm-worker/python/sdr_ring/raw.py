"""Raw (unencoded) frames in a ring (docs/RING-RAW.md).

The frame header's ``codec`` names the pixel format (RING.md reserves 16 and up); the
payload is a 16-byte raw header followed by the pixels, tightly packed (rows without
padding, planes one after another)::

    0        4        8        12       16
    | magic  | width  | height | reserved | pixels ...
    | "RAW1" | u32 LE | u32 LE | u32 = 0  |

Every raw frame stands alone, so writers flag each one as a keyframe.
"""

import struct

RAW_MAGIC = b"RAW1"
RAW_HEADER = struct.Struct("<4sIII")
RAW_HEADER_SIZE = RAW_HEADER.size
assert RAW_HEADER_SIZE == 16
MAX_DIMENSION = 16384

RAW_RGB24 = 16
RAW_BGR24 = 17
RAW_RGBA = 18
RAW_BGRA = 19
RAW_I420 = 20
RAW_NV12 = 21
RAW_GRAY8 = 22

FORMATS = {
    "rgb24": RAW_RGB24,
    "bgr24": RAW_BGR24,
    "rgba": RAW_RGBA,
    "bgra": RAW_BGRA,
    "i420": RAW_I420,
    "nv12": RAW_NV12,
    "gray8": RAW_GRAY8,
}
FORMAT_NAMES = {code: name for name, code in FORMATS.items()}


def format_code(fmt) -> int:
    """A raw format given as its name ("rgb24", "i420", ...) or codec id -> the codec id."""
    if isinstance(fmt, str):
        code = FORMATS.get(fmt.lower())
        if code is None:
            raise ValueError("unknown raw format: fmt=%r; known: %s" % (fmt, ", ".join(FORMATS)))
        return code
    if isinstance(fmt, int) and not isinstance(fmt, bool) and fmt in FORMAT_NAMES:
        return fmt
    raise ValueError("unknown raw format: fmt=%r; known: %s" % (fmt, ", ".join(FORMATS)))


def pixel_bytes(width: int, height: int, fmt) -> int:
    """Bytes of a tightly packed picture; 4:2:0 chroma planes are ceil(w/2) x ceil(h/2)."""
    code = format_code(fmt)
    if (not isinstance(width, int) or not isinstance(height, int)
            or not 1 <= width <= MAX_DIMENSION or not 1 <= height <= MAX_DIMENSION):
        raise ValueError("raw dimensions must be in [1, %d]: width=%r height=%r"
                         % (MAX_DIMENSION, width, height))
    pixels = width * height
    chroma = ((width + 1) // 2) * ((height + 1) // 2)
    if code in (RAW_RGB24, RAW_BGR24):
        return 3 * pixels
    if code in (RAW_RGBA, RAW_BGRA):
        return 4 * pixels
    if code in (RAW_I420, RAW_NV12):
        return pixels + 2 * chroma
    return pixels                                   # gray8


def payload_size(width: int, height: int, fmt) -> int:
    """Payload bytes of one raw frame: header plus pixels."""
    return RAW_HEADER_SIZE + pixel_bytes(width, height, fmt)


def slot_size_for(width: int, height: int, fmt) -> int:
    """The smallest v2 slot size (64-byte slot header, multiple of 64) that holds one frame."""
    return -(-(64 + payload_size(width, height, fmt)) // 64) * 64


def pack_header(width: int, height: int) -> bytes:
    return RAW_HEADER.pack(RAW_MAGIC, width, height, 0)


def as_bytes_view(pixels) -> memoryview:
    """Any C-contiguous buffer (bytes, bytearray, memoryview, numpy array) as a flat byte view."""
    view = memoryview(pixels)
    if not view.c_contiguous:
        raise ValueError("pixels must be C-contiguous (numpy: np.ascontiguousarray(a))")
    return view.cast("B") if view.format != "B" or view.ndim != 1 else view


def parse(payload, codec: int):
    """``(width, height, format_name, pixels)`` of a raw frame's payload; ValueError when malformed."""
    if codec not in FORMAT_NAMES:
        raise ValueError("unknown raw format: codec=%d" % codec)
    if len(payload) < RAW_HEADER_SIZE:
        raise ValueError("raw payload shorter than its header: size=%d" % len(payload))
    magic, width, height, reserved = RAW_HEADER.unpack_from(payload, 0)
    if magic != RAW_MAGIC or reserved != 0:
        raise ValueError("bad raw header: magic=%r reserved=%d" % (magic, reserved))
    expected = payload_size(width, height, codec)
    if len(payload) != expected:
        raise ValueError("raw size mismatch: expected=%d size=%d" % (expected, len(payload)))
    return width, height, FORMAT_NAMES[codec], memoryview(payload)[RAW_HEADER_SIZE:]


class MovingImage:
    """A cheap moving test image for the ``write-raw`` CLI: scrolling colour bars over a
    vertical luma ramp, built from precomputed rows (no per-pixel Python work per frame)."""

    _BARS_RGB = ((235, 235, 235), (235, 235, 16), (16, 235, 235), (16, 235, 16),
                 (235, 16, 235), (235, 16, 16), (16, 16, 235), (16, 16, 16))

    def __init__(self, width: int, height: int, fmt):
        self.width = width
        self.height = height
        self.code = format_code(fmt)
        pixel_bytes(width, height, self.code)       # validates
        self._rows = self._build()

    def _bar(self, x: int, period: int):
        return self._BARS_RGB[(x % period) * len(self._BARS_RGB) // period]

    def _build(self):
        w = self.width
        code = self.code
        bars = [self._bar(x, w) for x in range(2 * w)]
        if code in (RAW_RGB24, RAW_BGR24, RAW_RGBA, RAW_BGRA):
            out = bytearray()
            for r, g, b in bars:
                px = (r, g, b) if code in (RAW_RGB24, RAW_RGBA) else (b, g, r)
                out += bytes(px) + (b"\xff" if code in (RAW_RGBA, RAW_BGRA) else b"")
            return bytes(out)
        # Y'CbCr (BT.601, limited range) of the bars for the planar formats.
        ys, us, vs = bytearray(), bytearray(), bytearray()
        for r, g, b in bars:
            ys.append(min(235, max(16, int(16 + (65.738 * r + 129.057 * g + 25.064 * b) / 256))))
        for x in range(0, 2 * w, 2):
            r, g, b = bars[x]
            us.append(min(240, max(16, int(128 + (-37.945 * r - 74.494 * g + 112.439 * b) / 256))))
            vs.append(min(240, max(16, int(128 + (112.439 * r - 94.154 * g - 18.285 * b) / 256))))
        return bytes(ys), bytes(us), bytes(vs)

    def frame(self, n: int) -> bytes:
        """Picture ``n``: the bars scrolled by 4n pixels (a whole number of pixels per frame)."""
        w, h, code = self.width, self.height, self.code
        shift = (4 * n) % w
        if code in (RAW_RGB24, RAW_BGR24, RAW_RGBA, RAW_BGRA):
            bpp = 3 if code in (RAW_RGB24, RAW_BGR24) else 4
            row = self._rows[shift * bpp:(shift + w) * bpp]
            return row * h
        if code == RAW_GRAY8:
            return self._rows[0][shift:shift + w] * h
        ys, us, vs = self._rows
        cw, ch = (w + 1) // 2, (h + 1) // 2
        cshift = shift // 2
        y = ys[shift:shift + w] * h
        u = (us + us)[cshift:cshift + cw] * ch
        v = (vs + vs)[cshift:cshift + cw] * ch
        if code == RAW_I420:
            return y + u + v
        uv = bytearray(2 * cw)
        uv[0::2] = u[:cw]
        uv[1::2] = v[:cw]
        return y + bytes(uv) * ch                   # nv12
