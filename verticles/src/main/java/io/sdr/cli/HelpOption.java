package io.sdr.cli;

import picocli.CommandLine.Option;

/** {@code -h/--help} on every {@code bus} command. */
public final class HelpOption {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
    boolean help;
}
