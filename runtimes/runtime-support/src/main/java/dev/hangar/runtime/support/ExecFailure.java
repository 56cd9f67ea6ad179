package dev.hangar.runtime.support;

import dev.hangar.core.runtime.ExitStatus;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a job ends whose program could not be exec'd, in every runtime: as a shell's command does,
 * 127 for a program not found and 126 for one found but not runnable. A warm sandbox's launcher
 * execs the job from sh, which ends so by itself; a cold start's launcher (bwrap, an init, runsc)
 * exits with its own code, and says why on the job's stderr, which is read here.
 */
public final class ExecFailure {
    public static final int NOT_FOUND = 127;
    public static final int NOT_RUNNABLE = 126;
    /** The reasons exec gives, as strerror words them (some tools in lower case). */
    private static final String REASONS = "(no such file or directory|permission denied|exec format error|not a directory)";

    private ExecFailure() {}

    /** A pattern of a launcher's last words on stderr: {@code before} (a regex), then exec's reason. */
    public static Pattern lastWords(String before) {
        return Pattern.compile(before + REASONS + "\\n?$", Pattern.CASE_INSENSITIVE);
    }

    /** The job's status if {@code stderrTail} ends with {@code lastWords}; empty if it does not. */
    public static Optional<ExitStatus> read(Pattern lastWords, String stderrTail, ExitStatus status) {
        Matcher said = lastWords.matcher(stderrTail);
        return said.find() ? Optional.of(status(said.group(said.groupCount()), status)) : Optional.empty();
    }

    /** The status of a job whose program exec refused for {@code reason}, its limits kept. */
    public static ExitStatus status(String reason, ExitStatus status) {
        return new ExitStatus(reason.equalsIgnoreCase("no such file or directory") ? NOT_FOUND : NOT_RUNNABLE, status.limitsHit());
    }
}
