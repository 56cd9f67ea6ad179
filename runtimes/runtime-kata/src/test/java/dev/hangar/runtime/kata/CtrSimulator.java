package dev.hangar.runtime.kata;

import dev.hangar.core.job.Resources;
import dev.hangar.runtime.support.Cgroup;
import dev.hangar.runtime.support.CgroupJoin;
import dev.hangar.runtime.support.Limiter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A stand-in for containerd's {@code ctr} with the Kata shim, for hosts without Kata: the driver is
 * tested against it and marked "API-tested only". It follows ctr's command line for what the driver
 * uses ({@code run}, {@code task kill}, {@code task rm}, {@code container rm}): flags parsed as ctr's
 * urfave/cli parses them (flags before arguments, an unknown flag refused), containerd's id rule and
 * its errors, its {@code --mount} syntax, and its lifecycle: a container record per id in a namespace,
 * a task owned by a shim process rather than by the ctr client (killing the client leaves the task
 * running; {@code task kill} reaches it), {@code run} exiting with the task's exit status.
 *
 * <p>The VM is not simulated: the task runs in bubblewrap, in a cgroup holding the VM's memory and CPU,
 * with the container's root read-only, its tmpfs and bind mounts, user, working directory and
 * environment. State lives under the directory named by the system property {@code ctr.simulator.state}.
 */
public final class CtrSimulator {
    static final String STATE_PROPERTY = "ctr.simulator.state";
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*");
    private static final int MAX_ID = 76;
    private static final String KATA = "io.containerd.kata.v2";
    /** containerd's default process environment when a spec sets no PATH. */
    private static final String DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private static final Set<String> RUN_BOOL_FLAGS = Set.of("rm", "cni", "tty", "t", "detach", "d", "null-io", "read-only",
            "rootfs", "net-host", "privileged", "seccomp", "allow-new-privs", "no-pivot", "privileged-without-host-devices",
            "runc-systemd-cgroup", "remap-labels");
    private static final Set<String> RUN_VALUE_FLAGS = Set.of("snapshotter", "snapshotter-label", "config", "c", "cwd",
            "env", "env-file", "label", "annotation", "mount", "runtime", "runtime-config-path", "with-ns", "gpus",
            "memory-limit", "cap-add", "cap-drop", "seccomp-profile", "apparmor-default-profile", "apparmor-profile",
            "blockio-config-file", "blockio-class", "rdt-class", "hostname", "user", "u", "cgroup", "platform", "pid-file",
            "log-uri", "fifo-dir", "rootfs-propagation", "cpus", "cpu-shares", "cpu-quota", "cpu-period", "device",
            "runc-binary", "runc-root", "uidmap", "gidmap");

    private final Path state;
    private final PrintStream err;

    CtrSimulator(Path state, PrintStream err) {
        this.state = state;
        this.err = err;
    }

    public static void main(String[] args) {
        int code;
        try {
            code = new CtrSimulator(Path.of(System.getProperty(STATE_PROPERTY)), System.err).run(List.of(args));
        } catch (Failure e) {
            System.err.println("ctr: " + e.getMessage());
            code = e.code;
        }
        System.out.flush();
        System.exit(code);
    }

    /** What ctr prints as {@code ctr: <message>} before it exits with {@code code}. */
    static final class Failure extends RuntimeException {
        final int code;

        Failure(String message) {
            this(message, 1);
        }

        Failure(String message, int code) {
            super(message);
            this.code = code;
        }
    }

    /** Flags and arguments as urfave/cli parses them: flags first, up to the first argument or "--". */
    record Parsed(Map<String, List<String>> flags, List<String> args) {
        String value(String... names) {
            for (String name : names) {
                List<String> values = flags.get(name);
                if (values != null) {
                    return values.getLast();
                }
            }
            return null;
        }

        /**
         * The process's environment as ctr builds it: the lines of {@code --env-file} (oci.WithEnvFile: each line one
         * variable, as it is), then each {@code --env}.
         */
        List<String> env() {
            List<String> env = new ArrayList<>();
            String file = value("env-file");
            if (file != null) {
                try {
                    for (String line : Files.readAllLines(Path.of(file))) {
                        // bufio.Scanner's default buffer: a longer line fails the read, and ctr with it
                        if (line.getBytes(java.nio.charset.StandardCharsets.UTF_8).length >= 64 * 1024) {
                            throw new Failure("bufio.Scanner: token too long");
                        }
                        env.add(line);
                    }
                } catch (IOException e) {
                    throw new Failure("open " + file + ": no such file or directory");
                }
            }
            env.addAll(values("env"));
            return env;
        }

        List<String> values(String name) {
            return flags.getOrDefault(name, List.of());
        }

        boolean has(String... names) {
            for (String name : names) {
                String value = value(name);
                if (value != null && !value.equals("false")) {
                    return true;
                }
            }
            return false;
        }
    }

    static Parsed parse(List<String> argv, Set<String> bools, Set<String> values) {
        var flags = new LinkedHashMap<String, List<String>>();
        int i = 0;
        while (i < argv.size()) {
            String arg = argv.get(i);
            if (arg.equals("--")) {
                i++;
                break;
            }
            if (!arg.startsWith("-") || arg.equals("-")) {
                break;
            }
            String name = arg.replaceFirst("^--?", "");
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (bools.contains(name)) {
                value = value == null ? "true" : value;
            } else if (values.contains(name)) {
                if (value == null) {
                    if (i + 1 >= argv.size()) {
                        throw new Failure("flag needs an argument: -" + name);
                    }
                    value = argv.get(++i);
                }
            } else {
                throw new Failure("flag provided but not defined: -" + name);
            }
            flags.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
            i++;
        }
        return new Parsed(flags, List.copyOf(argv.subList(i, argv.size())));
    }

    int run(List<String> argv) {
        Parsed global = parse(argv, Set.of("debug"), Set.of("address", "a", "namespace", "n", "timeout",
                "connect-timeout"));
        String namespace = global.value("namespace", "n");
        namespace = namespace == null ? "default" : namespace;
        List<String> rest = global.args();
        if (rest.isEmpty()) {
            throw new Failure("no command given");
        }
        String command = rest.getFirst();
        List<String> args = rest.subList(1, rest.size());
        return switch (command) {
            case "run" -> runContainer(namespace, parse(args, RUN_BOOL_FLAGS, RUN_VALUE_FLAGS));
            case "tasks", "task", "t" -> task(namespace, args);
            case "containers", "container", "c" -> container(namespace, args);
            default -> throw new Failure("No help topic for '" + command + "'", 3);
        };
    }

    // ------------------------------------------------------------------ run

    private int runContainer(String namespace, Parsed run) {
        if (run.args().isEmpty()) {
            throw new Failure("image ref must be provided");
        }
        if (run.args().size() < 2) {
            throw new Failure("container id must be provided");
        }
        String ref = run.args().get(0);
        String id = run.args().get(1);
        List<String> command = run.args().subList(2, run.args().size());
        validateId(id);
        if (!run.has("rootfs")) {
            throw new Failure("image \"" + ref + "\": not found"); // the simulator holds no images
        }
        String runtime = run.value("runtime");
        if (!KATA.equals(runtime)) {
            throw new Failure("failed to create shim task: failed to resolve runtime path: runtime \"" + runtime
                    + "\" binary not installed: this simulator runs " + KATA + " only: unknown");
        }
        var mounts = new ArrayList<Map<String, String>>();
        for (String mount : run.values("mount")) {
            mounts.add(parseMount(mount));
        }
        Path container = containerDir(namespace, id);
        try {
            Files.createDirectories(container.getParent());
            Files.createDirectory(container);
            Files.write(container.resolve("labels"), run.values("label"));
        } catch (java.nio.file.FileAlreadyExistsException e) {
            throw new Failure("container \"" + id + "\": already exists");
        } catch (IOException e) {
            throw new Failure("failed to create container: " + e.getMessage());
        }
        try {
            Path rootfs = Path.of(ref).toAbsolutePath();
            if (command.isEmpty() || !onPath(rootfs, command.getFirst(), run.env(), mounts)) {
                throw new Failure("failed to create shim task: OCI runtime create failed: exec: \""
                        + (command.isEmpty() ? "" : command.getFirst()) + "\": executable file not found in $PATH: unknown");
            }
            Task task = Task.start(container.resolve("task"), id, rootfs, command, run, mounts);
            if (run.value("pid-file") != null) {
                task.writePid(Path.of(run.value("pid-file"))); // as ctr: once the task is created, before it starts
            }
            int code = task.relay(System.in, System.out, System.err);
            task.delete();
            return code;
        } finally {
            if (run.has("rm")) {
                deleteTree(container);
            }
        }
    }

    /** containerd's identifiers.Validate. */
    private static void validateId(String id) {
        if (id.length() > MAX_ID) {
            throw new Failure("identifier \"" + id + "\" greater than maximum length (" + MAX_ID + " characters): invalid argument");
        }
        if (!ID.matcher(id).matches()) {
            throw new Failure("identifier \"" + id + "\" must match " + ID.pattern() + ": invalid argument");
        }
    }

    /** ctr's parseMountFlag: one CSV record of key=value fields; options separated by ':'. */
    static Map<String, String> parseMount(String spec) {
        var mount = new HashMap<String, String>();
        for (String field : csvRecord(spec)) {
            int eq = field.indexOf('=');
            if (eq < 0) {
                throw new Failure("invalid mount specification: expected key=val");
            }
            String key = field.substring(0, eq);
            String value = field.substring(eq + 1);
            switch (key) {
                case "type" -> mount.put("type", value);
                case "source", "src" -> mount.put("source", value);
                case "destination", "dst" -> mount.put("destination", value);
                case "options" -> mount.put("options", value);
                default -> throw new Failure("mount option \"" + key + "\" not supported");
            }
        }
        return mount;
    }

    /** A line as Go's encoding/csv reads one record, strictly (no lazy quotes). */
    static List<String> csvRecord(String line) {
        var fields = new ArrayList<String>();
        int i = 0;
        while (true) {
            var field = new StringBuilder();
            if (i < line.length() && line.charAt(i) == '"') {
                int column = i + 1;
                i++;
                while (true) {
                    if (i >= line.length()) {
                        throw new Failure("parse error on line 1, column " + (line.length() + 1)
                                + ": extraneous or missing \" in quoted-field");
                    }
                    char c = line.charAt(i++);
                    if (c != '"') {
                        field.append(c);
                    } else if (i < line.length() && line.charAt(i) == '"') {
                        field.append('"');
                        i++;
                    } else if (i < line.length() && line.charAt(i) != ',') {
                        throw new Failure("parse error on line 1, column " + (i + 1) + ": extraneous or missing \" in"
                                + " quoted-field (field from column " + column + ")");
                    } else {
                        break;
                    }
                }
            } else {
                while (i < line.length() && line.charAt(i) != ',') {
                    char c = line.charAt(i++);
                    if (c == '"') {
                        throw new Failure("parse error on line 1, column " + i + ": bare \" in non-quoted-field");
                    }
                    field.append(c);
                }
            }
            fields.add(field.toString());
            if (i >= line.length()) {
                return fields;
            }
            i++; // the comma
        }
    }

    /** Whether the rootfs holds {@code program}, looked up as an OCI runtime looks it up on the spec's PATH. */
    private static boolean onPath(Path rootfs, String program, List<String> env, List<Map<String, String>> mounts) {
        for (Map<String, String> mount : mounts) {
            if (program.equals(mount.get("destination")) && "bind".equals(mount.get("type"))) {
                return Files.isExecutable(Path.of(mount.get("source")));
            }
        }
        if (program.contains("/")) {
            return Files.isExecutable(inRoot(rootfs, program));
        }
        String path = env.stream().filter(e -> e.startsWith("PATH=")).reduce((a, b) -> b).orElse(DEFAULT_PATH)
                .substring("PATH=".length());
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(inRoot(rootfs, dir + "/" + program))) {
                return true;
            }
        }
        return false;
    }

    /** A path inside the root, its links resolved inside it too (busybox's applets are links to /bin/busybox). */
    private static Path inRoot(Path rootfs, String path) {
        Path at = rootfs;
        for (String part : path.split("/")) {
            if (part.isEmpty()) {
                continue;
            }
            at = at.resolve(part);
            for (int hops = 0; Files.isSymbolicLink(at) && hops < 40; hops++) {
                try {
                    String target = Files.readSymbolicLink(at).toString();
                    at = target.startsWith("/") ? inRoot(rootfs, target) : at.getParent().resolve(target).normalize();
                } catch (IOException e) {
                    return at;
                }
            }
        }
        return at;
    }

    // ------------------------------------------------------------------ task, container

    private int task(String namespace, List<String> argv) {
        if (argv.isEmpty()) {
            throw new Failure("no task command given");
        }
        List<String> args = argv.subList(1, argv.size());
        return switch (argv.getFirst()) {
            case "kill" -> {
                Parsed kill = parse(args, Set.of("all", "a"), Set.of("signal", "s", "exec-id"));
                String id = requireId(kill, "container id must be provided");
                Task.of(taskDir(namespace, id), id).orElseThrow(() -> new Failure("no running task found: task " + id
                        + " not found: not found")).kill(kill.value("signal", "s") == null ? "SIGTERM"
                        : kill.value("signal", "s"));
                yield 0;
            }
            case "delete", "del", "remove", "rm" -> {
                Parsed delete = parse(args, Set.of("force", "f"), Set.of("exec-id"));
                String id = requireId(delete, "task id must be provided");
                Task task = Task.of(taskDir(namespace, id), id).orElseThrow(() -> new Failure("no running task found: task "
                        + id + " not found: not found"));
                if (task.running()) {
                    if (!delete.has("force", "f")) {
                        throw new Failure("task must be stopped before deletion: running: failed precondition");
                    }
                    try {
                        task.kill("SIGKILL");
                    } catch (Failure finishedMeanwhile) {
                        // it ended between the look and the kill
                    }
                    task.awaitExit();
                }
                task.delete();
                yield 0;
            }
            default -> throw new Failure("No help topic for '" + argv.getFirst() + "'", 3);
        };
    }

    private int container(String namespace, List<String> argv) {
        if (argv.isEmpty()) {
            throw new Failure("no container command given");
        }
        if (Set.of("list", "ls").contains(argv.getFirst())) {
            return listContainers(namespace, parse(argv.subList(1, argv.size()), Set.of("quiet", "q"), Set.of()));
        }
        if (argv.getFirst().equals("info")) {
            return containerInfo(namespace, requireId(parse(argv.subList(1, argv.size()), Set.of("spec"), Set.of()),
                    "container id must be provided"));
        }
        if (!Set.of("delete", "del", "remove", "rm").contains(argv.getFirst())) {
            throw new Failure("No help topic for '" + argv.getFirst() + "'", 3);
        }
        Parsed delete = parse(argv.subList(1, argv.size()), Set.of("keep-snapshot"), Set.of());
        String id = requireId(delete, "must specify at least one container to delete");
        Path container = containerDir(namespace, id);
        if (!Files.isDirectory(container)) {
            throw new Failure("container \"" + id + "\" in namespace \"" + namespace + "\": not found");
        }
        if (Files.exists(taskDir(namespace, id))) {
            throw new Failure("cannot delete a non stopped container: failed precondition");
        }
        deleteTree(container);
        return 0;
    }

    /** As {@code ctr containers ls}: with -q the ids alone, else ctr's table. */
    private int listContainers(String namespace, Parsed list) {
        List<String> ids;
        try (var dirs = Files.list(state.resolve(namespace))) {
            ids = dirs.filter(Files::isDirectory).map(dir -> dir.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            ids = List.of();
        }
        if (!list.has("quiet", "q")) {
            System.out.println("CONTAINER    IMAGE    RUNTIME");
        }
        for (String id : ids) {
            System.out.println(list.has("quiet", "q") ? id : id + "    -    " + KATA);
        }
        return 0;
    }

    /** As {@code ctr containers info}: the container record as JSON (its id, labels and runtime here). */
    private int containerInfo(String namespace, String id) {
        Path container = containerDir(namespace, id);
        if (!Files.isDirectory(container)) {
            throw new Failure("container \"" + id + "\" in namespace \"" + namespace + "\": not found");
        }
        var labels = new LinkedHashMap<String, String>();
        try {
            for (String label : Files.readAllLines(container.resolve("labels"))) {
                int eq = label.indexOf('=');
                labels.put(eq < 0 ? label : label.substring(0, eq), eq < 0 ? "true" : label.substring(eq + 1));
            }
        } catch (IOException e) {
            // a record without labels
        }
        var info = new LinkedHashMap<String, Object>();
        info.put("ID", id);
        info.put("Labels", labels);
        info.put("Image", "");
        info.put("Runtime", Map.of("Name", KATA));
        try {
            System.out.println(new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter()
                    .writeValueAsString(info));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new Failure(e.getMessage());
        }
        return 0;
    }

    private static String requireId(Parsed parsed, String missing) {
        if (parsed.args().isEmpty()) {
            throw new Failure(missing);
        }
        return parsed.args().getFirst();
    }

    private Path containerDir(String namespace, String id) {
        return state.resolve(namespace).resolve(id);
    }

    private Path taskDir(String namespace, String id) {
        return containerDir(namespace, id).resolve("task");
    }

    static void deleteTree(Path dir) {
        try (var walk = Files.walk(dir)) {
            for (Path path : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            // gone already, or a file in use: what is left is the simulator's own state
        }
    }

    /**
     * A task: the container's process in its stand-in VM, owned by a shim (a shell of its own session,
     * as containerd's shim is its own process), its standard streams FIFOs the client attaches to.
     */
    static final class Task {
        /** Opens the FIFOs (blocking until the client does), runs the sandbox, records its exit. */
        private static final String SHIM = """
                dir=$1; shift
                exec 0<"$dir/stdin" 1>"$dir/stdout" 2>"$dir/stderr"
                "$@" 3>"$dir/status.json"
                echo $? > "$dir/exit.tmp" && /bin/mv "$dir/exit.tmp" "$dir/exit"
                """;
        private final Path dir;
        private final String id;

        private Task(Path dir, String id) {
            this.dir = dir;
            this.id = id;
        }

        static java.util.Optional<Task> of(Path dir, String id) {
            return Files.isDirectory(dir) ? java.util.Optional.of(new Task(dir, id)) : java.util.Optional.empty();
        }

        static Task start(Path dir, String id, Path rootfs, List<String> command, Parsed run, List<Map<String, String>> mounts) {
            try {
                Files.createDirectory(dir);
                for (String fifo : List.of("stdin", "stdout", "stderr")) {
                    run(List.of("mkfifo", dir.resolve(fifo).toString()));
                }
                long memory = run.value("memory-limit") == null ? 0 : Long.parseLong(run.value("memory-limit"));
                double cpus = run.value("cpus") == null ? 0 : Double.parseDouble(run.value("cpus"));
                Cgroup vm = Limiter.detect().orElseThrow(() -> new Failure("the simulator needs writable cgroups: "
                        + Limiter.UNAVAILABLE)).create("ctr-simulator-" + id + "-" + System.nanoTime(), new Resources(
                        cpus > 0 ? cpus : null, memory > 0 ? Math.max(1, memory / (1024 * 1024)) : null, null, null, null,
                        null), 2);
                Files.writeString(dir.resolve("cgroup"), String.join("\n", vm.procsFiles().stream()
                        .map(procs -> procs.getParent().toString()).toList()));
                List<String> sandbox = CgroupJoin.wrap(vm, bwrap(id, rootfs, command, run, mounts));
                var shim = new ArrayList<>(List.of("setsid", "/bin/sh", "-c", SHIM, "ctr-simulator-shim", dir.toString()));
                shim.addAll(sandbox);
                var starting = new ProcessBuilder(shim);
                // the process's environment as a VM's agent would have it, from the spec: not on a command line (a
                // real shim's and VM's are not either), which any user of the host may read
                starting.environment().clear();
                starting.environment().putAll(processEnv(run));
                Process started = starting.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null")
                        .toFile())).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
                Files.writeString(dir.resolve("shim"), Long.toString(started.pid()));
                return new Task(dir, id);
            } catch (IOException e) {
                throw new Failure("failed to create shim task: " + e.getMessage() + ": unknown");
            }
        }

        /** The stand-in VM: the container's root read-only, as the Kata agent sets it up in the guest. */
        /** The job process's environment: ctr's, with containerd's default PATH if it sets none. */
        private static Map<String, String> processEnv(Parsed run) {
            var env = new java.util.LinkedHashMap<String, String>();
            for (String variable : run.env()) {
                int eq = variable.indexOf('=');
                if (eq > 0) {
                    env.put(variable.substring(0, eq), variable.substring(eq + 1));
                }
            }
            env.putIfAbsent("PATH", DEFAULT_PATH.substring("PATH=".length()));
            return env;
        }

        private static List<String> bwrap(String id, Path rootfs, List<String> command, Parsed run,
                List<Map<String, String>> mounts) throws IOException {
            String user = run.value("user", "u") == null ? "0:0" : run.value("user", "u");
            String[] ids = user.split(":", 2);
            // why its path: the shim runs it under the job's environment, whose PATH may not lead to it
            String bwrap = dev.hangar.runtime.support.Programs.find("bwrap").map(Path::toString).orElse("bwrap");
            var argv = new ArrayList<>(List.of(bwrap, "--unshare-all", "--unshare-user", "--uid", ids[0], "--gid",
                    ids.length > 1 ? ids[1] : ids[0], "--die-with-parent", "--new-session", "--cap-drop", "ALL",
                    "--hostname", id, "--json-status-fd", "3", "--as-pid-1"));
            boolean readOnly = run.has("read-only");
            try (var entries = Files.list(rootfs)) {
                for (Path entry : entries.sorted().toList()) {
                    String name = "/" + entry.getFileName();
                    if (Set.of("/proc", "/dev").contains(name)) {
                        continue;
                    }
                    if (Files.isSymbolicLink(entry)) {
                        argv.addAll(List.of("--symlink", Files.readSymbolicLink(entry).toString(), name));
                    } else {
                        argv.addAll(List.of(readOnly ? "--ro-bind" : "--bind", entry.toString(), name));
                    }
                }
            }
            // the guest's kernel is its own: nothing a task writes under /proc reaches the host's
            argv.addAll(List.of("--proc", "/proc", "--dev", "/dev", "--ro-bind", "/proc/sys", "/proc/sys"));
            for (Map<String, String> mount : mounts) {
                String destination = mount.get("destination");
                makeMountPoint(rootfs, destination, !"tmpfs".equals(mount.get("type"))
                        && !Files.isDirectory(Path.of(mount.get("source"))));
                List<String> options = List.of(mount.getOrDefault("options", "").split(":"));
                if ("tmpfs".equals(mount.get("type"))) {
                    String size = options.stream().filter(o -> o.startsWith("size=")).findFirst().orElse("size=0")
                            .substring("size=".length());
                    if (!size.equals("0")) {
                        argv.addAll(List.of("--size", size));
                    }
                    argv.addAll(List.of("--tmpfs", destination));
                } else {
                    argv.addAll(List.of(options.contains("ro") ? "--ro-bind" : "--bind", mount.get("source"), destination));
                }
            }
            if (readOnly) {
                argv.addAll(List.of("--remount-ro", "/")); // the root itself too, not only the image's entries in it
            }
            argv.addAll(List.of("--chdir", run.value("cwd") == null ? "/" : run.value("cwd"), "--"));
            argv.addAll(command);
            return argv;
        }

        /**
         * A mount point the image lacks, made in the image's own directory where that holds the
         * destination's parent, as runc and the Kata agent make it (they write the container's root
         * before they make it read-only); elsewhere bwrap makes it in its own root.
         */
        private static void makeMountPoint(Path rootfs, String destination, boolean file) throws IOException {
            Path inImage = rootfs.resolve(destination.substring(1));
            Path top = rootfs.resolve(Path.of(destination.substring(1)).getName(0));
            if (Files.exists(inImage, java.nio.file.LinkOption.NOFOLLOW_LINKS) || inImage.equals(top)
                    || !Files.isDirectory(top, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                return;
            }
            Files.createDirectories(inImage.getParent());
            if (file) {
                Files.createFile(inImage);
            } else {
                Files.createDirectory(inImage);
            }
        }

        /** As {@code ctr run} without a tty: its streams are the task's until the task ends; returns its exit status. */
        int relay(InputStream in, OutputStream out, OutputStream errOut) {
            Thread stdin = Thread.ofVirtual().start(() -> copy(in, dir.resolve("stdin")));
            Thread stdout = Thread.ofPlatform().start(() -> copy(dir.resolve("stdout"), out));
            Thread stderr = Thread.ofPlatform().start(() -> copy(dir.resolve("stderr"), errOut));
            try {
                stdout.join();
                stderr.join();
                stdin.interrupt();
                return awaitExit();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 1;
            }
        }

        private static void copy(InputStream in, Path fifo) {
            try (OutputStream to = Files.newOutputStream(fifo)) {
                in.transferTo(to);
            } catch (IOException e) {
                // the task stopped reading
            }
        }

        private static void copy(Path fifo, OutputStream out) {
            try (InputStream from = Files.newInputStream(fifo)) {
                byte[] buffer = new byte[8192];
                for (int n; (n = from.read(buffer)) > 0; ) {
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // the client's own output closed
            }
        }

        /** As ctr's --pid-file: the task's pid (its shim's here), written aside and renamed into place. */
        void writePid(Path pidFile) {
            try {
                Path aside = pidFile.resolveSibling("." + pidFile.getFileName());
                Files.writeString(aside, shimPid());
                Files.move(aside, pidFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw new Failure("open " + pidFile + ": " + e.getMessage());
            }
        }

        boolean running() {
            return !Files.exists(dir.resolve("exit"));
        }

        int awaitExit() {
            try {
                while (running()) {
                    if (!shimAlive() && running()) {
                        recordExit(128 + 9); // the shim was killed before the task started (see kill)
                    }
                    Thread.sleep(10);
                }
                return Integer.parseInt(Files.readString(dir.resolve("exit")).strip());
            } catch (IOException | NumberFormatException e) {
                throw new Failure("task " + id + ": no exit status: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 1;
            }
        }

        /** Signals the container's init, as the Kata agent does in the guest. */
        void kill(String signal) {
            if (!running()) {
                throw new Failure("process already finished: not found");
            }
            String pid = childPid();
            if (pid == null) {
                // created, not started (its client never attached): containerd kills such a task's init all the same
                run(List.of("kill", "-KILL", shimPid()));
                recordExit(128 + 9);
                return;
            }
            var result = run(List.of("kill", "-s", signal.replaceFirst("^SIG", ""), pid));
            if (result != 0) {
                throw new Failure("invalid signal " + signal + ": invalid argument");
            }
        }

        private String shimPid() {
            try {
                return Files.readString(dir.resolve("shim")).strip();
            } catch (IOException e) {
                return "0";
            }
        }

        private boolean shimAlive() {
            return ProcessHandle.of(Long.parseLong(shimPid())).map(ProcessHandle::isAlive).orElse(false);
        }

        /** Records an exit unless the shim recorded one: a link, which never replaces what is there. */
        private void recordExit(int code) {
            try {
                Path aside = dir.resolve("exit.killed");
                Files.writeString(aside, Integer.toString(code));
                Files.createLink(dir.resolve("exit"), aside);
            } catch (IOException e) {
                // the shim recorded it meanwhile
            }
        }

        private String childPid() {
            try {
                var matcher = Pattern.compile("\"child-pid\": *(\\d+)").matcher(Files.readString(dir.resolve("status.json")));
                return matcher.find() ? matcher.group(1) : null;
            } catch (IOException e) {
                return null;
            }
        }

        /** Ends what is left of the VM and removes the task. */
        void delete() {
            List<String> groups;
            try {
                groups = Files.readAllLines(dir.resolve("cgroup"));
            } catch (IOException e) {
                groups = List.of();
            }
            for (String group : groups) {
                removeGroup(Path.of(group));
            }
            deleteTree(dir);
        }

        /** Kills what is left in a group, then removes it, trying again for a few seconds (processes take a moment to go). */
        private static void removeGroup(Path group) {
            Path procs = group.resolve("cgroup.procs");
            for (int round = 0; round < 300 && Files.exists(group); round++) {
                try {
                    for (String pid : Files.readAllLines(procs)) {
                        run(List.of("kill", "-KILL", pid));
                    }
                    Files.deleteIfExists(group);
                } catch (IOException e) {
                    try {
                        Thread.sleep(10); // busy: a killed process not reaped yet
                    } catch (InterruptedException interrupted) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
        }

        private static int run(List<String> command) {
            try {
                return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .start().waitFor();
            } catch (IOException e) {
                throw new Failure(command.getFirst() + ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 1;
            }
        }
    }
}
