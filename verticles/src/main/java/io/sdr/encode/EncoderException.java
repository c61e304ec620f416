package io.sdr.encode;

/** An encoder that cannot be opened or failed mid-stream; the message says which and why. */
public final class EncoderException extends RuntimeException {
    public EncoderException(final String message) {
        super(message);
    }

    public EncoderException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
