package dev.hangar.cli;

import dev.hangar.core.json.Json;
import dev.hangar.core.pool.PoolList;
import dev.hangar.core.pool.PoolSpec;
import dev.hangar.core.pool.PoolStatus;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code hangar pools}: the node's warm pools; {@code --put SPEC} creates or changes one, {@code --remove NAME} removes one. */
@Command(name = "pools", description = "List the warm pools of the node (ready, starting, in use, served, replaced, "
        + "memory held; on a cluster's server, every node's, summed per pool); create or change one with --put, remove "
        + "one with --remove (on a node: a cluster's pools are set on each agent).")
final class PoolsCommand implements Callable<Integer> {
    @Mixin
    ClientOptions client;

    @Option(names = "--put", paramLabel = "SPEC",
            description = "Create or change a pool: runtime=process,image=busybox,cpus=1,memoryMb=256,min=2,max=8[,name=N][,idleSeconds=S]")
    String put;

    @Option(names = "--remove", paramLabel = "NAME", description = "Remove a pool, destroying its ready sandboxes")
    String remove;

    @Override
    public Integer call() {
        if (put != null && remove != null) {
            throw new IllegalArgumentException("--put and --remove: give one of them");
        }
        var api = client.client();
        if (put != null) {
            PoolSpec spec = PoolOption.parse("--put", put);
            print(List.of(api.putPool(spec)), null);
            return 0;
        }
        if (remove != null) {
            PoolStatus removed = api.removePool(remove);
            if (client.json) {
                System.out.println(Json.write(removed));
            } else {
                // why not its row: a table of the pool reads as if it were still there
                System.out.println("removed pool " + removed.spec().name() + " (it served " + removed.served()
                        + " jobs; its ready sandboxes are destroyed)");
            }
            return 0;
        }
        PoolList list = api.pools();
        if (client.json) {
            System.out.println(Json.write(list));
            return 0;
        }
        print(list.pools(), list);
        return 0;
    }

    private void print(List<PoolStatus> pools, PoolList list) {
        if (client.json) {
            System.out.println(Json.write(pools.getFirst()));
            return;
        }
        var out = new PrintWriter(System.out, true);
        if (list != null) {
            out.println("memory budget: " + list.budget().heldMb() + " of " + list.budget().memoryMb() + " MiB held");
        }
        Tables.print(out, List.of("POOL", "RUNTIME", "IMAGE", "SIZE", "MIN/MAX", "READY", "STARTING", "IN USE", "SERVED",
                "MISSED", "REPLACED", "MEMORY", "NOTE"), pools.stream().map(PoolsCommand::row).toList());
    }

    private static List<String> row(PoolStatus pool) {
        PoolSpec spec = pool.spec();
        String cpus = spec.cpus() == Math.rint(spec.cpus()) ? String.valueOf(spec.cpus().longValue()) : spec.cpus().toString();
        // a drained node's pool may have a min of 0, and is short of nothing
        String note = pool.limitedBy() != null ? (pool.ready() + pool.starting() < spec.min() ? "below min: " : "")
                + pool.limitedBy()
                : pool.lastError() != null ? "last error: " + pool.lastError() : "";
        return List.of(spec.name(), spec.runtime(), Tables.orDash(spec.image()), cpus + " cpu/" + spec.memoryMb() + " MiB",
                spec.min() + "/" + spec.max(), String.valueOf(pool.ready()), String.valueOf(pool.starting()),
                String.valueOf(pool.inUse()), String.valueOf(pool.served()), String.valueOf(pool.missed()),
                String.valueOf(pool.replaced()), pool.memoryHeldMb() + " MiB", note);
    }
}
