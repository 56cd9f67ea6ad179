package dev.hangar.runtime.support;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The environment every runtime gives a job's process: one base (a PATH, HOME at the working
 * directory, a UTF-8 locale), then the job's own, which may replace any of it. Why one: a job's
 * output must not change with the runtime chosen for it (without LANG, {@code wc -m} counts bytes).
 */
public final class SandboxEnv {
    /** The directory a job starts in, and its HOME, in every runtime. */
    public static final String WORKDIR = "/work";
    public static final String PATH = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";

    private SandboxEnv() {}

    /** The base, then the job's variables. */
    public static Map<String, String> of(Map<String, String> jobEnv) {
        var env = new LinkedHashMap<String, String>();
        env.put("PATH", PATH);
        env.put("HOME", WORKDIR);
        env.put("LANG", "C.UTF-8");
        env.putAll(jobEnv);
        return env;
    }
}
