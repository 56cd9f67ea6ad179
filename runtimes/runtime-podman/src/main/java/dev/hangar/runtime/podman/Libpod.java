package dev.hangar.runtime.podman;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The libpod REST API calls the driver makes, on its own service's socket. A call that finds
 * nobody listening (the service died) restarts the service and is tried once more.
 */
final class Libpod {
    private static final String PREFIX = "/v4.0.0/libpod";
    private static final Duration CALL_BOUND = Duration.ofSeconds(60);
    /** How long an exec start may take to answer before its stream begins (runc starting the process). */
    private static final Duration EXEC_START_BOUND = Duration.ofSeconds(60);
    static final ObjectMapper JSON = new ObjectMapper();

    private final PodmanService service;

    Libpod(PodmanService service) {
        this.service = service;
    }

    /** The API answered with an error. */
    static final class ApiError extends IOException {
        private final int status;

        ApiError(String call, UnixHttp.Response response) {
            super(call + ": HTTP " + response.status() + " " + message(response));
            this.status = response.status();
        }

        int status() {
            return status;
        }

        private static String message(UnixHttp.Response response) {
            try {
                JsonNode error = JSON.readTree(response.body());
                if (error != null && error.hasNonNull("message")) {
                    return error.get("message").asText();
                }
            } catch (IOException ignored) {
                // not JSON: the text as it is
            }
            return response.text().strip();
        }
    }

    private interface Call<T> {
        T on(UnixHttp http) throws IOException;
    }

    private <T> T call(Call<T> call) throws IOException {
        try {
            return call.on(service.http());
        } catch (UnixHttp.ConnectFailed e) {
            service.ensureRunning();
            return call.on(service.http());
        }
    }

    private UnixHttp.Response send(String method, String path, Object body, Duration bound) throws IOException {
        byte[] bytes = body == null ? null : JSON.writeValueAsBytes(body);
        return call(http -> http.send(method, PREFIX + path, "application/json", bytes, bound));
    }

    private JsonNode json(String method, String path, Object body) throws IOException {
        UnixHttp.Response response = send(method, path, body, CALL_BOUND);
        if (!response.ok()) {
            throw new ApiError(method + " " + path, response);
        }
        return response.body().length == 0 ? JSON.nullNode() : JSON.readTree(response.body());
    }

    static String query(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    JsonNode version() throws IOException {
        return json("GET", "/version", null);
    }

    JsonNode info() throws IOException {
        return json("GET", "/info", null);
    }

    // ------------------------------------------------------------------ containers

    /**
     * Creates a container, or fails if Podman made it without the limits asked for: a rootless Podman on cgroup v1
     * drops every resource limit and says so only in the answer's warnings, and a job would run unbounded.
     */
    String createContainer(Map<String, Object> spec) throws IOException {
        JsonNode answer = json("POST", "/containers/create", spec);
        String id = answer.get("Id").asText();
        Optional<String> dropped = limitsDropped(answer.path("Warnings"));
        if (dropped.isPresent()) {
            try {
                removeContainer(id);
            } catch (IOException e) {
                // left for the sweep of the agent's next start, which removes the containers of agents gone
            }
            throw new IOException("Podman made the container without its resource limits, so it is not run: "
                    + dropped.get());
        }
        return id;
    }

    /** A warning of a create's answer that says limits were dropped (ignored, discarded, not supported), if any. */
    static Optional<String> limitsDropped(JsonNode warnings) {
        for (JsonNode warning : warnings) {
            String text = warning.asText().toLowerCase(java.util.Locale.ROOT);
            if (text.contains("limit") && (text.contains("ignored") || text.contains("discarded")
                    || text.contains("not supported"))) {
                return Optional.of(warning.asText());
            }
        }
        return Optional.empty();
    }

    void startContainer(String id) throws IOException {
        UnixHttp.Response response = send("POST", "/containers/" + id + "/start", null, CALL_BOUND);
        if (!response.ok() && response.status() != 304) {
            throw new ApiError("start container " + id, response);
        }
    }

    JsonNode inspectContainer(String id) throws IOException {
        return json("GET", "/containers/" + id + "/json", null);
    }

    /** SIGKILL to the container's init, which ends its pid namespace; false if it was not running. */
    boolean killContainer(String id) throws IOException {
        UnixHttp.Response response = send("POST", "/containers/" + id + "/kill?signal=SIGKILL", null, CALL_BOUND);
        if (response.ok()) {
            return true;
        }
        if (response.status() == 404 || response.status() == 409) {
            return false;
        }
        throw new ApiError("kill container " + id, response);
    }

    /** Returns once Podman has seen the container exit (it checks every 10 ms); false if it did not within the bound. */
    boolean awaitExited(String id, Duration bound) throws IOException {
        UnixHttp.Response response;
        try {
            response = send("POST", "/containers/" + id + "/wait?condition=exited&interval=10ms", null, bound);
        } catch (UnixHttp.ConnectFailed e) {
            throw e;
        } catch (IOException timedOut) {
            return false;
        }
        return response.ok() || response.status() == 404;
    }

    /** Kills and removes a container, returning when it is gone; a container already gone is fine. */
    void removeContainer(String id) throws IOException {
        UnixHttp.Response response = send("DELETE", "/containers/" + id + "?force=true&timeout=0", null, CALL_BOUND);
        if (!response.ok() && response.status() != 404) {
            throw new ApiError("remove container " + id, response);
        }
    }

    /** All containers, running or not, that carry the label. */
    List<JsonNode> listContainers(String label) throws IOException {
        String filters = JSON.writeValueAsString(Map.of("label", List.of(label)));
        var list = new ArrayList<JsonNode>();
        json("GET", "/containers/json?all=true&filters=" + query(filters), null).forEach(list::add);
        return list;
    }

    // ------------------------------------------------------------------ exec

    String createExec(String containerId, Map<String, Object> body) throws IOException {
        return json("POST", "/containers/" + containerId + "/exec", body).get("Id").asText();
    }

    /** Starts an exec session attached: the connection carries its stdin one way, its output frames the other. */
    UnixHttp.Upgraded startExec(String execId) throws IOException {
        byte[] body = JSON.writeValueAsBytes(Map.of("Detach", false, "Tty", false));
        UnixHttp.Upgraded upgraded = call(http -> http.upgrade("POST", PREFIX + "/exec/" + execId + "/start", body,
                EXEC_START_BOUND));
        if (upgraded.refusal() != null) {
            throw new ApiError("start exec session " + execId, upgraded.refusal());
        }
        return upgraded;
    }

    /** The exit code of an exec session that has ended, if Podman still has the session. */
    OptionalInt execSessionExitCode(String execId) throws IOException {
        UnixHttp.Response response = send("GET", "/exec/" + execId + "/json", null, CALL_BOUND);
        if (!response.ok()) {
            return OptionalInt.empty();
        }
        JsonNode session = JSON.readTree(response.body());
        return session.path("Running").asBoolean(true) || !session.path("ExitCode").isInt() ? OptionalInt.empty()
                : OptionalInt.of(session.get("ExitCode").asInt());
    }

    /**
     * The exit code in the container's last {@code exec_died} event since {@code since}. Why an event:
     * with {@code exit_command_delay = 0} Podman removes the exec session as soon as it ends, so it
     * cannot be inspected afterwards; the service records the event before it closes the stream.
     */
    OptionalInt execExitCode(String containerId, Instant since) throws IOException {
        String filters = JSON.writeValueAsString(Map.of("container", List.of(containerId), "event", List.of("exec_died")));
        UnixHttp.Response response = send("GET", "/events?stream=false&since=" + since.getEpochSecond()
                + "&filters=" + query(filters), null, CALL_BOUND);
        if (!response.ok()) {
            throw new ApiError("events of container " + containerId, response);
        }
        OptionalInt code = OptionalInt.empty();
        try (MappingIterator<JsonNode> events = JSON.readerFor(JsonNode.class).readValues(response.body())) {
            while (events.hasNext()) {
                JsonNode exitCode = events.next().path("Actor").path("Attributes").path("containerExitCode");
                if (exitCode.isTextual() || exitCode.isNumber()) {
                    code = OptionalInt.of(Integer.parseInt(exitCode.asText()));
                }
            }
        }
        return code;
    }

    // ------------------------------------------------------------------ images

    boolean imageExists(String reference) throws IOException {
        UnixHttp.Response response = send("GET", "/images/" + reference + "/exists", null, CALL_BOUND);
        if (response.status() == 204 || response.status() == 404) {
            return response.status() == 204;
        }
        throw new ApiError("does image " + reference + " exist", response);
    }

    /** Imports a root filesystem tarball, streamed, as an image named {@code reference} with these labels. */
    void importImage(String reference, Map<String, String> labels, UnixHttp.BodyWriter tarball) throws IOException {
        var path = new StringBuilder(PREFIX + "/images/import?reference=" + query(reference));
        // why in double quotes: Podman takes the text between them as it is, spaces and all (it undoes no escapes)
        labels.forEach((key, value) -> path.append("&changes=").append(query("LABEL " + key + "=\"" + value + "\"")));
        UnixHttp.Response response = call(http -> http.stream("POST", path.toString(), "application/x-tar", tarball,
                Duration.ofMinutes(10)));
        if (!response.ok()) {
            throw new ApiError("import image " + reference, response);
        }
    }

    /** A name (repository:tag) of an image, with the value of one of the image's labels (null: none). */
    record Tagged(String reference, String label) {}

    /** The names (repository:tag) of the images whose repository is {@code repository}, each with its label {@code label}. */
    List<Tagged> imageTags(String repository, String label) throws IOException {
        return imageTags("reference", repository, label);
    }

    /** The names of the images that have this label (of any value), each with its value. */
    List<Tagged> labelledImageTags(String label) throws IOException {
        return imageTags("label", label, label);
    }

    private List<Tagged> imageTags(String filter, String matching, String label) throws IOException {
        String filters = JSON.writeValueAsString(Map.of(filter, List.of(matching)));
        var tags = new ArrayList<Tagged>();
        for (JsonNode image : json("GET", "/images/json?filters=" + query(filters), null)) {
            JsonNode value = image.path("Labels").path(label);
            image.path("Names").forEach(name -> tags.add(new Tagged(name.asText(), value.isTextual() ? value.asText() : null)));
        }
        return tags;
    }

    /** Removes an image by name unless a container uses it; true if it went. */
    boolean removeImage(String reference) throws IOException {
        return send("DELETE", "/images/" + reference, null, CALL_BOUND).ok();
    }
}
