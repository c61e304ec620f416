package io.sdr.encode;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AnnexBTest {
    private static final byte[] SPS = {0, 0, 0, 1, 0x67, 0x42, (byte) 0xC0, 0x1E};
    private static final byte[] PPS = {0, 0, 0, 1, 0x68, (byte) 0xCE, 0x3C, (byte) 0x80};
    private static final byte[] IDR = {0, 0, 1, 0x65, (byte) 0x88, (byte) 0x84, 0x00, 0x21};
    private static final byte[] P_SLICE = {0, 0, 0, 1, 0x41, (byte) 0x9A, 0x02};

    private static UnsafeBuffer buffer(final byte[]... parts) {
        int length = 0;
        for (final byte[] part : parts) {
            length += part.length;
        }
        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(length));
        int at = 0;
        for (final byte[] part : parts) {
            buffer.putBytes(at, part);
            at += part.length;
        }
        return buffer;
    }

    @Test
    void shouldSplitNalUnitsWithThreeAndFourByteStartCodes() {
        final AnnexB annexB = new AnnexB(false);
        final UnsafeBuffer au = buffer(SPS, PPS, IDR);
        assertEquals(3, annexB.parse(au, 0, au.capacity()));
        assertEquals(7, annexB.nalType(0));
        assertEquals(8, annexB.nalType(1));
        assertEquals(5, annexB.nalType(2));
        assertTrue(annexB.hasKeyframePicture());
        assertTrue(annexB.hasParameterSets());
    }

    @Test
    void shouldTellPFramesFromKeyframes() {
        final AnnexB annexB = new AnnexB(false);
        final UnsafeBuffer au = buffer(P_SLICE);
        annexB.parse(au, 0, au.capacity());
        assertFalse(annexB.hasKeyframePicture());
        assertFalse(annexB.hasParameterSets());
    }

    @Test
    void shouldPrependRememberedParameterSetsToAKeyframeWithoutThem() {
        final AnnexB annexB = new AnnexB(false);
        final UnsafeBuffer first = buffer(SPS, PPS, IDR);
        annexB.parse(first, 0, first.capacity());
        annexB.rememberParameterSets(first);
        final UnsafeBuffer bare = buffer(IDR);
        annexB.parse(bare, 0, bare.capacity());
        assertTrue(annexB.hasKeyframePicture());
        assertFalse(annexB.hasParameterSets());
        assertTrue(annexB.hasRememberedParameterSets());
        final UnsafeBuffer out = new UnsafeBuffer(new byte[annexB.parameterSetsLength()]);
        assertEquals(SPS.length + PPS.length, annexB.prependParameterSets(out, 0));
        final byte[] expected = new byte[SPS.length + PPS.length];
        System.arraycopy(SPS, 0, expected, 0, SPS.length);
        System.arraycopy(PPS, 0, expected, SPS.length, PPS.length);
        assertArrayEquals(expected, out.byteArray());
    }

    @Test
    void shouldReadHevcNalTypesAndNeedAVps() {
        final AnnexB annexB = new AnnexB(true);
        final byte[] vps = {0, 0, 0, 1, 0x40, 0x01, 0x0C};
        final byte[] sps = {0, 0, 0, 1, 0x42, 0x01, 0x01};
        final byte[] pps = {0, 0, 0, 1, 0x44, 0x01, (byte) 0xC1};
        final byte[] idr = {0, 0, 0, 1, 0x26, 0x01, (byte) 0xAF};
        final UnsafeBuffer withoutVps = buffer(sps, pps, idr);
        annexB.parse(withoutVps, 0, withoutVps.capacity());
        assertEquals(19, annexB.nalType(2));
        assertTrue(annexB.hasKeyframePicture());
        assertFalse(annexB.hasParameterSets(), "HEVC needs VPS too");
        final UnsafeBuffer full = buffer(vps, sps, pps, idr);
        annexB.parse(full, 0, full.capacity());
        assertTrue(annexB.hasParameterSets());
    }

    @Test
    void shouldSurviveGarbage() {
        final AnnexB annexB = new AnnexB(false);
        final UnsafeBuffer noStartCode = buffer(new byte[] {1, 2, 3, 4, 5});
        assertEquals(0, annexB.parse(noStartCode, 0, noStartCode.capacity()));
        final UnsafeBuffer truncated = buffer(new byte[] {0, 0, 1});
        assertEquals(0, annexB.parse(truncated, 0, truncated.capacity()));
        final byte[] many = new byte[4 * 1000];
        for (int i = 0; i < 1000; i++) {
            many[4 * i + 2] = 1;
            many[4 * i + 3] = 0x41;
        }
        final UnsafeBuffer lots = buffer(many);
        assertEquals(256, annexB.parse(lots, 0, lots.capacity()), "bounded NAL table");
    }
}
