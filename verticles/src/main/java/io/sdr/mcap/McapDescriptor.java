package io.sdr.mcap;

/**
 * The MCAP container layout (format version 0, the MCAP specification's "Records" and
 * "Serialization" sections), as constants. All integers are little-endian; a {@code String} is a
 * {@code uint32} byte length and UTF-8 bytes; a {@code Map} and an {@code Array} are a {@code uint32}
 * byte length and their entries; a {@code Timestamp} is {@code uint64} nanoseconds (Unix epoch here).
 *
 * <pre>
 *   file     = MAGIC Header [Schema|Channel|Chunk MessageIndex*]* DataEnd
 *              [Summary: Schema* Channel* Statistics ChunkIndex*] [SummaryOffset*] Footer MAGIC
 *
 *   record   +--------+--------------------+---------------------------+
 *            | opcode | content length u64 | content (length bytes)    |
 *            +--------+--------------------+---------------------------+
 *            0        1                    9 = {@link #RECORD_PREFIX}
 * </pre>
 *
 * Record contents, in field order (sizes in bytes; 4+N a String, Bytes, Map or Array):
 * <pre>
 *   Header 0x01         | profile 4+N | library 4+N |
 *   Footer 0x02         | summary_start 8 | summary_offset_start 8 | summary_crc 4 |
 *   Schema 0x03         | id 2 | name 4+N | encoding 4+N | data 4+N |
 *   Channel 0x04        | id 2 | schema_id 2 | topic 4+N | message_encoding 4+N | metadata Map&lt;string,string&gt; 4+N |
 *   Message 0x05        | channel_id 2 | sequence 4 | log_time 8 | publish_time 8 | data (rest of the record) |
 *   Chunk 0x06          | message_start_time 8 | message_end_time 8 | uncompressed_size 8 | uncompressed_crc 4 |
 *                       | compression 4+N | records 8+N (compressed) |
 *   MessageIndex 0x07   | channel_id 2 | records Array&lt;(log_time 8, offset 8)&gt; 4+N |   offset: into the uncompressed records
 *   ChunkIndex 0x08     | message_start_time 8 | message_end_time 8 | chunk_start_offset 8 | chunk_length 8 |
 *                       | message_index_offsets Map&lt;uint16,uint64&gt; 4+N | message_index_length 8 | compression 4+N |
 *                       | compressed_size 8 | uncompressed_size 8 |
 *   Statistics 0x0B     | message_count 8 | schema_count 2 | channel_count 4 | attachment_count 4 | metadata_count 4 |
 *                       | chunk_count 4 | message_start_time 8 | message_end_time 8 | channel_message_counts Map&lt;uint16,uint64&gt; 4+N |
 *   SummaryOffset 0x0E  | group_opcode 1 | group_start 8 | group_length 8 |
 *   DataEnd 0x0F        | data_section_crc 4 |
 * </pre>
 *
 * CRCs are CRC-32 (IEEE, {@link java.util.zip.CRC32}): a chunk's over its uncompressed records; the
 * data section's (in DataEnd) over every byte from the file's start to the DataEnd record; the
 * summary's (in the Footer) from the summary's first byte through the Footer's summary_offset_start.
 * A record is complete once its last byte is written: the writer writes a chunk and its message
 * indexes in one go, so a file cut anywhere (a crash) reads up to its last complete chunk.
 */
public final class McapDescriptor {
    /** {@code 0x89 M C A P 0 \r \n}: first and last 8 bytes of the file; '0' is the major version. */
    public static final byte[] MAGIC = {(byte) 0x89, 'M', 'C', 'A', 'P', '0', '\r', '\n'};
    /** Opcode (1) and content length (8) before every record's content. */
    public static final int RECORD_PREFIX = 9;

    public static final byte OP_HEADER = 0x01;
    public static final byte OP_FOOTER = 0x02;
    public static final byte OP_SCHEMA = 0x03;
    public static final byte OP_CHANNEL = 0x04;
    public static final byte OP_MESSAGE = 0x05;
    public static final byte OP_CHUNK = 0x06;
    public static final byte OP_MESSAGE_INDEX = 0x07;
    public static final byte OP_CHUNK_INDEX = 0x08;
    public static final byte OP_STATISTICS = 0x0B;
    public static final byte OP_SUMMARY_OFFSET = 0x0E;
    public static final byte OP_DATA_END = 0x0F;

    /** Message content before its data: channel_id 2, sequence 4, log_time 8, publish_time 8. */
    public static final int MESSAGE_FIXED_LENGTH = 2 + 4 + 8 + 8;
    /** Footer content: summary_start 8, summary_offset_start 8, summary_crc 4. */
    public static final int FOOTER_LENGTH = 8 + 8 + 4;
    /** Footer content bytes the summary CRC covers (all but the CRC itself). */
    public static final int FOOTER_CRC_COVERED = FOOTER_LENGTH - 4;
    /** DataEnd content: data_section_crc 4. */
    public static final int DATA_END_LENGTH = 4;
    /** One MessageIndex entry: log_time 8, offset 8. */
    public static final int MESSAGE_INDEX_ENTRY = 16;
    /** One entry of a Map&lt;uint16, uint64&gt;: key 2, value 8. */
    public static final int U16_U64_ENTRY = 10;

    /** Compression names a Chunk may carry (the registry's well-known formats; "" is none). */
    public static final String COMPRESSION_NONE = "";
    public static final String COMPRESSION_ZSTD = "zstd";
    public static final String COMPRESSION_LZ4 = "lz4";

    private McapDescriptor() {
    }
}
