package io.sdr.poller;

import org.agrona.concurrent.IdleStrategy;

import java.util.ArrayList;
import java.util.List;

/** An idle strategy that only records what it was asked to do, for the strategies that wrap one. */
final class RecordingIdleStrategy implements IdleStrategy {
    final List<String> calls = new ArrayList<>();

    @Override
    public void idle(final int workCount) {
        calls.add("idle(" + workCount + ")");
    }

    @Override
    public void idle() {
        calls.add("idle");
    }

    @Override
    public void reset() {
        calls.add("reset");
    }
}
