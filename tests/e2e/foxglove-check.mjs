// A real Foxglove client against the server's /foxglove endpoint: @foxglove/ws-protocol's
// FoxgloveClient over the `ws` package, every video message decoded with protobufjs from the
// schema the server advertised. Driven by io.sdr.e2e.FoxgloveClientTest: one JSON argument names
// the scenario; the last stdout line is "REPORT <json>" for the test to judge (this script asserts
// nothing itself, except that the protocol is followed: an error event or a bad message ends it
// with exit code 2).
import fs from "node:fs";
import foxglove from "@foxglove/ws-protocol";
import WebSocket from "ws";
import protobuf from "protobufjs";
import descriptor from "protobufjs/ext/descriptor/index.js";

const { FoxgloveClient } = foxglove;

const args = JSON.parse(process.argv[2]);
const deadline = setTimeout(() => fail(`scenario ${args.scenario} did not finish within ${args.timeoutMs} ms`), args.timeoutMs);

function fail(message) {
  console.log("REPORT " + JSON.stringify({ failed: message }));
  process.exit(2);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function health() {
  const response = await fetch(args.healthUrl);
  return response.json();
}

/** sdr_ws_frames_dropped_total{reason="lagging"} summed over streams, from /metrics (-1 if unreadable). */
async function laggingDrops() {
  try {
    const text = await (await fetch(args.healthUrl.replace(/\/health$/, "/metrics"))).text();
    return text.split("\n")
      .filter((l) => l.startsWith("sdr_ws_frames_dropped_total{") && l.includes('reason="lagging"'))
      .reduce((sum, l) => sum + Number(l.trim().split(/\s+/).pop()), 0);
  } catch (e) {
    return -1;
  }
}

/** NAL unit types of an Annex B access unit (H.264: the low 5 bits; H.265: bits 1-6). */
function nalTypes(bytes, format) {
  const types = [];
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 0 && bytes[i + 1] === 0 && (bytes[i + 2] === 1 || (bytes[i + 2] === 0 && bytes[i + 3] === 1))) {
      const at = bytes[i + 2] === 1 ? i + 3 : i + 4;
      types.push(format === "h265" ? (bytes[at] >> 1) & 0x3f : bytes[at] & 0x1f);
      i = at;
    }
  }
  return types;
}

/**
 * One Foxglove connection: its serverInfo, channels, statuses and decoded video messages, in
 * arrival order ("events"), so a scenario can check what came after what.
 */
class Viewer {
  constructor(name, protocol) {
    this.name = name;
    this.events = [];
    this.channels = new Map();
    this.types = new Map();
    this.subscriptions = new Map();
    this.video = [];
    this.telemetry = [];
    this.statuses = [];
    this.removed = [];
    this.ws = new WebSocket(args.url, [protocol]);
    this.client = new FoxgloveClient({ ws: this.ws });
    this.opened = new Promise((resolve) => this.client.on("open", resolve));
    this.client.on("error", (error) => fail(`${name}: client error: ${error && error.message}`));
    this.client.on("close", (event) => { this.closed = { code: event.code, reason: event.reason }; });
    this.client.on("serverInfo", (info) => { this.serverInfo = info; this.protocol = this.ws.protocol; });
    this.client.on("advertise", (channels) => {
      for (const channel of channels) {
        this.channels.set(channel.id, channel);
        this.events.push({ kind: "advertise", topic: channel.topic });
      }
    });
    this.client.on("status", (status) => {
      this.statuses.push(status);
      this.events.push({ kind: "status", level: status.level, message: status.message, id: status.id });
    });
    this.client.on("removeStatus", (message) => {
      this.removed.push(...message.statusIds);
      this.events.push({ kind: "removeStatus", ids: message.statusIds });
    });
    this.client.on("message", (message) => this.onMessage(message));
  }

  channel(predicate) {
    for (const channel of this.channels.values()) {
      if (predicate(channel)) {
        return channel;
      }
    }
    return undefined;
  }

  async waitFor(what, condition, ms = 20000) {
    const until = Date.now() + ms;
    while (!condition()) {
      if (Date.now() > until) {
        fail(`${this.name}: no ${what} within ${ms} ms`);
      }
      await sleep(20);
    }
  }

  subscribe(channel) {
    if (channel.encoding === "protobuf" && !this.types.has(channel.id)) {
      // Exactly what a Foxglove viewer does with an advertised protobuf channel.
      const set = descriptor.FileDescriptorSet.decode(Buffer.from(channel.schema, "base64"));
      this.types.set(channel.id, protobuf.Root.fromDescriptor(set).lookupType(channel.schemaName));
    }
    const id = this.client.subscribe(channel.id);
    this.subscriptions.set(id, { channel, subscribedAt: Date.now() });
    return id;
  }

  onMessage(message) {
    const subscription = this.subscriptions.get(message.subscriptionId);
    if (!subscription) {
      fail(`${this.name}: MessageData for unknown subscription ${message.subscriptionId}`);
    }
    const bytes = new Uint8Array(message.data.buffer, message.data.byteOffset, message.data.byteLength);
    const { channel } = subscription;
    if (channel.encoding === "json") {
      this.telemetry.push({ topic: channel.topic, value: JSON.parse(new TextDecoder().decode(bytes)) });
      return;
    }
    const decoded = this.types.get(channel.id).decode(bytes);
    const stampNs = BigInt(decoded.timestamp.seconds) * 1000000000n + BigInt(decoded.timestamp.nanos || 0);
    const types = nalTypes(decoded.data, decoded.format);
    const frame = {
      at: Date.now(),
      sinceSubscribeMs: Date.now() - subscription.subscribedAt,
      headerNs: message.timestamp.toString(),
      stampNs: stampNs.toString(),
      ageMs: Date.now() - Number(stampNs / 1000000n),
      frameId: decoded.frameId ?? decoded.frame_id,
      format: decoded.format,
      bytes: decoded.data.length,
      keyframe: types.includes(decoded.format === "h265" ? 19 : 5) || types.includes(20),
      sps: types.includes(decoded.format === "h265" ? 33 : 7),
      pps: types.includes(decoded.format === "h265" ? 34 : 8),
    };
    this.video.push(frame);
    this.events.push({ kind: "video", keyframe: frame.keyframe });
    if (this.h264) {
      this.h264.push(Buffer.from(decoded.data));
    }
  }

  report() {
    const video = this.video;
    let increasing = true;
    let headerMatches = true;
    for (let i = 0; i < video.length; i++) {
      headerMatches &&= video[i].headerNs === video[i].stampNs;
      if (i > 0 && BigInt(video[i].stampNs) <= BigInt(video[i - 1].stampNs)) {
        increasing = false;
      }
    }
    return {
      protocol: this.protocol,
      serverInfo: this.serverInfo,
      channels: [...this.channels.values()].map((c) => ({ ...c, schema: c.schema.length > 64 ? `${c.schema.length} chars` : c.schema })),
      videoSchemaBase64: (this.channel((c) => c.schemaName === "foxglove.CompressedVideo") || {}).schema,
      frames: video.length,
      first: video[0],
      keyframes: video.filter((f) => f.keyframe).length,
      frameIds: [...new Set(video.map((f) => f.frameId))],
      formats: [...new Set(video.map((f) => f.format))],
      maxAgeMs: Math.max(...video.map((f) => f.ageMs)),
      minAgeMs: Math.min(...video.map((f) => f.ageMs)),
      timestampsIncreasing: increasing,
      headerTimestampIsFrameTimestamp: headerMatches,
      telemetry: this.telemetry,
      statuses: this.statuses,
      removed: this.removed,
      closed: this.closed,
    };
  }
}

async function videoViewer(name, protocol) {
  const viewer = new Viewer(name, protocol);
  await viewer.opened;
  await viewer.waitFor("serverInfo", () => viewer.serverInfo);
  await viewer.waitFor("video channel", () => viewer.channel((c) => c.topic === args.stream));
  return viewer;
}

// Connects with one subprotocol, subscribes to the video and to the JSON telemetry subject, keeps
// the access units of the first `frames` messages for ffprobe.
async function stream() {
  const viewer = await videoViewer("viewer", args.protocol);
  viewer.h264 = [];
  viewer.subscribe(viewer.channel((c) => c.topic === args.stream));
  await viewer.waitFor(`${args.frames} video messages`, () => viewer.video.length >= args.frames);
  fs.writeFileSync(args.h264Out, Buffer.concat(viewer.h264.slice(0, args.frames)));
  await viewer.waitFor(`telemetry channel ${args.telemetryTopic}`, () => viewer.channel((c) => c.topic === args.telemetryTopic));
  viewer.subscribe(viewer.channel((c) => c.topic === args.telemetryTopic));
  await viewer.waitFor("a telemetry message", () => viewer.telemetry.length > 0);
  // The binary subject is published as often: by now it would have been advertised.
  await sleep(500);
  const report = viewer.report();
  report.h264Frames = args.frames;
  report.binaryTopicAdvertised = viewer.channel((c) => c.topic === args.binaryTopic) !== undefined;
  viewer.client.close();
  return report;
}

// Garbage and unknown operations: each gets a status error, and the video goes on.
async function garbage() {
  const viewer = await videoViewer("garbage", args.protocol);
  viewer.subscribe(viewer.channel((c) => c.topic === args.stream));
  await viewer.waitFor("10 video messages", () => viewer.video.length >= 10);
  const ws = viewer.ws;
  const sent = [
    "this is not json",
    "[1,2,3]",
    JSON.stringify({ op: "fly", to: "the moon" }),
    JSON.stringify({ op: "subscribe", subscriptions: [{ id: 99, channelId: 424242 }] }),
    JSON.stringify({ op: "subscribe", subscriptions: "all" }),
    JSON.stringify({ op: "unsubscribe", subscriptionIds: [777] }),
    JSON.stringify({ op: "getParameters", parameterNames: [] }),
  ];
  for (const text of sent) {
    ws.send(text);
  }
  ws.send(Buffer.from([0x01, 0xde, 0xad, 0xbe, 0xef]));
  const expected = sent.length + 1;
  await viewer.waitFor(`${expected} status errors`, () => viewer.statuses.filter((s) => s.level === 2).length >= expected);
  const framesAtErrors = viewer.video.length;
  await viewer.waitFor("30 more video messages", () => viewer.video.length >= framesAtErrors + 30);
  const report = viewer.report();
  report.sent = expected;
  report.framesAfterErrors = viewer.video.length - framesAtErrors;
  viewer.client.close();
  return report;
}

// A slow viewer (its socket stops reading for pauseMs) next to a healthy one: the slow one is told
// it waits for a keyframe and resumes at one; the healthy one gets every frame the ring got.
async function slow() {
  const healthy = await videoViewer("healthy", args.protocol);
  const laggard = await videoViewer("slow", args.protocol);
  healthy.subscribe(healthy.channel((c) => c.topic === args.stream));
  laggard.subscribe(laggard.channel((c) => c.topic === args.stream));
  await healthy.waitFor("30 video messages", () => healthy.video.length >= 30);
  await laggard.waitFor("30 video messages", () => laggard.video.length >= 30);
  const before = await health();
  const healthyBefore = healthy.video.length;
  const slowBefore = laggard.video.length;
  const lagBefore = await laggingDrops();
  laggard.ws._socket.pause();
  await sleep(args.pauseMs);
  // What the socket buffers absorb depends on the kernel's tuning: stay paused (up to 20 s more)
  // until the server has counted the lag that sends the laggard to keyframe-wait.
  const deadline = Date.now() + 20000;
  while ((await laggingDrops()) <= lagBefore && Date.now() < deadline) {
    await sleep(100);
  }
  const pausedMs = Date.now() - (deadline - 20000) + args.pauseMs;
  laggard.ws._socket.resume();
  await laggard.waitFor("the keyframe-wait status", () => laggard.statuses.some((s) => s.level === 1));
  await laggard.waitFor("a removeStatus (resynced)", () => laggard.removed.length > 0);
  await laggard.waitFor("10 frames after the resync", () => {
    const at = laggard.events.findIndex((e) => e.kind === "status" && e.level === 1);
    return laggard.events.slice(at).filter((e) => e.kind === "video").length >= 10;
  });
  const after = await health();
  const healthyAfter = healthy.video.length;
  const at = laggard.events.findIndex((e) => e.kind === "status" && e.level === 1);
  const firstAfterStatus = laggard.events.slice(at).find((e) => e.kind === "video");
  const report = {
    pausedMs,
    ringFrames: after.shm_seq - before.shm_seq,
    healthyFrames: healthyAfter - healthyBefore,
    slowFramesDuringWindow: laggard.video.length - slowBefore,
    firstVideoAfterStatusIsKeyframe: firstAfterStatus && firstAfterStatus.keyframe,
    slowEventsAroundStatus: laggard.events.slice(Math.max(0, at - 3), at + 4),
    healthy: healthy.report(),
    slow: laggard.report(),
  };
  healthy.client.close();
  laggard.client.close();
  return report;
}

const scenarios = { stream, garbage, slow };
const report = await scenarios[args.scenario]();
clearTimeout(deadline);
console.log("REPORT " + JSON.stringify(report));
process.exit(0);
