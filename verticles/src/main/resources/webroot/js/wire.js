// The WebSocket wire format of docs/WIRE.md: every server message is binary, first byte = type.
//   0x01 video:     [0x01][32-byte frame header, little-endian][Annex-B access unit]
//   0x02 telemetry: [0x02][u16 LE subject length][subject, UTF-8][payload]
//   0x03 control:   [0x03][JSON, UTF-8]  (only after the client asked: {"stats":true} / {"ping":N})

export const TYPE_VIDEO = 0x01;
export const TYPE_TELEMETRY = 0x02;
export const TYPE_CONTROL = 0x03;
export const HEADER_LENGTH = 32;
export const FLAG_KEYFRAME = 1;
export const CODEC_H264 = 1;
export const CODEC_HEVC = 2;

const utf8 = new TextDecoder('utf-8');

/**
 * Parses one binary message. Returns {type: 'video'|'telemetry'|'control'|'unknown'|'malformed', ...};
 * never throws on hostile input. Payloads are views on the message's buffer (no copy).
 */
export function parseMessage(buffer) {
  const bytes = new Uint8Array(buffer);
  if (bytes.length === 0) {
    return { type: 'malformed', reason: 'empty message' };
  }
  const view = new DataView(buffer);
  switch (bytes[0]) {
    case TYPE_VIDEO: {
      if (bytes.length < 1 + HEADER_LENGTH) {
        return { type: 'malformed', reason: `video message shorter than its header: length=${bytes.length}` };
      }
      const size = view.getUint32(17, true);
      const payload = bytes.subarray(1 + HEADER_LENGTH);
      if (size !== payload.length) {
        return { type: 'malformed', reason: `video size mismatch: header=${size}, payload=${payload.length}` };
      }
      const flags = view.getUint16(21, true);
      return {
        type: 'video',
        frameId: Number(view.getBigUint64(1, true)),
        frameSeq: Number(view.getBigUint64(9, true)),
        size,
        flags,
        keyframe: (flags & FLAG_KEYFRAME) !== 0,
        codec: view.getUint16(23, true),
        payload,
        length: bytes.length,
      };
    }
    case TYPE_TELEMETRY: {
      if (bytes.length < 3) {
        return { type: 'malformed', reason: 'telemetry message without subject length' };
      }
      const subjectLength = view.getUint16(1, true);
      if (3 + subjectLength > bytes.length) {
        return { type: 'malformed', reason: `telemetry subject past the end: length=${subjectLength}` };
      }
      return {
        type: 'telemetry',
        subject: utf8.decode(bytes.subarray(3, 3 + subjectLength)),
        payload: bytes.subarray(3 + subjectLength),
        length: bytes.length,
      };
    }
    case TYPE_CONTROL: {
      try {
        return { type: 'control', body: JSON.parse(utf8.decode(bytes.subarray(1))), length: bytes.length };
      } catch (e) {
        return { type: 'malformed', reason: 'control message is not JSON' };
      }
    }
    default:
      // A later extension: ignored, as WIRE.md asks of clients.
      return { type: 'unknown', messageType: bytes[0], length: bytes.length };
  }
}

export function codecName(codec) {
  return codec === CODEC_H264 ? 'H.264' : codec === CODEC_HEVC ? 'HEVC (H.265)' : `codec id ${codec}`;
}
