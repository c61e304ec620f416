// Just enough H.264 Annex-B parsing for WebCodecs: find NAL units, tell an IDR access unit, and
// build the avc1 codec string from the in-band SPS (WebCodecs gets no `description`: the stream
// carries SPS/PPS in band before every IDR, so the decoder reads Annex B as is).

export const NAL_SLICE = 1;
export const NAL_IDR = 5;
export const NAL_SPS = 7;

/** Calls fn(nalType, start) for each NAL unit (start = index of its header byte); stops when fn returns true. */
export function forEachNal(bytes, fn) {
  const n = bytes.length;
  for (let i = 0; i + 3 < n; i++) {
    // Start code 00 00 01 (a 4-byte 00 00 00 01 ends with the same three bytes).
    if (bytes[i] === 0 && bytes[i + 1] === 0 && bytes[i + 2] === 1) {
      const start = i + 3;
      if (fn(bytes[start] & 0x1f, start)) {
        return;
      }
      i = start;
    }
  }
}

/** Whether the access unit holds an IDR slice: only such a unit may be a WebCodecs 'key' chunk. */
export function containsIdr(bytes) {
  // The first slice decides; SPS, PPS and SEI come before it, so the scan stops early.
  let idr = false;
  forEachNal(bytes, (type) => {
    idr = type === NAL_IDR;
    return idr || type === NAL_SLICE;
  });
  return idr;
}

/** 'avc1.PPCCLL' from the first SPS in the access unit (profile, constraint flags, level), or null. */
export function codecStringFromSps(bytes) {
  let codec = null;
  forEachNal(bytes, (type, start) => {
    if (type !== NAL_SPS || start + 3 >= bytes.length) {
      return false;
    }
    const hex = (b) => b.toString(16).padStart(2, '0');
    codec = `avc1.${hex(bytes[start + 1])}${hex(bytes[start + 2])}${hex(bytes[start + 3])}`;
    return true;
  });
  return codec;
}

/**
 * The first SPS NAL unit of the access unit (header byte to the next start code), or null. Two
 * renditions of one stream (quality tiers) differ in it even when their codec strings match.
 */
export function spsOf(bytes) {
  let sps = null;
  forEachNal(bytes, (type, start) => {
    if (type !== NAL_SPS) {
      return false;
    }
    let end = bytes.length;
    for (let i = start + 1; i + 2 < bytes.length; i++) {
      if (bytes[i] === 0 && bytes[i + 1] === 0 && (bytes[i + 2] === 1 || (bytes[i + 2] === 0 && bytes[i + 3] === 1))) {
        end = i;
        break;
      }
    }
    sps = bytes.subarray(start, end);
    return true;
  });
  return sps;
}

/** Whether two byte arrays (or null) hold the same bytes. */
export function sameBytes(a, b) {
  if (a === b) {
    return true;
  }
  if (!a || !b || a.length !== b.length) {
    return false;
  }
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      return false;
    }
  }
  return true;
}
