package io.sdr.bus;

/**
 * NATS subject wildcard matching, as the server does it: tokens split on '.', {@code *} matches
 * exactly one token, {@code >} (last token only) matches one or more. Used to filter telemetry per
 * client without a round trip to NATS.
 */
public final class SubjectPattern {
    private final String[] tokens;
    private final String pattern;

    private SubjectPattern(final String pattern, final String[] tokens) {
        this.pattern = pattern;
        this.tokens = tokens;
    }

    /** Parses a pattern; null when it is not a valid NATS subject pattern. */
    public static SubjectPattern parse(final String pattern) {
        if (pattern == null || pattern.isEmpty() || pattern.length() > 256) {
            return null;
        }
        final String[] tokens = pattern.split("\\.", -1);
        for (int i = 0; i < tokens.length; i++) {
            final String token = tokens[i];
            if (token.isEmpty()) {
                return null;
            }
            for (int c = 0; c < token.length(); c++) {
                final char ch = token.charAt(c);
                if (ch <= ' ' || ch == 0x7F) {
                    return null;
                }
            }
            if (token.length() > 1 && (token.contains("*") || token.contains(">"))) {
                return null;
            }
            if (token.equals(">") && i != tokens.length - 1) {
                return null;
            }
        }
        return new SubjectPattern(pattern, tokens);
    }

    public boolean matches(final String subject) {
        int start = 0;
        for (int i = 0; i < tokens.length; i++) {
            if (start > subject.length()) {
                return false;
            }
            final String token = tokens[i];
            if (token.equals(">")) {
                return start < subject.length();
            }
            int end = subject.indexOf('.', start);
            if (end < 0) {
                end = subject.length();
            }
            if (end == start) {
                return false;
            }
            final boolean tokenMatches = token.equals("*")
                || (end - start == token.length() && subject.regionMatches(start, token, 0, token.length()));
            if (!tokenMatches) {
                return false;
            }
            start = end + 1;
        }
        return start == subject.length() + 1;
    }

    @Override
    public String toString() {
        return pattern;
    }
}
