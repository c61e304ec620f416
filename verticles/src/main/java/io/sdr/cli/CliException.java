package io.sdr.cli;

/** A failure the CLI reports as one line (never a stack trace) and exit status {@link BusCommand#EXIT_FAILURE}. */
public final class CliException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CliException(final String message) {
        super(message, null, false, false);
    }
}
