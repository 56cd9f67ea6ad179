package dev.hangar.runtime.gvisor;

import dev.hangar.core.job.Resources;
import dev.hangar.core.runtime.Mount;
import dev.hangar.core.runtime.NetworkMode;
import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.SandboxSpec;
import dev.hangar.runtime.support.HostUser;
import dev.hangar.runtime.support.SandboxEnv;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code config.json} of a sandbox's OCI bundle (runtime spec 1.0), as plain maps for Jackson.
 *
 * <p>The job runs as a uid of no account ({@link HostUser#containerJobsId}) in /work with no capabilities, on the
 * image's root filesystem read-only, with size-limited tmpfs on /tmp and /work. {@code linux.resources} is written for
 * completeness but runsc ignores it under {@code --ignore-cgroups}: memory, CPU and a backstop on
 * host tasks are enforced by Hangar's cgroups around the whole sandbox, and the job's process count
 * by {@code RLIMIT_NPROC}, which gVisor's kernel enforces on fork.
 */
final class OciSpec {
    static final int SANDBOX_UID = HostUser.containerJobsId();
    static final String WORKDIR = "/work";
    static final String PATH = SandboxEnv.PATH;
    private static final long CPU_PERIOD_US = 100_000;

    private OciSpec() {}

    static Map<String, Object> config(SandboxSpec spec, Path rootfs, ProcessSpec process) {
        Resources resources = spec.resources();
        var config = new LinkedHashMap<String, Object>();
        config.put("ociVersion", "1.0.2");
        config.put("process", process(process, resources));
        config.put("root", map("path", rootfs.toString(), "readonly", true));
        config.put("hostname", "hangar");
        config.put("mounts", mounts(spec));
        config.put("linux", linux(spec));
        return config;
    }

    private static Map<String, Object> process(ProcessSpec process, Resources resources) {
        Map<String, String> env = SandboxEnv.of(process.env());
        List<String> envList = env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
        List<String> none = List.of();
        var rlimits = List.of(rlimit("RLIMIT_NPROC", resources.pids()));
        var result = new LinkedHashMap<String, Object>();
        result.put("terminal", false);
        result.put("user", map("uid", SANDBOX_UID, "gid", SANDBOX_UID));
        result.put("args", process.command());
        result.put("env", envList);
        result.put("cwd", WORKDIR);
        result.put("capabilities", map("bounding", none, "effective", none, "inheritable", none,
                "permitted", none, "ambient", none));
        result.put("rlimits", rlimits);
        result.put("noNewPrivileges", true);
        return result;
    }

    private static Map<String, Object> rlimit(String type, long value) {
        return map("type", type, "hard", value, "soft", value);
    }

    private static List<Map<String, Object>> mounts(SandboxSpec spec) {
        String size = "size=" + spec.resources().diskMb() * 1024 * 1024;
        var mounts = new ArrayList<Map<String, Object>>();
        mounts.add(mount("/proc", "proc", "proc", List.of("nosuid", "noexec", "nodev")));
        mounts.add(mount("/dev", "tmpfs", "tmpfs", List.of("nosuid", "mode=755")));
        mounts.add(mount("/sys", "sysfs", "sysfs", List.of("nosuid", "noexec", "nodev", "ro")));
        mounts.add(mount("/tmp", "tmpfs", "tmpfs", List.of("nosuid", "nodev", "mode=1777", size)));
        mounts.add(mount(WORKDIR, "tmpfs", "tmpfs", List.of("nosuid", "nodev", "mode=0755",
                "uid=" + SANDBOX_UID, "gid=" + SANDBOX_UID, size)));
        for (Mount m : spec.mounts()) {
            mounts.add(mount(m.sandboxPath(), "bind", m.hostPath(), List.of("rbind", m.readOnly() ? "ro" : "rw")));
        }
        return mounts;
    }

    private static Map<String, Object> mount(String destination, String type, String source, List<String> options) {
        return map("destination", destination, "type", type, "source", source, "options", options);
    }

    private static Map<String, Object> linux(SandboxSpec spec) {
        var namespaces = new ArrayList<Map<String, Object>>();
        for (String type : List.of("pid", "ipc", "uts", "mount")) {
            namespaces.add(map("type", type));
        }
        // why: with a network namespace in the spec runsc gives the sandbox only loopback, even
        // under --network=host; without one, --network=host passes the host's stack through
        if (spec.network() != NetworkMode.HOST) {
            namespaces.add(map("type", "network"));
        }
        Resources r = spec.resources();
        var resources = map(
                "memory", map("limit", r.memoryMb() * 1024 * 1024),
                "pids", map("limit", (long) r.pids()),
                "cpu", map("quota", Math.max(1000, (long) (r.cpus() * CPU_PERIOD_US)), "period", CPU_PERIOD_US));
        return map("namespaces", namespaces, "resources", resources);
    }

    private static Map<String, Object> map(Object... keyValues) {
        var map = new LinkedHashMap<String, Object>();
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put((String) keyValues[i], keyValues[i + 1]);
        }
        return map;
    }
}
