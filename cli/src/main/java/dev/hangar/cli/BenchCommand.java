package dev.hangar.cli;

import picocli.CommandLine.Command;

/** {@code hangar bench}: measurements against a baseline taken in the same run. */
@Command(name = "bench", description = "Benchmarks, each against a baseline measured in the same run.",
        subcommands = {StartBenchmark.class, QueueBenchmark.class})
final class BenchCommand {}
