package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hangar.core.job.JobSpec;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class JsonBodiesTest {
    private static void refused(String body, String detail) {
        assertThatThrownBy(() -> JsonBodies.read(body.getBytes(StandardCharsets.UTF_8), JobSpec.class))
                .isInstanceOf(ApiException.class).hasMessage(detail);
    }

    @Test
    void aWholeNumberPastEitherEndOfItsTypeIsToldBothEnds() {
        // one too low was told "of at most 2147483647", which it is
        refused("{\"command\": [\"true\"], \"timeoutSeconds\": -3000000000}",
                "timeoutSeconds: is out of range: must be a whole number between -2147483648 and 2147483647");
        refused("{\"command\": [\"true\"], \"timeoutSeconds\": 3000000000}",
                "timeoutSeconds: is out of range: must be a whole number between -2147483648 and 2147483647");
    }
}
