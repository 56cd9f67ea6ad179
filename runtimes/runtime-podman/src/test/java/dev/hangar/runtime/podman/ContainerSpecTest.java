package dev.hangar.runtime.podman;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hangar.core.job.Resources;
import dev.hangar.core.runtime.Mount;
import dev.hangar.core.runtime.NetworkMode;
import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.SandboxException;
import dev.hangar.core.runtime.SandboxSpec;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ContainerSpecTest {
    private static final Set<String> ALL_NVIDIA = Set.of("/dev/nvidia0", "/dev/nvidia1", "/dev/nvidia2", "/dev/nvidiactl",
            "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools");

    private static SandboxSpec spec(NetworkMode network, List<Mount> mounts, List<String> gpus) {
        return new SandboxSpec("job-1", "busybox", new Resources(0.5, 64L, 32, 100L, null, null), network, mounts, gpus);
    }

    @SuppressWarnings("unchecked")
    private static <T> T get(Map<String, Object> map, String key) {
        return (T) map.get(key);
    }

    @Test
    void eachGpuIndexBecomesItsDeviceNodePlusTheSharedNodesThatExist() throws Exception {
        assertThat(ContainerSpec.gpuDevices(List.of("0", "2"), ALL_NVIDIA::contains)).containsExactly(
                "/dev/nvidia0", "/dev/nvidia2", "/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools");
        assertThat(ContainerSpec.gpuDevices(List.of("1"), Set.of("/dev/nvidia1", "/dev/nvidiactl")::contains))
                .containsExactly("/dev/nvidia1", "/dev/nvidiactl");
        assertThat(ContainerSpec.gpuDevices(List.of("1", "1"), ALL_NVIDIA::contains)).startsWith("/dev/nvidia1")
                .doesNotHaveDuplicates();
        assertThat(ContainerSpec.gpuDevices(List.of(), ALL_NVIDIA::contains)).isEmpty();
    }

    @Test
    void aGpuWithoutItsDeviceNodeOrNotAnIndexIsRefused() {
        assertThatThrownBy(() -> ContainerSpec.gpuDevices(List.of("5"), ALL_NVIDIA::contains))
                .isInstanceOf(SandboxException.class).hasMessageContaining("/dev/nvidia5 does not exist");
        assertThatThrownBy(() -> ContainerSpec.gpuDevices(List.of("../sda"), path -> true))
                .isInstanceOf(SandboxException.class).hasMessageContaining("not a device number");
    }

    @Test
    void gpusGoIntoTheContainerAsDevices() throws Exception {
        Map<String, Object> body = ContainerSpec.container(spec(NetworkMode.NONE, List.of(), List.of("0")), "img",
                "/usr/bin/catatonit", "1@2", ALL_NVIDIA::contains);
        assertThat(ContainerSpecTest.<List<Map<String, String>>>get(body, "devices")).extracting(d -> d.get("path"))
                .containsExactly("/dev/nvidia0", "/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools");
        Map<String, Object> none = ContainerSpec.container(spec(NetworkMode.NONE, List.of(), List.of()), "img",
                "/usr/bin/catatonit", "1@2", ALL_NVIDIA::contains);
        assertThat(none).doesNotContainKey("devices");
    }

    @Test
    void theContainerIsReadOnlyUnprivilegedAndLimited() throws Exception {
        Map<String, Object> body = ContainerSpec.container(spec(NetworkMode.NONE, List.of(), List.of()), "localhost/hangar-busybox:1",
                "/usr/bin/catatonit", "42@7", path -> false);
        assertThat(body).containsEntry("image", "localhost/hangar-busybox:1")
                .containsEntry("name", "hangar-job-1")
                .containsEntry("read_only_filesystem", true)
                .containsEntry("user", ContainerSpec.USER)
                .containsEntry("work_dir", "/work")
                .containsEntry("cap_drop", List.of("all"))
                .containsEntry("no_new_privileges", true)
                .containsEntry("oci_runtime", "runc")
                .containsEntry("entrypoint", List.of("/run/hangar-init"))
                .containsEntry("command", List.of("-P"))
                .containsEntry("netns", Map.of("nsmode", "none"))
                .containsEntry("env", Map.of("PATH", ContainerSpec.PATH, "HOME", "/work"))
                .containsEntry("labels", Map.of("hangar.sandbox", "job-1", "hangar.jvm", "42@7"));
        Map<String, Object> limits = get(body, "resource_limits");
        assertThat(limits).containsEntry("memory", Map.of("limit", 64L << 20, "swap", 64L << 20))
                .containsEntry("cpu", Map.of("quota", 50_000L, "period", 100_000L))
                .containsEntry("pids", Map.of("limit", 33));
        List<Map<String, Object>> mounts = get(body, "mounts");
        assertThat(mounts).contains(
                Map.of("destination", "/run/hangar-init", "source", "/usr/bin/catatonit", "type", "bind", "options", List.of("rbind", "ro")),
                Map.of("destination", "/work", "source", "tmpfs", "type", "tmpfs",
                        "options", List.of("rw", "exec", "nosuid", "nodev", "notmpcopyup", "U", "size=100m")),
                Map.of("destination", "/tmp", "source", "tmpfs", "type", "tmpfs",
                        "options", List.of("rw", "exec", "nosuid", "nodev", "notmpcopyup", "U", "size=100m")));
    }

    @Test
    void networkModesAndMountsAreAsAsked() throws Exception {
        var mounts = List.of(new Mount("/srv/data", "/data", true), new Mount("/srv/out", "/out", false));
        Map<String, Object> host = ContainerSpec.container(spec(NetworkMode.HOST, mounts, List.of()), "i", "/c", "1@2", p -> false);
        assertThat(host).containsEntry("netns", Map.of("nsmode", "host"));
        assertThat(ContainerSpecTest.<List<Map<String, Object>>>get(host, "mounts")).contains(
                Map.of("destination", "/data", "source", "/srv/data", "type", "bind", "options", List.of("bind", "ro")),
                Map.of("destination", "/out", "source", "/srv/out", "type", "bind", "options", List.of("rbind", "rw")));
        Map<String, Object> bridge = ContainerSpec.container(spec(NetworkMode.BRIDGE, List.of(), List.of()), "i", "/c", "1@2", p -> false);
        assertThat(bridge).containsEntry("netns", Map.of("nsmode", "bridge"));
    }

    @Test
    void anIdThatIsNoContainerNameLeavesTheNameToPodman() throws Exception {
        var spec = new SandboxSpec("job/with spaces", null, Resources.defaults(), NetworkMode.NONE, List.of());
        assertThat(ContainerSpec.container(spec, "i", "/c", "1@2", p -> false)).doesNotContainKey("name");
    }

    @Test
    void theExecSessionCarriesOnlyTheBaseAndTheJobsEnvironment() {
        var process = new ProcessSpec(List.of("sh", "-c", "env"), Map.of("A", "1"), "in".getBytes());
        Map<String, Object> body = ContainerSpec.exec(process);
        assertThat(body).containsEntry("Cmd", List.of("sh", "-c", "env"))
                .containsEntry("Env", List.of("PATH=" + ContainerSpec.PATH, "HOME=/work", "LANG=C.UTF-8", "A=1"))
                .containsEntry("AttachStdin", true)
                .containsEntry("AttachStdout", true)
                .containsEntry("AttachStderr", true)
                .containsEntry("Tty", false)
                .containsEntry("User", ContainerSpec.USER)
                .containsEntry("WorkingDir", "/work");
        assertThat(ContainerSpec.exec(new ProcessSpec(List.of("true"), Map.of(), new byte[0]))).containsEntry("AttachStdin", false);
        assertThat(ContainerSpec.exec(new ProcessSpec(List.of("true"), Map.of("PATH", "/x"), null)))
                .containsEntry("Env", List.of("PATH=/x", "HOME=/work", "LANG=C.UTF-8"));
    }

    @Test
    void aProcessPodmanCouldNotStartGetsPodmansExitCode() {
        assertThat(PodmanSandbox.startFailureCode("Error: runc: exec failed: exec: \"x\": executable file not found in $PATH"))
                .isEqualTo(127);
        assertThat(PodmanSandbox.startFailureCode("exec: \"/work/x\": permission denied")).isEqualTo(126);
        assertThat(PodmanSandbox.startFailureCode("something else")).isEqualTo(125);
    }

    @Test
    void aProcessPodmanCouldNotStartForItsOwnReasonsFailsTheRuntimeNotTheJob() throws Exception {
        assertThat(PodmanSandbox.notStarted(127, "executable file not found")).isEqualTo(127);
        assertThat(PodmanSandbox.notStarted(126, "permission denied")).isEqualTo(126);
        // Podman's 125 for a command the job gave that cannot run is still the job's
        assertThat(PodmanSandbox.notStarted(125, "Error: crun: exec format error: OCI runtime error")).isEqualTo(126);
        assertThat(PodmanSandbox.notStarted(125, "Error: crun: operation not permitted: OCI permission denied"))
                .isEqualTo(126);
        String reason = "Error: crun: write to `/sys/fs/cgroup/x/cgroup.procs`: No space left on device: OCI runtime error\n";
        assertThatThrownBy(() -> PodmanSandbox.notStarted(PodmanSandbox.startFailureCode(reason), reason))
                .isInstanceOfSatisfying(SandboxException.class, e -> assertThat(e.isCausedByTheJob()).isFalse())
                .hasMessage("podman could not start the job's process (exit code 125): Error: crun: write to"
                        + " `/sys/fs/cgroup/x/cgroup.procs`: No space left on device: OCI runtime error");
    }

    @Test
    void podmansReportOnStderrIsToldFromAJobsOwnOutput() {
        // as Podman 4.3 wrote it on an upgraded stream, with no exec_died event after
        assertThat(PodmanSandbox.isStartFailure("Error: runc: exec failed: unable to start container process: exec: "
                + "\"x\": executable file not found in $PATH: OCI runtime attempted to invoke a command that was not found\n"))
                .isTrue();
        assertThat(PodmanSandbox.isStartFailure("Error: OCI permission denied\n")).isTrue();
        assertThat(PodmanSandbox.isStartFailure("Error: something the job printed\n")).isFalse();
        assertThat(PodmanSandbox.isStartFailure("the job said: Error: OCI runtime\n")).isFalse();
    }
}
