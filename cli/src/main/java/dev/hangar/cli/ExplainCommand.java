package dev.hangar.cli;

import dev.hangar.agent.AgentConfig;
import dev.hangar.client.Explanation;
import dev.hangar.client.HangarClient;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.json.Json;
import dev.hangar.core.select.Candidate;
import dev.hangar.core.select.Rejection;
import dev.hangar.core.select.Selection;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code hangar explain}: which runtime a job would get and why not the others, without running it.
 * Asks the server at --url ({@code POST /v1/explain}); with no server answering, starts a node in
 * this process for the question, as {@code hangar run} does, so this host's runtimes are probed.
 */
@Command(name = "explain", description = {
        "Show which runtime a job would run in and why, and why not each other runtime, without running it.",
        "Give a job spec file (-f, as for submit) or the flags and command of 'hangar run'.",
        "Exits 0 when a submit would take the job (a runtime chosen, or none yet as no node has joined), 1 when the"
                + " selection rules refuse it or no one node has all it asks for, 2 for a spec whose fields a submit"
                + " rejects."})
final class ExplainCommand implements Callable<Integer> {
    @Mixin
    ClientOptions client;

    @Mixin
    JobSpecOptions job;

    @Option(names = {"-f", "--file"}, description = "Job spec file, or - for standard input (instead of flags and CMD)")
    String file;

    @Parameters(arity = "0..*", paramLabel = "CMD", description = "Program and arguments (put -- before them)")
    List<String> command = new ArrayList<>();

    @Spec
    CommandSpec self;

    @Override
    public Integer call() throws Exception {
        String spec = specJson();
        HangarClient server = client.client();
        Explanation explanation;
        // why not healthy(): this host must not answer for a server that is there but unwell, nor for one
        // named on another host that does not answer: the call then says why
        if (client.namesAnotherHost() || server.answers()) {
            explanation = server.explain(spec);
        } else {
            AgentConfig here = AgentConfig.forThisHost("local-" + ProcessHandle.current().pid());
            // the spec is checked before a node is started for it (that starts runtime services and makes images)
            if (file == null) {
                JobSpecOptions.checkOnThisHost(job.toSpec(command, null), here);
            } else {
                readable(spec).ifPresent(readable -> JobSpecOptions.checkOnThisHost(readable, here, false));
            }
            System.err.println("no server at " + server.url() + "; probing this host's runtimes for the answer");
            explanation = onThisHost(here, url -> new HangarClient(url).explain(spec));
        }
        if (client.json) {
            System.out.println(Json.write(explanation));
        } else {
            print(explanation, new PrintWriter(System.out, true));
        }
        return explanation.refused() ? 1 : 0;
    }

    /** The spec as JSON: the file exactly as written (the server names its faults), or the flags. */
    private String specJson() throws IOException {
        if (file == null) {
            if (command.isEmpty()) {
                throw new IllegalArgumentException("give a job spec file (-f spec.json) or a command to explain");
            }
            return Json.write(job.toSpec(command, null));
        }
        boolean flags = self.mixins().get("job").options().stream()
                .anyMatch(option -> self.commandLine().getParseResult().hasMatchedOption(option));
        if (flags || !command.isEmpty()) {
            throw new IllegalArgumentException("-f: give a job spec file or the flags and command of 'hangar run', not both");
        }
        return SpecFile.read(file);
    }

    /** The file's spec, if it reads as one; one that does not is left to the node, which names where it breaks. */
    private static Optional<JobSpec> readable(String json) {
        try {
            return Optional.of(Json.read(json, JobSpec.class));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Answers on a node started in this process for this one question, its store thrown away after. */
    private static Explanation onThisHost(AgentConfig here, Function<URI, Explanation> ask) throws Exception {
        return ThrowawayNode.use("explain", here, ask::apply);
    }

    static void print(Explanation explanation, PrintWriter out) {
        Selection selection = explanation.selection();
        // a cluster no node has joined yet has no runtime to choose, and a submit waits
        out.println(!selection.refused() ? "runtime: " + selection.runtime()
                : explanation.refused() ? "runtime: none (refused)" : "runtime: none yet");
        out.println("why:     " + selection.reason());
        if (candidates(selection).isEmpty()) {
            return; // no runtime weighed: no table
        }
        out.println();
        Map<String, Rejection> rejected = selection.rejected().stream()
                .collect(Collectors.toMap(Rejection::runtime, r -> r, (first, second) -> first));
        var rows = new ArrayList<List<String>>();
        for (Candidate candidate : candidates(selection)) {
            Rejection rejection = rejected.get(candidate.runtime());
            boolean chosen = candidate.runtime().equals(selection.runtime());
            rows.add(List.of(candidate.runtime(), chosen ? "ACCEPTED" : "REJECTED",
                    rejection == null ? "-" : rejection.rule(),
                    candidate.measuredStartMs() == null ? "-" : candidate.measuredStartMs() + " ms",
                    Integer.toString(candidate.warmReady()),
                    chosen ? "chosen" : rejection == null ? "-" : rejection.reason()));
        }
        Tables.print(out, List.of("RUNTIME", "DECISION", "RULE", "START", "WARM", "REASON"), rows);
    }

    /** The runtimes with their figures; a server without figures gives the names only. */
    private static List<Candidate> candidates(Selection selection) {
        if (!selection.candidates().isEmpty()) {
            return selection.candidates();
        }
        var names = new ArrayList<String>();
        if (!selection.refused()) {
            names.add(selection.runtime());
        }
        selection.rejected().forEach(r -> names.add(r.runtime()));
        return names.stream().map(name -> new Candidate(name, null, null, 0)).toList();
    }
}
