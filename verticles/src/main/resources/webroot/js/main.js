// The viewer: /stream/ws -> WebCodecs -> canvas, with an overlay of live figures, a telemetry
// panel, a stream selector and reconnects. Plain ES modules, no build step.
import { authHeaders, protocols, storeToken, takeToken } from './auth.js';
import { ReconnectingSocket } from './connection.js';
import { H264Decoder } from './decoder.js';
import { ClockOffset, LatencyTracker, RateMeter } from './stats.js';
import { TelemetryPanel } from './telemetry.js';
import { CODEC_H264, CODEC_HEVC, codecName, parseMessage } from './wire.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const PING_INTERVAL_MS = 2000;
const OVERLAY_INTERVAL_MS = 250;

const ui = {
  canvas: $('video'),
  overlay: $('overlay'),
  status: $('status'),
  notice: $('notice'),
  picker: $('stream-picker'),
  select: $('stream-select'),
  tokenForm: $('token-form'),
  tokenInput: $('token-input'),
};

let token = takeToken();
/** A refused token stops the reconnects until the user gives another one. */
let accessDenied = false;

let stream = params.get('stream');
let streams = [];
let defaultStream = null;
let lastSeq = null;
let codec = null;
let droppedServer = 0;
let received = 0;
let malformed = 0;
let connected = false;
const notices = new Map();

const receiveRate = new RateMeter();
const bitRate = new RateMeter();
const drawRate = new RateMeter();
const clock = new ClockOffset();
const latency = new LatencyTracker(clock);
const panel = new TelemetryPanel($('telemetry-rows'), $('telemetry-empty'));
const decoder = new H264Decoder(ui.canvas, {
  onDrawn: (frameSeq) => {
    drawRate.add(performance.now());
    latency.drawn(frameSeq, LatencyTracker.nowEpochMs());
  },
  onFailure: (error, failedCodec) => {
    if (error && error.name === 'NotSupportedError') {
      showNotice('unsupported', `This browser cannot decode this H.264 stream (${failedCodec}) with WebCodecs: ${error.message}`);
    } else {
      console.warn('decoder error, waiting for the next keyframe:', error);
    }
  },
});

// ---- what this browser can do ------------------------------------------------------------------

/** Why video cannot be decoded here, or null. Checked once: neither changes while the page lives. */
function videoUnavailable() {
  if (!window.isSecureContext) {
    return ['insecure-context', `This page is not in a secure context (${location.origin}). Browsers offer WebCodecs ` +
      '(VideoDecoder) only to pages served over HTTPS or from localhost/127.0.0.1, so the video cannot be decoded ' +
      'here. Open the viewer over HTTPS (Caddy with DOMAIN set, see docs/DEPLOY.md) or through localhost, e.g. an SSH ' +
      'tunnel. The telemetry panel still works.'];
  }
  if (typeof VideoDecoder === 'undefined' || typeof EncodedVideoChunk === 'undefined') {
    return ['no-webcodecs', 'This browser lacks WebCodecs (no VideoDecoder), so the video cannot be decoded. ' +
      'Use a current Chromium-based browser (Chrome, Edge) or another browser with WebCodecs. The telemetry panel still works.'];
  }
  return null;
}

const unavailable = videoUnavailable();
if (unavailable) {
  showNotice(...unavailable);
}

function showNotice(kind, text) {
  notices.set(kind, text);
  renderNotices();
}

function clearNotice(kind) {
  if (notices.delete(kind)) {
    renderNotices();
  }
}

function renderNotices() {
  ui.notice.hidden = notices.size === 0;
  ui.notice.replaceChildren(...[...notices.values()].map((text) => {
    const p = document.createElement('p');
    p.textContent = text;
    return p;
  }));
  document.body.dataset.notice = [...notices.keys()].join(' ');
}

// ---- the connection ----------------------------------------------------------------------------

function socketUrl() {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const query = stream ? `?stream=${encodeURIComponent(stream)}` : '';
  return `${scheme}//${location.host}/stream/ws${query}`;
}

const socket = new ReconnectingSocket(socketUrl, {
  onClose: (event) => {
    if (event.code === 4401) {
      denyAccess('Your access token has expired. Ask for a new one and paste it below.');
    } else if (event.code === 1006 && !accessDenied) {
      // A refused upgrade looks like a lost connection to a page: ask the server why.
      checkAccess();
    }
  },
  onOpen: () => {
    connected = true;
    lastSeq = null;
    decoder.resync();
    latency.reset(LatencyTracker.nowEpochMs());
    // Ask for the 0x03 messages behind the latency figure; a server without them ignores this.
    socket.send({ stats: true });
    ping();
    setTimeout(ping, 300);
    setTimeout(ping, 1000);
    const subjects = params.get('subjects');
    if (subjects) {
      socket.send({ subscribe: subjects.split(',').map((s) => s.trim()).filter(Boolean) });
    }
  },
  onMessage,
  onStatus: (state, text) => {
    if (accessDenied && state !== 'failed') {
      return;
    }
    connected = state === 'open';
    ui.status.textContent = text;
    ui.status.dataset.state = state;
  },
}, { protocols: () => protocols(token) });

// ---- access token --------------------------------------------------------------------------------

function denyAccess(text) {
  accessDenied = true;
  showNotice('auth', text);
  ui.tokenForm.hidden = false;
  socket.stop('not connected: access refused');
}

/** Reads the server's answer to /stream/list; true when the token (or no token) is accepted. */
async function accessAnswer(response) {
  if (response.status === 401 || response.status === 403) {
    const reason = (await response.text()).trim();
    denyAccess(response.status === 401
      ? `This server needs a valid access token (${reason}). Open the link you were given (…#token=…) or paste the token below.`
      : `Your access token does not allow this (${reason}).`);
    return false;
  }
  return true;
}

async function checkAccess() {
  try {
    await accessAnswer(await fetch('/stream/list', { cache: 'no-store', headers: authHeaders(token) }));
  } catch (error) {
    // the server is away: the reconnects go on
  }
}

ui.tokenForm.addEventListener('submit', (event) => {
  event.preventDefault();
  token = ui.tokenInput.value.trim() || null;
  ui.tokenInput.value = '';
  storeToken(token);
  accessDenied = false;
  ui.tokenForm.hidden = true;
  clearNotice('auth');
  loadStreams().then((ok) => ok && socket.restart());
});

function ping() {
  socket.send({ ping: LatencyTracker.nowEpochMs() });
}

function onMessage(buffer) {
  const now = performance.now();
  const message = parseMessage(buffer);
  switch (message.type) {
    case 'video':
      onVideo(message, now);
      break;
    case 'telemetry':
      panel.update(message.subject, message.payload, now);
      break;
    case 'control':
      onControl(message.body);
      break;
    case 'malformed':
      malformed++;
      console.warn('malformed message:', message.reason);
      break;
    default:
      break; // a later extension of the wire format
  }
}

function onVideo(frame, now) {
  received++;
  receiveRate.add(now);
  bitRate.add(now, frame.length * 8);
  if (lastSeq !== null) {
    if (frame.frameSeq > lastSeq + 1) {
      // The server skipped frames for us (we lagged): it resumes at a keyframe, and so do we.
      droppedServer += frame.frameSeq - lastSeq - 1;
      decoder.resync();
    } else if (frame.frameSeq <= lastSeq) {
      decoder.resync(); // the writer restarted its sequence
    }
  }
  lastSeq = frame.frameSeq;
  latency.arrived(frame.frameSeq, LatencyTracker.nowEpochMs());
  if (frame.codec !== codec) {
    codec = frame.codec;
    decoder.resync();
    clearNotice('hevc');
    clearNotice('codec');
    if (codec === CODEC_HEVC) {
      showNotice('hevc', 'This stream is HEVC (H.265). This browser cannot decode HEVC with WebCodecs, so no picture ' +
        'can be shown. Ask for an H.264 stream (encoder codec "h264" in conf.json). The telemetry panel still works.');
    } else if (codec !== CODEC_H264) {
      showNotice('codec', `This stream uses an unknown codec (id ${codec}); the viewer decodes H.264 only.`);
    }
  }
  if (codec === CODEC_H264 && !unavailable) {
    decoder.push(frame);
  }
}

function onControl(body) {
  if (!body || typeof body !== 'object') {
    return;
  }
  if (body.type === 'pong' && Number.isFinite(body.ping)) {
    clock.add(body.ping, LatencyTracker.nowEpochMs(), body.server_time_ms);
  } else if (body.type === 'stats') {
    latency.onStats(body);
  }
}

setInterval(ping, PING_INTERVAL_MS);

// ---- stream selector ---------------------------------------------------------------------------

/** Fills the stream selector; false when the server refused the token (nothing to connect to). */
async function loadStreams() {
  try {
    const response = await fetch('/stream/list', { cache: 'no-store', headers: authHeaders(token) });
    if (!(await accessAnswer(response))) {
      return false;
    }
    if (!response.ok) {
      return true;
    }
    const list = await response.json();
    streams = Array.isArray(list.streams) ? list.streams : [];
    defaultStream = list.default || streams[0] || null;
  } catch (error) {
    return true; // a server without /stream/list: no selector, the default stream
  }
  if (stream && !streams.includes(stream)) {
    showNotice('stream', `There is no stream "${stream}" on this server; streams: ${streams.join(', ')}.`);
  }
  ui.picker.hidden = streams.length < 2;
  ui.select.replaceChildren(...streams.map((name) => new Option(name, name)));
  ui.select.value = stream || defaultStream;
  return true;
}

ui.select.addEventListener('change', () => {
  stream = ui.select.value;
  const url = new URL(location.href);
  url.searchParams.set('stream', stream);
  history.replaceState(null, '', url);
  clearNotice('stream');
  codec = null;
  droppedServer = 0;
  decoder.resync();
  socket.restart();
});

// ---- overlay -----------------------------------------------------------------------------------

function snapshot() {
  const now = performance.now();
  const lat = latency.summary();
  const offset = clock.best();
  return {
    connected,
    connections: socket.connections,
    stream: stream || defaultStream,
    streams,
    codec: codec === null ? null : codecName(codec),
    codecString: decoder.codec,
    width: decoder.width,
    height: decoder.height,
    received,
    decoded: decoder.decoded,
    drawn: decoder.drawn,
    fps: drawRate.perSecond(now),
    receivedFps: receiveRate.perSecond(now),
    bitrateBps: bitRate.perSecond(now),
    decodeQueue: decoder.queueSize,
    dropped: droppedServer + decoder.skipped,
    droppedServer,
    droppedClient: decoder.skipped,
    decodeErrors: decoder.errors,
    malformed,
    latencyToArrivalMs: lat.arrivalMs,
    latencyToPictureMs: lat.drawnMs,
    latencyClock: lat.source,
    clockOffsetMs: offset ? offset.offsetMs : null,
    clockRttMs: offset ? offset.rttMs : null,
    notices: [...notices.keys()],
    access: accessDenied ? 'denied' : (token ? 'token' : 'none'),
    telemetry: panel.snapshot(),
  };
}

function ms(value) {
  return value === null ? '–' : `${Math.round(value)} ms`;
}

function renderOverlay() {
  const s = snapshot();
  const picture = s.width ? `${s.width}×${s.height}` : 'no picture yet';
  const codecText = s.codec ? `${s.codec}${s.codecString ? ` ${s.codecString}` : ''}` : 'no frame yet';
  const latencyText = s.latencyToPictureMs === null && s.latencyToArrivalMs === null
    ? 'latency – (waiting for server stats)'
    : `latency ${ms(s.latencyToPictureMs)} to picture, ${ms(s.latencyToArrivalMs)} to arrival` +
      ` (from ${s.latencyClock || 'commit'}${s.clockRttMs === null ? '' : `, clock ±${(s.clockRttMs / 2).toFixed(1)} ms`})`;
  ui.overlay.textContent = [
    `${s.stream || 'default stream'} · ${codecText} · ${picture}`,
    `fps ${s.fps.toFixed(1)} · received ${s.receivedFps.toFixed(1)}/s · ${(s.bitrateBps / 1e6).toFixed(2)} Mbit/s`,
    `decode queue ${s.decodeQueue} · dropped ${s.dropped} (server ${s.droppedServer}, here ${s.droppedClient}) · errors ${s.decodeErrors}`,
    latencyText,
    `frames decoded ${s.decoded}`,
  ].join('\n');
  panel.render(performance.now());
}

setInterval(renderOverlay, OVERLAY_INTERVAL_MS);
window.sdrViewer = { snapshot };

loadStreams().then((ok) => ok && socket.start());
renderOverlay();
