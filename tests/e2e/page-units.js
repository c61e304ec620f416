// Checks of the viewer's pure modules, run inside the page (the browser is the target runtime; no
// Node flags for ES modules in the jar's webroot). Evaluated by viewer-check.mjs with the page's
// base URL; returns [{name, ok, got}].
async (base) => {
  const wire = await import(new URL('js/wire.js', base));
  const h264 = await import(new URL('js/h264.js', base));
  const telemetry = await import(new URL('js/telemetry.js', base));
  const stats = await import(new URL('js/stats.js', base));
  const plot = await import(new URL('js/plot.js', base));
  const auth = await import(new URL('js/auth.js', base));
  const results = [];
  const check = (name, got, want) => {
    const g = JSON.stringify(got);
    results.push({ name, ok: g === JSON.stringify(want), got: g, want: JSON.stringify(want) });
  };
  const bytes = (...b) => new Uint8Array(b).buffer;
  const video = (seq, flags, codec, payload, sizeField = payload.length) => {
    const m = new Uint8Array(33 + payload.length);
    const v = new DataView(m.buffer);
    m[0] = 1;
    v.setBigUint64(1, 7n, true);
    v.setBigUint64(9, BigInt(seq), true);
    v.setUint32(17, sizeField, true);
    v.setUint16(21, flags, true);
    v.setUint16(23, codec, true);
    m.set(payload, 33);
    return m.buffer;
  };
  const kind = (buffer) => wire.parseMessage(buffer).type;

  // wire.js: every malformed message is reported, never thrown.
  check('empty message', kind(bytes()), 'malformed');
  check('video shorter than its header', kind(bytes(1, 2, 3)), 'malformed');
  check('video size field mismatch', kind(video(5, 1, 1, [1, 2, 3], 4)), 'malformed');
  const v = wire.parseMessage(video(2 ** 40, 1, 2, [9, 8]));
  check('video fields', [v.type, v.frameId, v.frameSeq, v.size, v.keyframe, v.codec, [...v.payload]],
    ['video', 7, 2 ** 40, 2, true, 2, [9, 8]]);
  check('telemetry without subject length', kind(bytes(2, 1)), 'malformed');
  check('telemetry subject past the end', kind(bytes(2, 9, 0, 0x61)), 'malformed');
  const t = wire.parseMessage(bytes(2, 1, 0, 0x61, 0x68, 0x69));
  check('telemetry fields', [t.type, t.subject, [...t.payload]], ['telemetry', 'a', [0x68, 0x69]]);
  const c = wire.parseMessage(new Uint8Array([3, ...new TextEncoder().encode('{"type":"pong","ping":1}')]).buffer);
  check('control JSON', [c.type, c.body.type], ['control', 'pong']);
  check('control not JSON', kind(bytes(3, 0x7b)), 'malformed');
  check('unknown type ignored', kind(bytes(7, 1, 2)), 'unknown');

  // h264.js
  const sps = [0, 0, 0, 1, 0x67, 0x64, 0x00, 0x1f, 0xac];
  const pps = [0, 0, 1, 0x68, 0xee];
  check('IDR access unit', h264.containsIdr(new Uint8Array([...sps, ...pps, 0, 0, 1, 0x65, 0x88])), true);
  check('non-IDR slice', h264.containsIdr(new Uint8Array([0, 0, 0, 1, 0x41, 0x9a])), false);
  check('SEI then non-IDR', h264.containsIdr(new Uint8Array([0, 0, 1, 0x06, 5, 0, 0, 1, 0x41])), false);
  check('codec string from SPS', h264.codecStringFromSps(new Uint8Array([...sps, ...pps])), 'avc1.64001f');
  check('no SPS', h264.codecStringFromSps(new Uint8Array([0, 0, 1, 0x41, 1])), null);
  check('truncated SPS', h264.codecStringFromSps(new Uint8Array([0, 0, 1, 0x67, 0x42])), null);
  // A tier switch changes the SPS (the size) while the codec string may stay: the decoder compares SPS bytes.
  check('SPS bytes up to the next start code', [...h264.spsOf(new Uint8Array([...sps, ...pps]))], [...sps.slice(4)]);
  check('SPS at the end of the unit', [...h264.spsOf(new Uint8Array([0, 0, 1, 0x41, 1, 0, 0, 1, 0x67, 0x42, 0xc0]))], [0x67, 0x42, 0xc0]);
  check('no SPS bytes', h264.spsOf(new Uint8Array([0, 0, 1, 0x41, 1])), null);
  check('same SPS', h264.sameBytes(new Uint8Array([0x67, 1, 2]), new Uint8Array([0x67, 1, 2])), true);
  check('another SPS', h264.sameBytes(new Uint8Array([0x67, 1, 2]), new Uint8Array([0x67, 1, 3])), false);
  check('SPS against none', h264.sameBytes(new Uint8Array([0x67]), null), false);

  // telemetry.js: what the panel shows
  const show = (b) => telemetry.describePayload(new Uint8Array(b)).text;
  check('text value', show([...new TextEncoder().encode('{"x":1.5}')]), '{"x":1.5}');
  check('binary value (control bytes)', show([0, 1, 2, 3, 4]), '5 bytes (binary)');
  check('binary value (not UTF-8)', show([0xff, 0xfe, 0x41]), '3 bytes (binary)');
  check('empty value', show([]), '(empty)');
  check('long text truncated', show(new Array(300).fill(0x61)).length, 241);

  // stats.js: the clock offset is the point of the measured interval closest to zero
  const clock = new stats.ClockOffset();
  clock.add(1000, 1004, 1012);
  check('offset beyond the round-trip bound', clock.best().offsetMs, 8);
  const inSync = new stats.ClockOffset();
  inSync.add(1000, 1020, 1005);
  check('offset within the round-trip bound', inSync.best().offsetMs, 0);
  const rate = new stats.RateMeter(1000);
  for (let i = 0; i < 30; i++) {
    rate.add(i * 100, 1);
  }
  check('rate over the window', Math.round(rate.perSecond(3000)), 10);

  // plot.js: what is plotted from a payload
  check('numeric fields of a JSON object', plot.numericFields('{"frame":7,"x":12.5,"name":"box","ok":true,"v":null}'),
    [['frame', 7], ['x', 12.5]]);
  check('nested fields and arrays', plot.numericFields('{"pose":{"x":1,"q":[0.5,0.25]},"t":3}'),
    [['pose.x', 1], ['pose.q.0', 0.5], ['pose.q.1', 0.25], ['t', 3]]);
  check('a bare number', plot.numericFields('42'), [['value', 42]]);
  check('not JSON', plot.numericFields('hello-viewer'), []);
  check('a JSON string', plot.numericFields('"12"'), []);
  check('at most 8 fields', plot.numericFields(JSON.stringify(Object.fromEntries([...Array(20)].map((_, i) => [`f${i}`, i])))).length, 8);
  check('deeper than 2 levels ignored', plot.numericFields('{"a":{"b":{"c":{"d":1}}}}'), []);
  check('number formatting', [plot.formatNumber(1160), plot.formatNumber(0.12345), plot.formatNumber(1.7e12), plot.formatNumber(null)],
    ['1160', '0.1235', '1.700e+12', '–']);
  const series = new plot.Series(1000, 5);
  for (let i = 0; i < 8; i++) {
    series.add(i * 100, i);
  }
  series.add(900, NaN);
  check('series keeps at most maxPoints, skips NaN', [series.length, series.last, series.total], [5, 7, 8]);
  series.prune(1550);
  check('series forgets what is older than its window', [series.length, series.range()], [2, { min: 6, max: 7 }]);

  // auth.js: the keyframe button follows the token's claim (unverified: the server decides)
  const jwt = (claims) => `e30.${btoa(JSON.stringify(claims)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')}.sig`;
  check('no token: keyframes offered', auth.mayRequestKeyframes(null), true);
  check('token with sdr.keyframe', auth.mayRequestKeyframes(jwt({ sdr: { streams: ['main'], keyframe: true } })), true);
  check('token without it', auth.mayRequestKeyframes(jwt({ sdr: { streams: ['main'] } })), false);
  check('not a JWT', auth.mayRequestKeyframes('garbage'), false);
  return results;
}
