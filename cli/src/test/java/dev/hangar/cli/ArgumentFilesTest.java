package dev.hangar.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** picocli's argument files ({@code @path}) are hangar's own options, never a job's command. */
class ArgumentFilesTest {
    private static final String EXPLAINED = """
            {"runtime": "process", "reason": "test", "rejected": [], "candidates": []}""";

    @Test
    void anArgumentOfTheJobsCommandThatNamesAFileIsSentAsGiven(@TempDir Path dir) throws Exception {
        Path body = Files.writeString(dir.resolve("body.json"), "{\"a\": \"b c\"}");
        try (var api = new StandInApi("/v1/explain", EXPLAINED)) {
            api.run("explain", "--", "curl", "-d", "@" + body, "@@twice");

            // it was sent as [curl, -d, {, a, :, b c, }]: the file's words, read from the caller's directory
            assertThat(api.bodies()).singleElement().asString()
                    .contains("\"command\":[\"curl\",\"-d\",\"@" + body + "\",\"@@twice\"]");
        }
    }

    @Test
    void hangarsOwnOptionsMayStillComeFromAFile(@TempDir Path dir) throws Exception {
        Path options = Files.writeString(dir.resolve("options"), "--memory 64");
        try (var api = new StandInApi("/v1/explain", EXPLAINED)) {
            api.run("explain", "@" + options, "--", "true");

            assertThat(api.bodies()).singleElement().asString().contains("\"memoryMb\":64");
        }
    }
}
