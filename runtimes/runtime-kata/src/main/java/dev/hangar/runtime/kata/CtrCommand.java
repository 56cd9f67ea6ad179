package dev.hangar.runtime.kata;

import dev.hangar.core.job.MountPolicy;
import dev.hangar.core.runtime.Mount;
import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.SandboxSpec;
import dev.hangar.runtime.support.HostUser;
import dev.hangar.runtime.support.OwningProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The {@code ctr run} line that starts a job in a Kata VM from an unpacked root filesystem
 * ({@code --rootfs}), so no image has to be loaded into containerd first.
 */
final class CtrCommand {
    static final String NAMESPACE = "hangar";
    /** The label naming the process that made a container ({@link OwningProcess#label()}): a gone one's are swept. */
    static final String OWNER_LABEL = "hangar.jvm";

    /** containerd's rule for an id: letters and digits, with single '.', '_' or '-' between them. */
    private static final Pattern CONTAINERD_ID = Pattern.compile("[A-Za-z0-9]+([._-][A-Za-z0-9]+)*");
    /** containerd's longest id. */
    private static final int MAX_ID = 76;

    private CtrCommand() {}

    /** Where the init is bound in the container (a path jobs may not mount over, see {@code MountPolicy}). */
    static final String INIT = "/run/hangar-init";

    /**
     * @param pidFile where ctr writes the task's pid once the task exists (see {@code KataSandbox})
     * @param init    catatonit on the host: the container's first process, the job its child. Why: the
     *             first process is pid 1 of the container's pid namespace, which the kernel spares from
     *             any signal it has no handler for, even its own SIGKILL; under an init the job dies of
     *             signals as anywhere (its SIGINT and SIGQUIT too, which a shell would have it ignore),
     *             and the init exits with its status
     * @param envFile the job's environment, a variable a line (see {@link #envFile}): not on ctr's command line,
     *             which any user of the host may read, as the job's secrets would be there for as long as it runs
     */
    static List<String> run(Path ctr, SandboxSpec spec, Path rootfs, Path init, Path pidFile, ProcessSpec process,
            Path envFile) {
        var argv = new ArrayList<String>(List.of(ctr.toString(), "--namespace", NAMESPACE, "run", "--rm",
                "--pid-file", pidFile.toString(), "--label", OWNER_LABEL + "=" + OwningProcess.current().label(),
                "--runtime", KataHost.RUNTIME_TYPE, "--rootfs", "--read-only", "--cwd", "/work",
                "--user", HostUser.containerJobsId() + ":" + HostUser.containerJobsId(),
                "--memory-limit", Long.toString(spec.resources().memoryMb() * 1024 * 1024),
                "--cpus", Double.toString(spec.resources().cpus())));
        long diskBytes = spec.resources().diskMb() * 1024 * 1024;
        for (String tmpfs : List.of("/tmp", "/work")) {
            argv.addAll(List.of("--mount", "type=tmpfs,src=tmpfs,dst=" + tmpfs + ",options=size=" + diskBytes));
        }
        for (Mount mount : spec.mounts()) {
            if (!MountPolicy.plain(mount.hostPath()) || !MountPolicy.plain(mount.sandboxPath())) {
                // MountPolicy refuses these; a comma here would add options of the job's own (a second src)
                throw new IllegalArgumentException("a mount path with a comma or a control character cannot be given to"
                        + " ctr: " + mount);
            }
            argv.addAll(List.of("--mount", "type=bind," + csvField("src=" + mount.hostPath()) + ","
                    + csvField("dst=" + mount.sandboxPath()) + ",options=rbind:" + (mount.readOnly() ? "ro" : "rw")));
        }
        // last, so that no mount of the job's is over it
        argv.addAll(List.of("--mount", "type=bind,src=" + init + ",dst=" + INIT + ",options=rbind:ro"));
        argv.addAll(List.of("--env-file", envFile.toString()));
        argv.add(rootfs.toString());
        argv.add(containerId(spec.id()));
        argv.addAll(List.of(INIT, "--"));
        argv.addAll(process.command());
        return argv;
    }

    /**
     * The longest line containerd's oci.WithEnvFile reads: a bufio.Scanner of the default 64 KiB buffer, which fails
     * on a longer line (and ctr with it, before the job's process starts).
     */
    static final int MAX_ENV_LINE_BYTES = 64 * 1024 - 1;

    /**
     * The text of ctr's --env-file: a variable a line, as containerd's oci.WithEnvFile reads it, taking each line
     * as it is. A value with a line break would be split into a variable of another name, and a line longer than
     * the reader's buffer fails ctr as if Kata were broken: both refused as the job's fault, naming the variable.
     */
    static String envFile(Map<String, String> env) {
        var text = new StringBuilder();
        env.forEach((key, value) -> {
            if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0) {
                throw new IllegalArgumentException("env." + key + ": a value with a line break cannot be given to a"
                        + " Kata job (ctr reads its environment a line a variable)");
            }
            String line = key + '=' + value;
            int bytes = line.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            if (bytes > MAX_ENV_LINE_BYTES) {
                throw new IllegalArgumentException("env." + key + ": NAME=VALUE is " + bytes + " bytes; a Kata job's"
                        + " variables are at most " + MAX_ENV_LINE_BYTES + " bytes each (ctr reads them a line at a time)");
            }
            text.append(line).append('\n');
        });
        return text.toString();
    }

    /** A field of ctr's --mount value, which ctr reads as CSV: quoted if it holds a quote. */
    static String csvField(String field) {
        return field.contains("\"") ? "\"" + field.replace("\"", "\"\"") + "\"" : field;
    }

    /**
     * The sandbox's id as containerd takes it: itself where containerd's rule allows, else a name made
     * from its hash (a pool's sandbox id holds the pool's name, which may be longer or hold "--").
     */
    static String containerId(String sandboxId) {
        if (sandboxId.length() <= MAX_ID && CONTAINERD_ID.matcher(sandboxId).matches()) {
            return sandboxId;
        }
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(sandboxId.getBytes(StandardCharsets.UTF_8));
            return "hangar-" + HexFormat.of().formatHex(hash, 0, 20);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
