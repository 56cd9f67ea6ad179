package dev.hangar.runtime.podman;

import dev.hangar.core.job.Resources;
import dev.hangar.core.runtime.Mount;
import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.SandboxException;
import dev.hangar.core.runtime.SandboxSpec;
import dev.hangar.runtime.support.HostUser;
import dev.hangar.runtime.support.SandboxEnv;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * The libpod request bodies for a sandbox: the container (a SpecGenerator) and the exec session
 * that runs the job's process in it.
 *
 * <p>The container's first process is catatonit in pause mode, bound read-only from the host: it
 * holds the container, and with it the container's cgroup, open until the driver removes it. That
 * is what lets the driver read the cgroup's pids and memory counters after the job's process ends
 * (Podman removes a container's cgroup as soon as its first process exits). The job's process is
 * an exec session, so it is never pid 1 and signals kill it as they would anywhere.
 */
final class ContainerSpec {
    static final String INIT = "/run/hangar-init";
    static final String WORKDIR = "/work";
    static final String USER = HostUser.containerJobsId() + ":" + HostUser.containerJobsId();
    static final String PATH = SandboxEnv.PATH;
    static final String SANDBOX_LABEL = "hangar.sandbox";
    /** The JVM that made the container ({@code OwningProcess}'s label): leftovers of a JVM that is gone are removed. */
    static final String OWNER_LABEL = "hangar.jvm";
    static final long CPU_PERIOD_US = 100_000;
    /** Device nodes every NVIDIA GPU user needs besides /dev/nvidiaN, passed when the host has them. */
    static final List<String> NVIDIA_SHARED = List.of("/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools");

    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,100}");
    private static final Pattern GPU_INDEX = Pattern.compile("[0-9]{1,3}");

    private ContainerSpec() {}

    /** The SpecGenerator of a sandbox's container. */
    static Map<String, Object> container(SandboxSpec spec, String image, String initOnHost, String owner,
            Predicate<String> deviceExists) throws SandboxException {
        Resources resources = spec.resources();
        var body = new LinkedHashMap<String, Object>();
        body.put("image", image);
        if (NAME.matcher(spec.id()).matches()) {
            body.put("name", "hangar-" + spec.id());
        }
        body.put("labels", Map.of(SANDBOX_LABEL, spec.id(), OWNER_LABEL, owner));
        body.put("entrypoint", List.of(INIT));
        body.put("command", List.of("-P"));
        // HOME given, not read from the image's /etc/passwd: an image made before its user (no account's) was named there
        body.put("env", Map.of("PATH", PATH, "HOME", WORKDIR));
        body.put("user", USER);
        body.put("work_dir", WORKDIR);
        body.put("read_only_filesystem", true);
        body.put("cap_drop", List.of("all"));
        body.put("no_new_privileges", true);
        body.put("oci_runtime", "runc");
        body.put("netns", Map.of("nsmode", switch (spec.network()) {
            case NONE -> "none";
            case HOST -> "host";
            case BRIDGE -> "bridge";
        }));
        body.put("mounts", mounts(spec, initOnHost));
        body.put("resource_limits", limits(resources));
        List<String> devices = gpuDevices(spec.gpus(), deviceExists);
        if (!devices.isEmpty()) {
            body.put("devices", devices.stream().map(path -> Map.of("path", path)).toList());
        }
        return body;
    }

    private static List<Map<String, Object>> mounts(SandboxSpec spec, String initOnHost) {
        var mounts = new ArrayList<Map<String, Object>>();
        mounts.add(Map.of("destination", INIT, "source", initOnHost, "type", "bind", "options", List.of("rbind", "ro")));
        String size = "size=" + spec.resources().diskMb() + "m";
        // why: Podman makes a tmpfs noexec unless told otherwise (jobs build and run programs in /work);
        // runc gives it the mode of the image's directory (0755 root), so "U" makes it the job user's
        for (String dir : List.of("/tmp", WORKDIR)) {
            mounts.add(Map.of("destination", dir, "source", "tmpfs", "type", "tmpfs",
                    "options", List.of("rw", "exec", "nosuid", "nodev", "notmpcopyup", "U", size)));
        }
        for (Mount mount : spec.mounts()) {
            // why not rbind for a read-only one: runc makes only its top read-only, and a file system mounted
            // inside it on the host would stay writable; Podman 4.3 takes no "rro", so those are left out
            mounts.add(Map.of("destination", mount.sandboxPath(), "source", mount.hostPath(), "type", "bind",
                    "options", mount.readOnly() ? List.of("bind", "ro") : List.of("rbind", "rw")));
        }
        return mounts;
    }

    private static Map<String, Object> limits(Resources resources) {
        long bytes = resources.memoryMb() * 1024 * 1024;
        long quota = Math.max(1000, (long) (resources.cpus() * CPU_PERIOD_US));
        return Map.of(
                // why: swap is memory plus swap; equal means no swap, so the limit is really enforced
                "memory", Map.of("limit", bytes, "swap", bytes),
                "cpu", Map.of("quota", quota, "period", CPU_PERIOD_US),
                // why: the pause process holds one pid; the job gets the number it asked for
                "pids", Map.of("limit", resources.pids() + 1));
    }

    /**
     * The device nodes for the GPUs a sandbox is given: /dev/nvidiaN for each device number N, which must
     * exist, and the shared NVIDIA nodes that exist.
     */
    static List<String> gpuDevices(List<String> gpus, Predicate<String> exists) throws SandboxException {
        if (gpus.isEmpty()) {
            return List.of();
        }
        var devices = new ArrayList<String>();
        for (String gpu : gpus) {
            if (!GPU_INDEX.matcher(gpu).matches()) {
                throw new SandboxException("GPU '" + gpu + "' is not a device number such as 0 (of /dev/nvidia0)");
            }
            String node = "/dev/nvidia" + Integer.parseInt(gpu);
            if (!exists.test(node)) {
                throw new SandboxException("GPU " + gpu + " was assigned but " + node + " does not exist on this host");
            }
            if (!devices.contains(node)) {
                devices.add(node);
            }
        }
        for (String shared : NVIDIA_SHARED) {
            if (exists.test(shared)) {
                devices.add(shared);
            }
        }
        return devices;
    }

    /** The exec session that runs the job's process, its stdin attached if it has any. */
    static Map<String, Object> exec(ProcessSpec process) {
        return exec(process, hasStdin(process));
    }

    /** The exec session that runs a process: its command, its environment only, stdin if {@code attachStdin}. */
    static Map<String, Object> exec(ProcessSpec process, boolean attachStdin) {
        Map<String, String> env = SandboxEnv.of(process.env());
        var body = new LinkedHashMap<String, Object>();
        body.put("Cmd", process.command());
        body.put("Env", env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
        body.put("AttachStdin", attachStdin);
        body.put("AttachStdout", true);
        body.put("AttachStderr", true);
        body.put("Tty", false);
        body.put("User", USER);
        body.put("WorkingDir", WORKDIR);
        return body;
    }

    static boolean hasStdin(ProcessSpec process) {
        return process.stdin() != null && process.stdin().length > 0;
    }
}
