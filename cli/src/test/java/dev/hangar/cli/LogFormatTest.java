package dev.hangar.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A node's log is one format: records of the JDK's System.Logger go through SLF4J as the libraries' do. */
class LogFormatTest {
    @Test
    void aSystemLoggerRecordIsOneLineInTheSameFormatAsAnSlf4jOne() {
        String systemLogger = logged(() -> System.getLogger("dev.hangar.server.QueueUpkeep")
                .log(System.Logger.Level.INFO, "handed out again {0} job(s) whose agent stopped renewing", 7));
        String slf4j = logged(() -> org.slf4j.LoggerFactory.getLogger("dev.hangar.server.QueueUpkeep")
                .info("handed out again {} job(s) whose agent stopped renewing", 7));

        String format = "\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} \\[[^]]+] INFO dev\\.hangar\\.server\\.QueueUpkeep"
                + " - handed out again 7 job\\(s\\) whose agent stopped renewing\\R";
        assertThat(slf4j).matches(format);
        assertThat(systemLogger).matches(format);
    }

    private static String logged(Runnable logging) {
        return StandardError.whileRunning(logging);
    }
}
