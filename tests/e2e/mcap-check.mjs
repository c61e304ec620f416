// Reads an MCAP file with the MCAP project's own TypeScript reader (@mcap/core, decompressors from
// @mcap/support) and prints one JSON line of facts for the Java test to judge:
//
//   node mcap-check.mjs FILE [--h264 OUT] [--streaming-only]
//
// indexed    McapIndexedReader over the summary: schemas, channels, statistics, every message (CRCs checked)
// streaming  McapStreamReader front to back (CRCs checked): record counts; for a file cut by a crash
//            (--streaming-only) how many messages were read before the reader stopped and why
// video      every message on a protobuf channel decoded with the schema the file advertises
//            (protobufjs from its FileDescriptorSet); the access units concatenated into OUT
// telemetry  every message on a json channel parsed with JSON.parse; a numbered one ({"seq": N})
//            reported as [first, last, count] per topic
//
// A failure to read is reported in the JSON ("error"), not thrown, so the test prints it.
import { McapIndexedReader, McapStreamReader } from "@mcap/core";
import { loadDecompressHandlers, protobufFromBinaryDescriptor } from "@mcap/support";
import { readFile, writeFile } from "node:fs/promises";

const args = process.argv.slice(2);
const file = args[0];
const h264Out = args.includes("--h264") ? args[args.indexOf("--h264") + 1] : null;
const streamingOnly = args.includes("--streaming-only");

const decompressHandlers = await loadDecompressHandlers();
const bytes = new Uint8Array(await readFile(file));

function nalTypes(au) {
  const types = [];
  for (let i = 0; i + 3 < au.length; i++) {
    if (au[i] === 0 && au[i + 1] === 0 && au[i + 2] === 1) {
      types.push(au[i + 3] & 0x1f);
      i += 3;
    }
  }
  return types;
}

/** Judges the messages of one read (both readers feed it), keyed by channel. */
function makeJudge(schemasById, channelsById) {
  const types = new Map();
  const out = {
    messages: 0, video: 0, telemetry: 0, undecodable: [], byTopic: {}, firstVideo: null,
    ordered: true, videoTimestampsMatchLogTime: true, accessUnits: [], telemetrySeq: {},
  };
  let lastLogTime = -1n;
  return {
    out,
    add(message) {
      const channel = channelsById.get(message.channelId);
      if (!channel) {
        out.undecodable.push(`message on unknown channel ${message.channelId}`);
        return;
      }
      out.messages++;
      out.byTopic[channel.topic] = (out.byTopic[channel.topic] ?? 0) + 1;
      if (message.logTime < lastLogTime) out.ordered = false;
      lastLogTime = message.logTime;
      if (channel.messageEncoding === "protobuf") {
        const schema = schemasById.get(channel.schemaId);
        let type = types.get(channel.schemaId);
        if (!type) {
          type = protobufFromBinaryDescriptor(schema.data).lookupType(schema.name);
          types.set(channel.schemaId, type);
        }
        let decoded;
        try {
          decoded = type.toObject(type.decode(message.data), { longs: String });
        } catch (e) {
          out.undecodable.push(`${channel.topic} seq ${message.sequence}: ${e.message}`);
          return;
        }
        out.video++;
        const ns = BigInt(decoded.timestamp.seconds) * 1_000_000_000n + BigInt(decoded.timestamp.nanos ?? 0);
        if (ns !== message.logTime) out.videoTimestampsMatchLogTime = false;
        if (out.firstVideo === null) {
          out.firstVideo = { format: decoded.format, frameId: decoded.frame_id ?? decoded.frameId, nalTypes: nalTypes(decoded.data),
            logTime: String(message.logTime) };
        }
        out.accessUnits.push(decoded.data);
      } else if (channel.messageEncoding === "json") {
        try {
          const value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(message.data));
          out.telemetry++;
          if (typeof value?.seq === "number") {
            // A numbered source: [first, last, count] per topic shows whether the window has gaps.
            const s = (out.telemetrySeq[channel.topic] ??= [value.seq, value.seq, 0]);
            s[0] = Math.min(s[0], value.seq);
            s[1] = Math.max(s[1], value.seq);
            s[2]++;
          }
        } catch (e) {
          out.undecodable.push(`${channel.topic} seq ${message.sequence}: ${e.message}`);
        }
      } else {
        out.undecodable.push(`${channel.topic}: encoding ${channel.messageEncoding}`);
      }
    },
  };
}

const result = { file, size: bytes.length };

function streaming() {
  const reader = new McapStreamReader({ decompressHandlers, validateCrcs: true });
  const schemas = new Map();
  const channels = new Map();
  const judge = makeJudge(schemas, channels);
  const records = {};
  const r = { records, done: false, error: null };
  reader.append(bytes);
  try {
    for (let record; (record = reader.nextRecord()); ) {
      records[record.type] = (records[record.type] ?? 0) + 1;
      if (record.type === "Schema") schemas.set(record.id, record);
      if (record.type === "Channel") channels.set(record.id, record);
      if (record.type === "Message") judge.add(record);
    }
    r.done = reader.done();
  } catch (e) {
    r.error = e.message;
  }
  r.bytesRemaining = reader.bytesRemaining();
  const { accessUnits, ...facts } = judge.out;
  return { ...r, ...facts };
}

async function indexed() {
  const reader = await McapIndexedReader.Initialize({
    readable: {
      size: async () => BigInt(bytes.length),
      read: async (offset, size) => bytes.subarray(Number(offset), Number(offset + size)),
    },
    decompressHandlers,
  });
  const judge = makeJudge(reader.schemasById, reader.channelsById);
  for await (const message of reader.readMessages({ validateCrcs: true })) judge.add(message);
  const stats = reader.statistics;
  const { accessUnits, ...facts } = judge.out;
  return {
    accessUnits,
    facts: {
      header: reader.header,
      schemas: [...reader.schemasById.values()].map((s) => ({ id: s.id, name: s.name, encoding: s.encoding })),
      channels: [...reader.channelsById.values()].map((c) => ({ id: c.id, topic: c.topic, schemaId: c.schemaId,
        messageEncoding: c.messageEncoding, metadata: Object.fromEntries(c.metadata) })),
      chunks: reader.chunkIndexes.length,
      compression: [...new Set(reader.chunkIndexes.map((c) => c.compression))],
      statistics: stats && { messageCount: String(stats.messageCount), channelCount: stats.channelCount,
        chunkCount: stats.chunkCount, messageStartTime: String(stats.messageStartTime),
        messageEndTime: String(stats.messageEndTime) },
      summaryOffsets: [...reader.summaryOffsetsByOpcode.keys()],
      ...facts,
    },
  };
}

result.streaming = streaming();
if (!streamingOnly) {
  try {
    const { accessUnits, facts } = await indexed();
    result.indexed = facts;
    if (h264Out) {
      await writeFile(h264Out, Buffer.concat(accessUnits.map((a) => Buffer.from(a))));
    }
  } catch (e) {
    result.indexed = { error: String(e.stack ?? e) };
  }
}
process.stdout.write(JSON.stringify(result, (k, v) => (typeof v === "bigint" ? String(v) : v)) + "\n");
