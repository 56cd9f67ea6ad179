package dev.hangar.runtime.kata;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hangar.runtime.support.OwningProcess;
import dev.hangar.runtime.support.ShortCommand;
import java.time.Duration;
import java.util.Optional;

/**
 * What Hangar processes that are gone (an agent killed with SIGKILL) left in containerd's
 * {@code hangar} namespace: each container labelled with a gone owner ({@link CtrCommand#OWNER_LABEL})
 * is removed, its VM with it. A live process's containers stay, and so do unlabelled ones.
 */
final class KataLeftovers {
    private static final ObjectMapper JSON = new ObjectMapper();

    private KataLeftovers() {}

    /** How long a sweep may go on, whatever ctr answers. */
    private static final Duration BOUND = Duration.ofMinutes(5);

    /** @return the containers removed */
    static int sweep(Ctr ctr) {
        long deadline = System.nanoTime() + BOUND.toNanos();
        ShortCommand.Result listed = ctr.read("containers", "ls", "-q");
        if (!listed.ok()) {
            return 0;
        }
        int removed = 0;
        for (String id : listed.output().lines().map(String::strip).filter(line -> !line.isEmpty()).toList()) {
            if (System.nanoTime() > deadline) {
                break; // the rest waits for the next start
            }
            ShortCommand.Result info = ctr.read("containers", "info", id);
            Optional<String> owner = info.ok() ? ownerOf(info.output()) : Optional.empty();
            if (owner.isPresent() && OwningProcess.gone(owner.get()) && ctr.remove(id).ok()) {
                removed++;
            }
        }
        return removed;
    }

    /** The owner label of a container, from what {@code ctr containers info} prints. */
    static Optional<String> ownerOf(String info) {
        try {
            return Optional.ofNullable(JSON.readTree(info).path("Labels").path(CtrCommand.OWNER_LABEL).textValue());
        } catch (JsonProcessingException e) {
            return Optional.empty();
        }
    }
}
