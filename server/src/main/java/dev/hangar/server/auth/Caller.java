package dev.hangar.server.auth;

import dev.hangar.core.job.Job;

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

    /**
     * Whether this caller may see what is written about a tenant's job (null: a job of no tenant).
     * Only an admin sees a job of no tenant: a caller of no tenant that is not one ({@link #NOBODY})
     * sees no job at all.
     */
    public boolean seesTenant(String jobTenant) {
        return admin || (tenant != null && tenant.equals(jobTenant));
    }
}
