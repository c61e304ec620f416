// The viewer: /stream/ws -> WebCodecs -> canvas, with live figures (beside the picture, or over
// it on request), frame-rate and latency trends, a telemetry panel with live plots, a stream
// picker, keyframe requests, "save the last 30 s" as an MCAP file, full screen and reconnects. Plain ES modules, no build step.
import { authHeaders, mayRequestKeyframes, mayTakeClips, protocols, storeToken, takeToken } from './auth.js';
import { ReconnectingSocket } from './connection.js';
import { H264Decoder } from './decoder.js';
import { Series, drawSparkline, formatNumber } from './plot.js';
import { ClockOffset, LatencyTracker, RateMeter } from './stats.js';
import { TelemetryPanel } from './telemetry.js';
import { CODEC_H264, CODEC_HEVC, codecName, parseMessage } from './wire.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const PING_INTERVAL_MS = 2000;
const OVERLAY_INTERVAL_MS = 250;
const PLOT_INTERVAL_MS = 100;
const TREND_WINDOW_MS = 60000;
const OVERLAY_KEY = 'sdr.overlay';
/** What the "save" button asks for: GET record/clip?seconds=30 (recording.historySeconds must reach it). */
const CLIP_SECONDS = 30;

const ui = {
  canvas: $('video'),
  overlay: $('overlay'),
  status: $('status'),
  notice: $('notice'),
  picker: $('stream-picker'),
  select: $('stream-select'),
  tierPicker: $('tier-picker'),
  tierSelect: $('tier-select'),
  tierState: $('tier-state'),
  tokenForm: $('token-form'),
  tokenInput: $('token-input'),
  videoFrame: $('video-frame'),
  keyframeButton: $('keyframe-button'),
  clipButton: $('clip-button'),
  overlayButton: $('overlay-button'),
  fullscreenButton: $('fullscreen-button'),
  fpsPlot: $('fps-plot'),
  fpsLatest: $('fps-latest'),
  latencyPlot: $('latency-plot'),
  latencyLatest: $('latency-latest'),
};

let token = takeToken();
/** A refused token stops the reconnects until the user gives another one. */
let accessDenied = false;

let stream = params.get('stream');
/** ?tier=: null or 'auto' is adaptive (the server moves us to what the link carries); a label pins that tier. */
let tierChoice = params.get('tier');
/** Tier labels per stream from /stream/list, largest first: {main: ['720p', '360p', ...]}. */
let tierLabels = {};
/** The server's last 0x03 tier message (which rendition we receive, and why), or null. */
let tier = null;
const tierHistory = [];
let tierSwitches = 0;
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
const panel = new TelemetryPanel($('telemetry-list'), $('telemetry-empty'));
const fpsTrend = new Series(TREND_WINDOW_MS);
const latencyTrend = new Series(TREND_WINDOW_MS);
/** Keyframe requests from the button: how many, when the last went out, how long until a keyframe came. */
const keyframes = { requested: 0, pendingSince: null, lastDelayMs: null, received: 0, refused: null };
/** Clips from the "save" button: how many were saved, the last one's file and size, the last refusal. */
const clips = { saving: false, saved: 0, lastFile: null, lastBytes: null, refused: null };
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
  const query = new URLSearchParams();
  if (stream) {
    query.set('stream', stream);
  }
  if (tierChoice) {
    query.set('tier', tierChoice);
  }
  const text = query.toString();
  return `${scheme}//${location.host}/stream/ws${text ? `?${text}` : ''}`;
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
    // Which quality tier we get and why (streams without tiers send none; older servers ignore it).
    tier = null;
    socket.send({ tiers: true });
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
  updateKeyframeButton();
  updateClipButton();
  keyframes.refused = null;
  ui.keyframeButton.disabled = false;
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
  if (frame.keyframe) {
    keyframes.received++;
    if (keyframes.pendingSince !== null) {
      keyframes.lastDelayMs = now - keyframes.pendingSince;
      keyframes.pendingSince = null;
      showKeyframeState();
    }
  }
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
  } else if (body.type === 'tier') {
    onTier(body);
  } else if (body.type === 'keyframe' && body.status === 'refused') {
    keyframes.refused = body.reason || 'refused';
    keyframes.pendingSince = null;
    ui.keyframeButton.disabled = true;
    showKeyframeState();
  }
}

setInterval(ping, PING_INTERVAL_MS);

// ---- quality tiers -------------------------------------------------------------------------------

/**
 * The server moved us to another rendition (or told us where we are, frame_seq -1). Nothing to do
 * for the picture: the switch comes at a keyframe whose SPS has the new size, and the decoder
 * reconfigures there; this only shows it.
 */
function onTier(body) {
  if (typeof body.label !== 'string' || !Array.isArray(body.tiers)) {
    return;
  }
  if (tier && tier.label !== body.label) {
    tierSwitches++;
  }
  tier = {
    label: body.label,
    stream: body.tier,
    index: body.index,
    tiers: body.tiers.map(String),
    reason: body.reason,
    frameSeq: body.frame_seq,
    width: body.width || null,
    height: body.height || null,
    bitrateKbps: body.bitrate_kbps || null,
    linkKbps: body.link_kbps || null,
  };
  tierHistory.push({ label: tier.label, reason: tier.reason, frameSeq: tier.frameSeq });
  if (tierHistory.length > 20) {
    tierHistory.shift();
  }
  renderTierPicker();
}

const TIER_REASONS = {
  join: 'starting at the top',
  pinned: 'pinned',
  lagging: 'down: the link lagged',
  probe: 'up: the link drained',
  probe_failed: 'back down: the step up lagged',
};

function tierText(t) {
  const size = t.width ? ` ${t.width}×${t.height}` : '';
  const link = t.linkKbps ? ` · link ${formatNumber(t.linkKbps)} kbit/s` : '';
  return `${t.label}${size} · ${TIER_REASONS[t.reason] || t.reason}${link}`;
}

/** The picker: auto plus the tiers of the stream shown (from the tier message, else /stream/list). */
function renderTierPicker() {
  const labels = tier ? tier.tiers : tierLabels[(stream || defaultStream || '').split('~')[0]] || [];
  ui.tierPicker.hidden = labels.length < 2;
  const wanted = ['auto', ...labels];
  if ([...ui.tierSelect.options].map((o) => o.value).join() !== wanted.join()) {
    ui.tierSelect.replaceChildren(new Option('auto', 'auto'), ...labels.map((label) => new Option(label, label)));
  }
  ui.tierSelect.value = tierChoice && labels.includes(tierChoice) ? tierChoice : 'auto';
  ui.tierState.textContent = tier ? tierText(tier) : '';
}

ui.tierSelect.addEventListener('change', () => {
  tierChoice = ui.tierSelect.value === 'auto' ? null : ui.tierSelect.value;
  const url = new URL(location.href);
  if (stream && stream.includes('~')) {
    // ?stream=main~360p pins as well: the choice here replaces it.
    stream = stream.slice(0, stream.indexOf('~'));
    url.searchParams.set('stream', stream);
  }
  if (tierChoice) {
    url.searchParams.set('tier', tierChoice);
  } else {
    url.searchParams.delete('tier');
  }
  history.replaceState(null, '', url);
  // A pin is a new connection (?tier=): the server starts it on that tier, at a keyframe.
  decoder.resync();
  socket.restart();
});

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
    tierLabels = {};
    for (const [name, tiers] of Object.entries(list.tiers && typeof list.tiers === 'object' ? list.tiers : {})) {
      if (Array.isArray(tiers)) {
        tierLabels[name] = tiers.map((t) => String(t && t.label));
      }
    }
  } catch (error) {
    return true; // a server without /stream/list: no selector, the default stream
  }
  if (stream && !streams.includes(stream.split('~')[0])) {
    showNotice('stream', `There is no stream "${stream}" on this server; streams: ${streams.join(', ')}.`);
  }
  ui.picker.hidden = streams.length < 2;
  ui.select.replaceChildren(...streams.map((name) => new Option(name, name)));
  ui.select.value = stream || defaultStream;
  renderTierPicker();
  return true;
}

ui.select.addEventListener('change', () => {
  stream = ui.select.value;
  const url = new URL(location.href);
  url.searchParams.set('stream', stream);
  // Another stream has its own tiers (or none): back to auto.
  url.searchParams.delete('tier');
  tierChoice = null;
  history.replaceState(null, '', url);
  clearNotice('stream');
  tier = null;
  renderTierPicker();
  codec = null;
  droppedServer = 0;
  decoder.resync();
  socket.restart();
});

// ---- controls: keyframe, overlay, full screen ------------------------------------------------------

function showKeyframeState() {
  const b = ui.keyframeButton;
  if (keyframes.refused) {
    b.title = `the server refused: ${keyframes.refused}`;
  } else if (keyframes.pendingSince !== null) {
    b.textContent = 'keyframe…';
    b.title = 'asked; waiting for the next keyframe';
  } else {
    b.textContent = 'keyframe';
    b.title = keyframes.lastDelayMs === null ? 'ask the encoder for a keyframe now'
      : `last request answered by a keyframe after ${Math.round(keyframes.lastDelayMs)} ms`;
  }
}

function updateKeyframeButton() {
  ui.keyframeButton.hidden = !mayRequestKeyframes(token);
}

ui.keyframeButton.addEventListener('click', () => {
  if (!connected || keyframes.refused) {
    return;
  }
  keyframes.requested++;
  keyframes.pendingSince = performance.now();
  socket.send({ keyframe: true });
  showKeyframeState();
});

// ---- "save the last 30 s": GET record/clip -> a download ------------------------------------------
//
// Relative, so that behind the edge's /viewer/ prefix it reaches the transport server that serves
// this page (Caddy strips the prefix). The server decides: admin addresses, or a token granting
// "record" (docs/WIRE.md); its reason for a refusal is shown as it is.

function updateClipButton() {
  ui.clipButton.hidden = !mayTakeClips(token);
}

/** The file name of a Content-Disposition: attachment; filename="..." header, or null. */
function attachmentName(header) {
  const match = /filename="([^"]+)"/.exec(header || '');
  return match ? match[1] : null;
}

async function saveClip() {
  if (clips.saving) {
    return;
  }
  const name = stream || defaultStream;
  clips.saving = true;
  ui.clipButton.disabled = true;
  ui.clipButton.textContent = 'saving…';
  clearNotice('clip');
  try {
    const query = new URLSearchParams({ seconds: String(CLIP_SECONDS) });
    if (name) {
      query.set('stream', name);
    }
    const response = await fetch(`record/clip?${query}`, { cache: 'no-store', headers: authHeaders(token) });
    if (!response.ok) {
      const reason = (await response.text()).trim();
      clips.refused = { status: response.status, reason };
      showNotice('clip', `The server did not save the last ${CLIP_SECONDS} s (${response.status}): ${reason}`);
      return;
    }
    const blob = await response.blob();
    const file = attachmentName(response.headers.get('Content-Disposition')) || `${name || 'stream'}.mcap`;
    const url = URL.createObjectURL(blob);
    const link = document.createElement('a');
    link.href = url;
    link.download = file;
    document.body.append(link);
    link.click();
    link.remove();
    // The download has taken its copy by then; the blob can go.
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    clips.saved++;
    clips.lastFile = file;
    clips.lastBytes = blob.size;
    clips.refused = null;
  } catch (error) {
    clips.refused = { status: null, reason: error.message };
    showNotice('clip', `The last ${CLIP_SECONDS} s could not be fetched: ${error.message}`);
  } finally {
    clips.saving = false;
    ui.clipButton.disabled = false;
    ui.clipButton.textContent = `save ${CLIP_SECONDS} s`;
  }
}

ui.clipButton.addEventListener('click', saveClip);

function setOverlayOnPicture(on) {
  ui.videoFrame.classList.toggle('overlay-on', on);
  ui.overlayButton.setAttribute('aria-pressed', String(on));
  ui.overlayButton.title = on ? 'move the figures off the picture' : 'show the figures on the picture';
  try {
    localStorage.setItem(OVERLAY_KEY, on ? 'on' : 'off');
  } catch (noStorage) {
    // private mode: the choice lasts as long as the page
  }
}

ui.overlayButton.addEventListener('click', () => setOverlayOnPicture(!ui.videoFrame.classList.contains('overlay-on')));

function storedOverlay() {
  try {
    return localStorage.getItem(OVERLAY_KEY) === 'on';
  } catch (noStorage) {
    return false;
  }
}

async function toggleFullscreen() {
  try {
    if (document.fullscreenElement) {
      await document.exitFullscreen();
    } else {
      await ui.videoFrame.requestFullscreen();
    }
  } catch (error) {
    showNotice('fullscreen', `Full screen is not available here: ${error.message}`);
    setTimeout(() => clearNotice('fullscreen'), 4000);
  }
}

ui.fullscreenButton.addEventListener('click', toggleFullscreen);
// In full screen the header is out of sight: a double click on the picture (or f, or Esc) leaves.
ui.canvas.addEventListener('dblclick', toggleFullscreen);
document.addEventListener('keydown', (event) => {
  const typing = event.target instanceof HTMLInputElement || event.target instanceof HTMLSelectElement
    || event.target instanceof HTMLTextAreaElement;
  if (event.key === 'f' && !event.ctrlKey && !event.metaKey && !event.altKey && !typing) {
    toggleFullscreen();
  }
});
document.addEventListener('fullscreenchange', () => {
  ui.fullscreenButton.textContent = document.fullscreenElement ? 'exit full screen' : 'full screen';
});
if (!document.fullscreenEnabled) {
  ui.fullscreenButton.hidden = true;
}

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
    reconfigures: decoder.reconfigures,
    tierChoice: tierChoice || 'auto',
    tier: tier ? { ...tier } : null,
    tierShown: ui.tierPicker.hidden ? null : ui.tierState.textContent,
    tierSwitches,
    tierHistory: tierHistory.map((t) => ({ ...t })),
    malformed,
    latencyToArrivalMs: lat.arrivalMs,
    latencyToPictureMs: lat.drawnMs,
    latencyClock: lat.source,
    clockOffsetMs: offset ? offset.offsetMs : null,
    clockRttMs: offset ? offset.rttMs : null,
    notices: [...notices.keys()],
    access: accessDenied ? 'denied' : (token ? 'token' : 'none'),
    telemetry: panel.snapshot(),
    plots: panel.plots(),
    trends: {
      fps: { points: fpsTrend.length, last: fpsTrend.last, drawn: fpsTrend.drawn || 0 },
      latency: { points: latencyTrend.length, last: latencyTrend.last, drawn: latencyTrend.drawn || 0 },
    },
    keyframes: { ...keyframes, buttonVisible: !ui.keyframeButton.hidden, buttonEnabled: !ui.keyframeButton.disabled },
    clips: { ...clips, buttonVisible: !ui.clipButton.hidden },
    overlayOnPicture: ui.videoFrame.classList.contains('overlay-on'),
    fullscreen: Boolean(document.fullscreenElement),
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
    ...(s.tier ? [`tier ${tierText(s.tier)} (${s.tierChoice === 'auto' ? 'auto' : 'pinned'})`] : []),
    `fps ${s.fps.toFixed(1)} · received ${s.receivedFps.toFixed(1)}/s · ${(s.bitrateBps / 1e6).toFixed(2)} Mbit/s`,
    `decode queue ${s.decodeQueue} · dropped ${s.dropped} (server ${s.droppedServer}, here ${s.droppedClient}) · errors ${s.decodeErrors}`,
    latencyText,
    `frames decoded ${s.decoded}`,
  ].join('\n');
  const now = performance.now();
  if (s.received > 0) {
    fpsTrend.add(now, s.fps);
  }
  if (s.latencyToPictureMs !== null) {
    latencyTrend.add(now, s.latencyToPictureMs);
  }
  ui.fpsLatest.textContent = s.received > 0 ? s.fps.toFixed(1) : '–';
  ui.latencyLatest.textContent = s.latencyToPictureMs === null ? '–' : `${formatNumber(Math.round(s.latencyToPictureMs))} ms`;
  panel.render(now);
}

function drawPlots() {
  const now = performance.now();
  fpsTrend.drawn = drawSparkline(ui.fpsPlot, fpsTrend, now, { color: '#7ee787', fill: 'rgba(126, 231, 135, 0.12)' });
  latencyTrend.drawn = drawSparkline(ui.latencyPlot, latencyTrend, now, { color: '#ffb44c', fill: 'rgba(255, 180, 76, 0.12)' });
  panel.draw(now);
}

setInterval(renderOverlay, OVERLAY_INTERVAL_MS);
setInterval(drawPlots, PLOT_INTERVAL_MS);
window.sdrViewer = { snapshot };

setOverlayOnPicture(storedOverlay());
updateKeyframeButton();
updateClipButton();
loadStreams().then((ok) => ok && socket.start());
renderOverlay();
