package io.sdr.mcap;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32;

import static io.sdr.mcap.McapDescriptor.*;

/**
 * Writes one indexed MCAP file ({@link McapDescriptor}) to a channel, front to back, in one pass:
 * Magic and Header at once; Schema and Channel records into the data section as they are
 * registered; Messages into Chunks of about {@code chunkBytes} uncompressed bytes, each Chunk
 * followed by one MessageIndex per channel it holds; then at {@link #finish}: DataEnd, the summary
 * (Schema, Channel, Statistics and ChunkIndex groups), one SummaryOffset per group, Footer, Magic.
 *
 * <p>Nothing is written out of order or rewritten, so the output can be a socket, a pipe or a file
 * being cut by a crash: every Chunk is written whole, its indexes right behind it, so a reader of a
 * truncated file gets every message up to the last complete Chunk. One thread, one file.
 */
public final class McapWriter implements AutoCloseable {
    /**
     * @param profile     the Header's profile ("" for none)
     * @param library     the Header's library string
     * @param compression of the Chunks
     * @param chunkBytes  uncompressed size at which a Chunk is closed (a message never splits)
     */
    public record Options(String profile, String library, ChunkCompression compression, int chunkBytes) {
    }

    private record SchemaRecord(int id, String name, String encoding, byte[] data) {
    }

    private record ChannelRecord(int id, int schemaId, String topic, String encoding, Map<String, String> metadata) {
    }

    private record ChunkInfo(long start, long end, long offset, long length, Map<Integer, Long> indexOffsets,
                             long indexLength, long compressedSize, long uncompressedSize) {
    }

    private final WritableByteChannel out;
    private final Options options;
    private final CRC32 dataCrc = new CRC32();
    private final ByteBuf record = Unpooled.buffer(4096);
    private final List<SchemaRecord> schemas = new ArrayList<>();
    private final List<ChannelRecord> channels = new ArrayList<>();
    private final List<ChunkInfo> chunks = new ArrayList<>();
    private final Map<Integer, Long> messageCounts = new TreeMap<>();
    private long position;
    private long messageCount;
    private long firstLogTime = Long.MAX_VALUE;
    private long lastLogTime = Long.MIN_VALUE;
    private boolean finished;
    private boolean closed;

    // ---- the open Chunk --------------------------------------------------------------------------
    /** Direct, like {@link #compressed}, and released by {@link #finish} or {@link #close}. */
    private final ByteBuf chunk;
    /** The open Chunk compressed, reused for every Chunk; null until the first one (and for no compression). */
    private ByteBuf compressed;
    /** channel id -> (log_time, offset) pairs, 16 bytes each, in write order. */
    private final Map<Integer, ByteBuf> chunkIndexes = new TreeMap<>();
    private long chunkStart = Long.MAX_VALUE;
    private long chunkEnd = Long.MIN_VALUE;

    public McapWriter(final WritableByteChannel out, final Options options) throws IOException {
        if (options.chunkBytes() < 1024) {
            throw new IllegalArgumentException("chunkBytes=" + options.chunkBytes() + ": must be at least 1024");
        }
        this.out = out;
        this.options = options;
        this.chunk = Unpooled.directBuffer(Math.min(options.chunkBytes() + 64 * 1024, 1 << 24));
        write(Unpooled.wrappedBuffer(MAGIC), dataCrc);
        begin(OP_HEADER);
        string(record, options.profile());
        string(record, options.library());
        writeRecord(dataCrc);
    }

    /** Writes a Schema record now (ids from 1); returns its id. */
    public int addSchema(final String name, final String encoding, final byte[] data) throws IOException {
        final SchemaRecord schema = new SchemaRecord(schemas.size() + 1, name, encoding, data);
        schemas.add(schema);
        schemaRecord(schema);
        writeRecord(dataCrc);
        return schema.id();
    }

    /** Writes a Channel record now (ids from 0); returns its id. {@code schemaId} 0: no schema. */
    public int addChannel(final int schemaId, final String topic, final String messageEncoding,
                          final Map<String, String> metadata) throws IOException {
        if (channels.size() > 0xFFFF) {
            throw new IllegalStateException("too many channels: " + channels.size());
        }
        final ChannelRecord channel = new ChannelRecord(channels.size(), schemaId, topic, messageEncoding, Map.copyOf(metadata));
        channels.add(channel);
        channelRecord(channel);
        writeRecord(dataCrc);
        return channel.id();
    }

    /**
     * Adds a Message to the open Chunk: its data is {@code prefix} (may be null) followed by
     * {@code length} bytes of {@code data} from {@code index}. The Chunk is written once it holds
     * {@code chunkBytes}.
     */
    public void addMessage(final int channelId, final long sequence, final long logTimeNs, final long publishTimeNs,
                           final byte[] prefix, final ByteBuf data, final int index, final int length) throws IOException {
        if (closed) {
            throw new IllegalStateException("the writer is closed");
        }
        final int prefixLength = prefix == null ? 0 : prefix.length;
        final long offset = chunk.writerIndex();
        chunk.writeByte(OP_MESSAGE);
        chunk.writeLongLE(MESSAGE_FIXED_LENGTH + prefixLength + length);
        chunk.writeShortLE(channelId);
        chunk.writeIntLE((int) sequence);
        chunk.writeLongLE(logTimeNs);
        chunk.writeLongLE(publishTimeNs);
        if (prefix != null) {
            chunk.writeBytes(prefix);
        }
        chunk.writeBytes(data, index, length);
        chunkIndexes.computeIfAbsent(channelId, c -> Unpooled.buffer(256)).writeLongLE(logTimeNs).writeLongLE(offset);
        chunkStart = Math.min(chunkStart, logTimeNs);
        chunkEnd = Math.max(chunkEnd, logTimeNs);
        firstLogTime = Math.min(firstLogTime, logTimeNs);
        lastLogTime = Math.max(lastLogTime, logTimeNs);
        messageCount++;
        messageCounts.merge(channelId, 1L, Long::sum);
        if (chunk.writerIndex() >= options.chunkBytes()) {
            flushChunk();
        }
    }

    /** Writes the open Chunk (if it holds anything) and then its MessageIndex records. */
    public void flushChunk() throws IOException {
        if (closed) {
            throw new IllegalStateException("the writer is closed");
        }
        if (chunk.writerIndex() == 0) {
            return;
        }
        final int uncompressed = chunk.writerIndex();
        final CRC32 crc = new CRC32();
        crc.update(chunk.nioBuffer());
        if (compressed == null && options.compression() != ChunkCompression.NONE) {
            compressed = Unpooled.directBuffer(chunk.capacity());
        }
        final ByteBuf body = options.compression().compress(chunk, compressed);
        final int compressedLength = body.readableBytes();
        final byte[] name = options.compression().mcapName().getBytes(StandardCharsets.UTF_8);
        final long chunkOffset = position;
        final long contentLength = 8 + 8 + 8 + 4 + 4 + name.length + 8 + compressedLength;
        final ByteBuf head = Unpooled.buffer(RECORD_PREFIX + 40 + name.length);
        head.writeByte(OP_CHUNK).writeLongLE(contentLength)
            .writeLongLE(chunkStart).writeLongLE(chunkEnd).writeLongLE(uncompressed).writeIntLE((int) crc.getValue())
            .writeIntLE(name.length).writeBytes(name).writeLongLE(compressedLength);
        final long chunkLength = RECORD_PREFIX + contentLength;
        final ByteBuf indexes = Unpooled.buffer(64 + 32 * chunkIndexes.size());
        final Map<Integer, Long> indexOffsets = new TreeMap<>();
        for (final Map.Entry<Integer, ByteBuf> e : chunkIndexes.entrySet()) {
            indexOffsets.put(e.getKey(), chunkOffset + chunkLength + indexes.writerIndex());
            final ByteBuf entries = e.getValue();
            indexes.writeByte(OP_MESSAGE_INDEX).writeLongLE(2 + 4 + entries.readableBytes())
                .writeShortLE(e.getKey()).writeIntLE(entries.readableBytes()).writeBytes(entries);
        }
        write(head, dataCrc);
        write(body, dataCrc);
        write(indexes, dataCrc);
        chunks.add(new ChunkInfo(chunkStart, chunkEnd, chunkOffset, chunkLength, indexOffsets, indexes.writerIndex(),
            compressedLength, uncompressed));
        chunk.clear();
        chunkIndexes.clear();
        chunkStart = Long.MAX_VALUE;
        chunkEnd = Long.MIN_VALUE;
    }

    /** Bytes written so far (the open Chunk not included). */
    public long position() {
        return position;
    }

    /** Uncompressed bytes waiting in the open Chunk. */
    public int pendingBytes() {
        return closed ? 0 : chunk.writerIndex();
    }

    public long messageCount() {
        return messageCount;
    }

    /** Closes the data section and writes the summary, the summary offsets and the Footer. Does not close the channel. */
    public void finish() throws IOException {
        if (finished) {
            return;
        }
        flushChunk();
        begin(OP_DATA_END);
        record.writeIntLE((int) dataCrc.getValue());
        writeRecord(null);
        finished = true;

        final CRC32 summaryCrc = new CRC32();
        final long summaryStart = position;
        final List<long[]> groups = new ArrayList<>(); // {opcode, start, length}
        long groupStart = position;
        for (final SchemaRecord schema : schemas) {
            schemaRecord(schema);
            writeRecord(summaryCrc);
        }
        groupStart = group(groups, OP_SCHEMA, groupStart);
        for (final ChannelRecord channel : channels) {
            channelRecord(channel);
            writeRecord(summaryCrc);
        }
        groupStart = group(groups, OP_CHANNEL, groupStart);
        begin(OP_STATISTICS);
        record.writeLongLE(messageCount).writeShortLE(schemas.size()).writeIntLE(channels.size())
            .writeIntLE(0).writeIntLE(0).writeIntLE(chunks.size())
            .writeLongLE(messageCount == 0 ? 0 : firstLogTime).writeLongLE(messageCount == 0 ? 0 : lastLogTime);
        u16u64Map(record, messageCounts);
        writeRecord(summaryCrc);
        groupStart = group(groups, OP_STATISTICS, groupStart);
        final byte[] name = options.compression().mcapName().getBytes(StandardCharsets.UTF_8);
        for (final ChunkInfo c : chunks) {
            begin(OP_CHUNK_INDEX);
            record.writeLongLE(c.start()).writeLongLE(c.end()).writeLongLE(c.offset()).writeLongLE(c.length());
            u16u64Map(record, c.indexOffsets());
            record.writeLongLE(c.indexLength()).writeIntLE(name.length).writeBytes(name)
                .writeLongLE(c.compressedSize()).writeLongLE(c.uncompressedSize());
            writeRecord(summaryCrc);
        }
        group(groups, OP_CHUNK_INDEX, groupStart);

        final long summaryOffsetStart = position;
        for (final long[] g : groups) {
            begin(OP_SUMMARY_OFFSET);
            record.writeByte((int) g[0]).writeLongLE(g[1]).writeLongLE(g[2]);
            writeRecord(summaryCrc);
        }
        record.clear();
        record.writeByte(OP_FOOTER).writeLongLE(FOOTER_LENGTH).writeLongLE(summaryStart).writeLongLE(summaryOffsetStart);
        summaryCrc.update(record.array(), record.arrayOffset(), record.writerIndex());
        record.writeIntLE((int) summaryCrc.getValue()).writeBytes(MAGIC);
        write(record, null);
        close();
    }

    /**
     * Frees the Chunk buffers (after {@link #finish}, which calls it, or instead of it when the file
     * is abandoned); nothing can be added afterwards. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        chunk.release();
        if (compressed != null) {
            compressed.release();
            compressed = null;
        }
    }

    /** Ends a summary group that began at {@code start}: remembered for its SummaryOffset when not empty. */
    private long group(final List<long[]> groups, final byte opcode, final long start) {
        if (position > start) {
            groups.add(new long[] {opcode, start, position - start});
        }
        return position;
    }

    private void schemaRecord(final SchemaRecord schema) {
        begin(OP_SCHEMA);
        record.writeShortLE(schema.id());
        string(record, schema.name());
        string(record, schema.encoding());
        record.writeIntLE(schema.data().length).writeBytes(schema.data());
    }

    private void channelRecord(final ChannelRecord channel) {
        begin(OP_CHANNEL);
        record.writeShortLE(channel.id()).writeShortLE(channel.schemaId());
        string(record, channel.topic());
        string(record, channel.encoding());
        final int lengthAt = record.writerIndex();
        record.writeIntLE(0);
        for (final Map.Entry<String, String> e : new TreeMap<>(channel.metadata()).entrySet()) {
            string(record, e.getKey());
            string(record, e.getValue());
        }
        record.setIntLE(lengthAt, record.writerIndex() - lengthAt - 4);
    }

    /** Starts a record in {@link #record}: opcode and a length patched by {@link #writeRecord}. */
    private void begin(final byte opcode) {
        record.clear();
        record.writeByte(opcode).writeLongLE(0);
    }

    private void writeRecord(final CRC32 crc) throws IOException {
        record.setLongLE(1, record.writerIndex() - RECORD_PREFIX);
        write(record, crc);
    }

    private static void string(final ByteBuf buf, final String s) {
        final byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        buf.writeIntLE(bytes.length).writeBytes(bytes);
    }

    private static void u16u64Map(final ByteBuf buf, final Map<Integer, Long> map) {
        buf.writeIntLE(map.size() * U16_U64_ENTRY);
        for (final Map.Entry<Integer, Long> e : map.entrySet()) {
            buf.writeShortLE(e.getKey()).writeLongLE(e.getValue());
        }
    }

    /** Writes every readable byte of {@code buf}, adding it to {@code crc} (when not null) and to the data CRC before DataEnd. */
    private void write(final ByteBuf buf, final CRC32 crc) throws IOException {
        final int length = buf.readableBytes();
        for (final ByteBuffer nio : buf.nioBuffers()) {
            if (crc != null) {
                crc.update(nio.duplicate());
            }
            if (crc != dataCrc && !finished) {
                dataCrc.update(nio.duplicate());
            }
            while (nio.hasRemaining()) {
                out.write(nio);
            }
        }
        position += length;
    }
}
