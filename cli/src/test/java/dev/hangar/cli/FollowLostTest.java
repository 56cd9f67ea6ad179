package dev.hangar.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hangar.client.HangarApiException;
import dev.hangar.client.HangarUnreachableException;
import dev.hangar.core.api.Problem;
import java.net.ConnectException;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a follow that gave up on its server says: the job it followed, that it runs on, and how to follow it again. */
class FollowLostTest {
    @Test
    void aServerGoneForLongerThanAFollowWaitsIsToldWithTheJobAndNotAsNoServerAtAll() {
        var gone = new HangarUnreachableException(URI.create("http://127.0.0.1:8080"), new ConnectException("refused"));

        assertThatThrownBy(() -> FollowLost.unlessLost("j-1", () -> {
            throw gone;
        })).isInstanceOf(FollowLost.class).hasCause(gone);
        // as Main prints it: it said "no Hangar server at ...; start one with 'hangar up'", and no job id
        String said = Main.message(catchLost(gone), false);
        assertThat(said).isEqualTo("lost the Hangar server while following job j-1 (no Hangar server at"
                + " http://127.0.0.1:8080 (ConnectException: refused)); the job was not cancelled: follow it again with"
                + " 'hangar logs -f j-1'");
    }

    @Test
    void aServerThatKeptFailingIsLostSoButARefusalOfTheFollowStaysAsItIs() {
        var failing = new HangarApiException(Problem.of(503, "Queue unavailable", "redis is away", List.of()));
        assertThat(catchLost(failing)).isInstanceOf(FollowLost.class);

        var refused = new HangarApiException(Problem.of(404, "Not found", "no job j-1", List.of()));
        assertThat(catchLost(refused)).isSameAs(refused);
    }

    private static Exception catchLost(RuntimeException thrown) {
        try {
            FollowLost.unlessLost("j-1", () -> {
                throw thrown;
            });
            throw new AssertionError("nothing thrown");
        } catch (RuntimeException e) {
            return e;
        }
    }
}
