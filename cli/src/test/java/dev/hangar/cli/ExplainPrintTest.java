package dev.hangar.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.client.Explanation;
import dev.hangar.core.select.Rejection;
import dev.hangar.core.select.Selection;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How {@code hangar explain} prints a choice, a refusal, and a cluster with no runtime to choose yet. */
class ExplainPrintTest {
    private static String printed(Selection selection, String waiting) {
        var text = new StringWriter();
        ExplainCommand.print(new Explanation(selection, waiting), new PrintWriter(text, true));
        return text.toString();
    }

    @Test
    void aRefusalSaysSoAndListsTheRuntimesWeighed() {
        String out = printed(new Selection(null, "refused: runtime 'process' breaks rule untrusted-needs-kernel-boundary: x",
                List.of(new Rejection("process", "untrusted-needs-kernel-boundary", "x"))), null);

        assertThat(out).startsWith("runtime: none (refused)\n").contains("RUNTIME").contains("process");
    }

    @Test
    void aClusterNoNodeHasJoinedHasNoRuntimeYetAndNoTable() {
        String out = printed(new Selection(null, "no runtime to choose yet; submitted now, it would wait in the queue: no node"
                + " has joined: no agent sends heartbeats", List.of()), "no node has joined: no agent sends heartbeats");

        // it said "none (refused)" above an empty table, though a submit waits for a node
        assertThat(out).isEqualTo("runtime: none yet\nwhy:     no runtime to choose yet; submitted now, it would wait in the"
                + " queue: no node has joined: no agent sends heartbeats\n");
    }
}
