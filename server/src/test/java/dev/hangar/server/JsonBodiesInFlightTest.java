package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class JsonBodiesInFlightTest {
    @Test
    void bodiesBeingReadHoldAtMostTheirShareAndLetGoOnceRead() {
        var all = JsonBodies.InFlight.take(JsonBodies.InFlight.MOST, Duration.ZERO).orElseThrow();
        try {
            assertThat(JsonBodies.InFlight.take(1, Duration.ZERO)).as("no room left").isEmpty();
        } finally {
            all.close();
        }
        try (var one = JsonBodies.InFlight.take(1, Duration.ZERO).orElseThrow()) {
            assertThat(one).as("room again once the first was read").isNotNull();
        }
    }
}
