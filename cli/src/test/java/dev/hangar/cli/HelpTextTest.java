package dev.hangar.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Every command's --help renders as written: picocli formats descriptions, and a stray % makes it warn. */
class HelpTextTest {
    @Test
    void everyCommandsHelpRendersWithoutAWarning() {
        List<CommandLine> commands = new ArrayList<>();
        collect(new CommandLine(new Main()), commands);

        for (CommandLine command : commands) {
            String[] usage = new String[1];
            String warned = StandardError.whileRunning(() -> usage[0] = command.getUsageMessage());

            assertThat(warned).as("what '%s --help' warns", command.getCommandSpec().qualifiedName(" "))
                    .isEmpty();
            assertThat(usage[0]).as("its usage").contains("Usage:").doesNotContain("%n");
        }
        assertThat(commands).as("the commands walked").hasSizeGreaterThan(15);
    }

    private static void collect(CommandLine command, List<CommandLine> into) {
        into.add(command);
        command.getSubcommands().values().forEach(sub -> collect(sub, into));
    }
}
