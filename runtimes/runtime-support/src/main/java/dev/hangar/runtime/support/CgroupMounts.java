package dev.hangar.runtime.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Where the cgroup hierarchies are mounted, read from /proc/self/mountinfo. */
record CgroupMounts(Map<String, Path> v1ByController, Optional<Path> v2) {

    static CgroupMounts read() {
        try {
            return parse(Files.readAllLines(Path.of("/proc/self/mountinfo")));
        } catch (IOException e) {
            return new CgroupMounts(Map.of(), Optional.empty());
        }
    }

    static CgroupMounts parse(List<String> mountinfo) {
        var v1 = new HashMap<String, Path>();
        Path v2 = null;
        for (String line : mountinfo) {
            int dash = line.indexOf(" - ");
            if (dash < 0) {
                continue;
            }
            String[] before = line.substring(0, dash).split(" ");
            String[] after = line.substring(dash + 3).split(" ");
            if (before.length < 5 || after.length < 3) {
                continue;
            }
            Path mountPoint = Path.of(before[4]);
            if (after[0].equals("cgroup2")) {
                v2 = mountPoint;
            } else if (after[0].equals("cgroup")) {
                for (String option : after[2].split(",")) {
                    v1.putIfAbsent(option, mountPoint);
                }
            }
        }
        return new CgroupMounts(Map.copyOf(v1), Optional.ofNullable(v2));
    }

    boolean hasV1(String... controllers) {
        for (String controller : controllers) {
            if (!v1ByController.containsKey(controller)) {
                return false;
            }
        }
        return true;
    }

    /** The directory under which Hangar makes its groups for a v1 controller. */
    Path v1(String controller) {
        return v1ByController.get(controller).resolve("hangar");
    }
}
