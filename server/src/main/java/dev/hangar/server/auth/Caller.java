package dev.hangar.server.auth;

import dev.hangar.core.job.Job;
import java.util.Objects;

/**
 * Who made a request, as its API token says.
 *
 * @param tenant whose jobs the caller submits and sees; null only for {@link #ANYONE}
 * @param admin  sees every tenant's jobs and may change the warm pools and read the metrics
 */
public record Caller(String tenant, boolean admin) {
    /** Every caller of a server without API tokens: one that sees and may do everything. */
    public static final Caller ANYONE = new Caller(null, true);
    /** A caller without a known token, on a server with tokens: it reaches only what needs none. */
    public static final Caller NOBODY = new Caller(null, false);

    /** Whether this caller may see (and so read, follow or cancel) the job. */
    public boolean sees(Job job) {
        return seesTenant(job.spec().tenant());
    }

    /** Whether this caller may see what is written about a tenant's job (null: no tenant's; an admin sees all). */
    public boolean seesTenant(String jobTenant) {
        return admin || Objects.equals(tenant, jobTenant);
    }
}
