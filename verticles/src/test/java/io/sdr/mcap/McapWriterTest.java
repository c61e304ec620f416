package io.sdr.mcap;

import com.github.luben.zstd.Zstd;
import io.netty.buffer.Unpooled;
import net.jpountz.lz4.LZ4FrameInputStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

import static io.sdr.mcap.McapDescriptor.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The writer's bytes against the MCAP specification, field by field: magic at both ends, the
 * Footer's offsets, the three CRCs, the ChunkIndex and MessageIndex offsets. (tests/ reads the same
 * files with the MCAP project's own reader, {@code McapIndependentReaderTest}.)
 */
class McapWriterTest {
    private record Written(byte[] file, List<byte[]> payloads) {
    }

    private static Written write(final ChunkCompression compression, final int messages) throws IOException {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final McapWriter w = new McapWriter(Channels.newChannel(bytes), new McapWriter.Options("", "test", compression, 4096));
        final int schema = w.addSchema("s", "protobuf", new byte[] {1, 2, 3});
        final int video = w.addChannel(schema, "/video", "protobuf", Map.of("k", "v"));
        final int json = w.addChannel(0, "t", "json", Map.of());
        final List<byte[]> payloads = new ArrayList<>();
        for (int i = 0; i < messages; i++) {
            final byte[] data = ("{\"i\":" + i + "}" + "x".repeat(i * 13 % 700)).getBytes(StandardCharsets.UTF_8);
            payloads.add(data);
            w.addMessage(i % 2 == 0 ? video : json, i, 1000L + i, 1000L + i, i % 2 == 0 ? new byte[] {9, 9} : null,
                Unpooled.wrappedBuffer(data), 0, data.length);
        }
        w.finish();
        return new Written(bytes.toByteArray(), payloads);
    }

    private static int crc(final byte[] b, final int from, final int to) {
        final CRC32 c = new CRC32();
        c.update(b, from, to - from);
        return (int) c.getValue();
    }

    private static byte[] decompress(final String compression, final byte[] data, final int size) throws IOException {
        return switch (compression) {
            case "" -> data;
            case "zstd" -> Zstd.decompress(data, size);
            case "lz4" -> new LZ4FrameInputStream(new ByteArrayInputStream(data)).readAllBytes();
            default -> throw new AssertionError(compression);
        };
    }

    @ParameterizedTest
    @EnumSource(ChunkCompression.class)
    void shouldWriteWhatTheSpecificationSays(final ChunkCompression compression) throws IOException {
        final Written written = write(compression, 60);
        final byte[] f = written.file();
        final ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
        assertArrayEquals(MAGIC, Arrays.copyOfRange(f, 0, 8));
        assertArrayEquals(MAGIC, Arrays.copyOfRange(f, f.length - 8, f.length));
        final int footer = f.length - 8 - RECORD_PREFIX - FOOTER_LENGTH;
        assertEquals(OP_FOOTER, f[footer]);
        final long summaryStart = b.getLong(footer + 9);
        final long summaryOffsetStart = b.getLong(footer + 17);
        assertEquals(crc(f, (int) summaryStart, footer + RECORD_PREFIX + FOOTER_CRC_COVERED), b.getInt(footer + 25), "summary CRC");

        // The data section: every record in order, chunks decompressed and their messages checked.
        int p = 8;
        final List<Integer> chunkOffsets = new ArrayList<>();
        final List<byte[]> seen = new ArrayList<>();
        while (f[p] != OP_DATA_END) {
            final byte op = f[p];
            final int length = (int) b.getLong(p + 1);
            final int content = p + RECORD_PREFIX;
            if (op == OP_CHUNK) {
                chunkOffsets.add(p);
                final int uncompressed = (int) b.getLong(content + 16);
                final int crc = b.getInt(content + 24);
                final int nameLength = b.getInt(content + 28);
                final String name = new String(f, content + 32, nameLength, StandardCharsets.UTF_8);
                assertEquals(compression.mcapName(), name);
                final int dataLength = (int) b.getLong(content + 32 + nameLength);
                final byte[] records = decompress(name, Arrays.copyOfRange(f, content + 40 + nameLength,
                    content + 40 + nameLength + dataLength), uncompressed);
                assertEquals(uncompressed, records.length);
                assertEquals(crc(records, 0, records.length), crc, "chunk CRC");
                final ByteBuffer r = ByteBuffer.wrap(records).order(ByteOrder.LITTLE_ENDIAN);
                final List<Long> messageOffsets = new ArrayList<>();
                for (int q = 0; q < records.length; q += RECORD_PREFIX + (int) r.getLong(q + 1)) {
                    assertEquals(OP_MESSAGE, records[q]);
                    messageOffsets.add((long) q);
                    final int channel = r.getShort(q + 9);
                    final int dataStart = q + RECORD_PREFIX + MESSAGE_FIXED_LENGTH + (channel == 0 ? 2 : 0);
                    seen.add(Arrays.copyOfRange(records, dataStart, q + RECORD_PREFIX + (int) r.getLong(q + 1)));
                }
                // The MessageIndex records right after the chunk point at those same offsets.
                int m = p + RECORD_PREFIX + length;
                final List<Long> indexed = new ArrayList<>();
                while (f[m] == OP_MESSAGE_INDEX) {
                    final int entries = b.getInt(m + 9 + 2);
                    for (int e = 0; e < entries; e += MESSAGE_INDEX_ENTRY) {
                        indexed.add(b.getLong(m + 9 + 6 + e + 8));
                    }
                    m += RECORD_PREFIX + (int) b.getLong(m + 1);
                }
                indexed.sort(null);
                assertEquals(messageOffsets, indexed, "every message indexed once");
            }
            p += RECORD_PREFIX + length;
        }
        assertEquals(written.payloads().size(), seen.size());
        for (int i = 0; i < seen.size(); i++) {
            assertArrayEquals(written.payloads().get(i), seen.get(i), "message " + i);
        }
        assertTrue(chunkOffsets.size() > 3, "4096-byte chunks: " + chunkOffsets.size());
        assertEquals(crc(f, 0, p), b.getInt(p + RECORD_PREFIX), "data section CRC");
        assertEquals(p + RECORD_PREFIX + DATA_END_LENGTH, summaryStart, "the summary follows DataEnd");

        // ChunkIndex records name each chunk's offset; Statistics counts what was written.
        final List<Integer> indexedChunks = new ArrayList<>();
        long messageCount = -1;
        for (int s = (int) summaryStart; s < summaryOffsetStart; s += RECORD_PREFIX + (int) b.getLong(s + 1)) {
            if (f[s] == OP_CHUNK_INDEX) {
                indexedChunks.add((int) b.getLong(s + 9 + 16));
            } else if (f[s] == OP_STATISTICS) {
                messageCount = b.getLong(s + 9);
                assertEquals(1000L, b.getLong(s + 9 + 8 + 2 + 4 + 4 + 4 + 4), "message_start_time");
            }
        }
        assertEquals(chunkOffsets, indexedChunks);
        assertEquals(60, messageCount);
    }

    /**
     * An abandoned file (a failed segment, a clip whose request went away) is closed without
     * finish: its buffers are freed (the class's leak check would fail otherwise), what was written
     * stays, and the closed writer refuses more with a clear error instead of writing freed memory.
     */
    @ParameterizedTest
    @EnumSource(ChunkCompression.class)
    void shouldFreeItsBuffersWhenAbandonedAndRefuseMore(final ChunkCompression compression) throws IOException {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final McapWriter w = new McapWriter(Channels.newChannel(bytes), new McapWriter.Options("", "test", compression, 4096));
        final int channel = w.addChannel(0, "t", "json", Map.of());
        final byte[] data = "{\"x\":1}".repeat(100).getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < 10; i++) {
            w.addMessage(channel, i, i, i, null, Unpooled.wrappedBuffer(data), 0, data.length);
        }
        final long written = w.position();
        assertTrue(written > 0 && w.pendingBytes() > 0, "a complete Chunk written, another open");
        w.close();
        w.close();
        assertEquals(written, bytes.size(), "the open Chunk is not written by close");
        assertEquals(0, w.pendingBytes());
        final IllegalStateException e = assertThrows(IllegalStateException.class,
            () -> w.addMessage(channel, 11, 11, 11, null, Unpooled.wrappedBuffer(data), 0, data.length));
        assertEquals("the writer is closed", e.getMessage());
        assertThrows(IllegalStateException.class, w::finish);
    }

    @Test
    void shouldRefuseTinyChunks() {
        assertThrows(IllegalArgumentException.class, () -> new McapWriter(Channels.newChannel(new ByteArrayOutputStream()),
            new McapWriter.Options("", "test", ChunkCompression.NONE, 100)));
    }

    @Test
    void shouldNameCompressionsAsTheConfigurationDoes() {
        assertEquals(ChunkCompression.ZSTD, ChunkCompression.named("zstd"));
        assertEquals(ChunkCompression.NONE, ChunkCompression.named("none"));
        assertEquals(ChunkCompression.LZ4, ChunkCompression.named("lz4"));
        assertEquals(null, ChunkCompression.named("gzip"));
    }
}
