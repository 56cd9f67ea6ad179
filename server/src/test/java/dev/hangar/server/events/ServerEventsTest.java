package dev.hangar.server.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.core.queue.JobStore;
import dev.hangar.core.queue.QueueListener;
import dev.hangar.server.NodeView;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** What the store tells the server, as events of its log. */
class ServerEventsTest {
    @Test
    void changesTheStoreCouldNotTellMakeAResetSoClientsReload() {
        var listener = new AtomicReference<QueueListener>();
        JobStore store = (JobStore) Proxy.newProxyInstance(JobStore.class.getClassLoader(), new Class<?>[] {JobStore.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("subscribe")) {
                        listener.set((QueueListener) args[0]);
                        return (AutoCloseable) () -> {};
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
        NodeView nodes = new NodeView() {
            @Override
            public List<dev.hangar.core.runtime.RuntimeStatus> runtimes() {
                return List.of();
            }

            @Override
            public dev.hangar.core.job.SpecLimits limits() {
                throw new UnsupportedOperationException();
            }
        };
        var log = new EventLog(100, Long.MAX_VALUE, 1);
        try (var events = new ServerEvents(store, nodes, log)) {
            listener.get().changesMissed("changes were trimmed");

            List<ServerEvent> appended = log.after(log.beforeFirst(), 10).events();
            assertThat(appended).singleElement().satisfies(event -> {
                assertThat(event.type()).isEqualTo(ServerEvent.RESET);
                assertThat(event.data()).contains("changes were trimmed: reload from the REST API");
            });
        }
    }
}
