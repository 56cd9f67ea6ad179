package dev.hangar.cli;

import dev.hangar.client.HangarApiException;
import dev.hangar.client.HangarUnreachableException;
import dev.hangar.core.json.Json;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code hangar}: the command line of Hangar. */
// why INHERIT: every subcommand takes --help (and --version) as the top command does
@Command(name = "hangar", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT, version = "hangar 0.1.0",
        description = "Runs jobs in the lightest sandbox that is safe for them.",
        subcommands = {UpCommand.class, ServerCommand.class, AgentCommand.class, NodesCommand.class, PoolsCommand.class,
                RunCommand.class, RerunCommand.class, SubmitCommand.class, JobsCommand.class, LogsCommand.class, CancelCommand.class, RuntimesCommand.class,
                ImageCommand.class, BenchCommand.class, ExplainCommand.class, TokenCommand.class, CommandLine.HelpCommand.class})
public final class Main {
    public static void main(String[] args) {
        System.exit(run(args));
    }

    public static int run(String... args) {
        // why: the API reads a state in any case; `hangar jobs --state running` is meant as RUNNING
        var cli = new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
        cli.setParameterExceptionHandler(Main::badArguments);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            // run and explain build the spec from flags: an error names the flag too (not so explain's of a file)
            boolean fromFlags = commandLine.getCommandName().equals("run") || commandLine.getCommandName().equals("explain")
                    && !commandLine.getParseResult().hasMatchedOption("--file");
            // why the subcommand's parse: the top command's has no --json
            if (e instanceof HangarApiException api && commandLine.getParseResult().hasMatchedOption("--json")) {
                // why: a script that asked for JSON reads the server's refusal as the problem document, fields and all
                commandLine.getErr().println(Json.write(api.problem()));
            } else {
                String message = message(e, fromFlags);
                // a message that names its command already ("hangar nodes label KEY: ...") is not prefixed again
                commandLine.getErr().println(message.startsWith("hangar ") ? message : "hangar: " + message);
            }
            return exitCode(e);
        });
        return cli.execute(jobsOwn(args));
    }

    /**
     * The arguments with those after the first {@code --} (a job's command) kept as given: picocli reads an
     * argument {@code @name} that names a file as that file's words, and {@code @@name} as {@code @name}, wherever
     * it stands, so {@code -- curl -d @body.json} would run what the caller's directory holds. Each is escaped.
     */
    static String[] jobsOwn(String[] args) {
        String[] kept = args.clone();
        int end = java.util.Arrays.asList(args).indexOf("--");
        for (int i = end + 1; end >= 0 && i < kept.length; i++) {
            if (kept[i].startsWith("@")) {
                kept[i] = "@" + kept[i];
            }
        }
        return kept;
    }

    /**
     * Says what was wrong with the arguments, any near miss of a name, and where the help is; picocli's
     * default prints the whole usage after the error, and a page of options hides the one line that matters.
     */
    private static int badArguments(CommandLine.ParameterException e, String[] args) {
        CommandLine command = e.getCommandLine();
        PrintWriter err = command.getErr();
        String name = command.getCommandSpec().qualifiedName(" ");
        err.println(name + ": " + e.getMessage());
        CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
        err.println("See '" + name + " --help'.");
        err.flush();
        return command.getCommandSpec().exitCodeOnInvalidInput();
    }

    /**
     * 2: the command asked for what cannot be (a refusal, a thing named that is not there); 1: it failed, and may
     * be worth trying again (a 408 or 429 too: the server was busy, the ask was fine).
     */
    static int exitCode(Exception e) {
        return e instanceof HangarApiException api && api.status() < 500 && api.status() != 408 && api.status() != 429
                || e instanceof IllegalArgumentException ? 2 : 1;
    }

    /**
     * What a problem's detail says beyond its field errors (the detail is most often those errors joined, or begins
     * with them): the server's advice, such as what a tenant's token may see instead.
     */
    private static java.util.Optional<String> beyondTheErrors(dev.hangar.core.api.Problem problem) {
        String joined = problem.errors().stream().map(Object::toString).collect(java.util.stream.Collectors.joining("; "));
        String detail = problem.detail();
        // the errors joined, or some of them (a detail may give the first alone): nothing more to say
        if (detail == null || joined.contains(detail)) {
            return java.util.Optional.empty();
        }
        String more = detail.startsWith(joined) ? detail.substring(joined.length()).replaceFirst("^[;,.]?\\s*", "") : detail;
        return more.isBlank() ? java.util.Optional.empty() : java.util.Optional.of(more);
    }

    /** What went wrong, as a command says it; {@code fromFlags}: name the flag of each field of a job spec. */
    static String message(Exception e, boolean fromFlags) {
        if (e instanceof HangarApiException api && api.problem().errors() != null) {
            var out = new StringBuilder(api.problem().title());
            api.problem().errors().forEach(error -> out.append("\n  ").append(fromFlags
                    ? JobSpecOptions.describe(error.field(), error.reason()) : error.field() + ": " + error.reason()));
            beyondTheErrors(api.problem()).ifPresent(more -> out.append("\n  ").append(more));
            if (api.status() == 401) {
                out.append("\n  give the token with --token, or in HANGAR_TOKEN");
            }
            return out.toString();
        }
        if (e instanceof HangarUnreachableException unreachable && !unreachable.serverThere()) {
            return e.getMessage() + "; start one with 'hangar up' or point --url / HANGAR_URL at one";
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }
}
