package dev.hangar.cli;

import dev.hangar.core.job.JobSpecValidator;
import dev.hangar.server.auth.ApiTokens;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hangar token --tenant T}: a new API token, and the line that lets a server accept it. */
@Command(name = "token", description = "Make a new API token for a tenant: prints the token (give it to the tenant)"
        + " and the line to add to the server's --tokens file (it holds the token's SHA-256, not the token).")
final class TokenCommand implements Callable<Integer> {
    @Option(names = "--tenant", required = true, description = "Whose token it is: lower-case letters, digits and dashes")
    String tenant;

    @Option(names = "--admin", description = "An admin token: sees every tenant's jobs, changes warm pools, reads /metrics")
    boolean admin;

    @Override
    public Integer call() {
        if (!JobSpecValidator.TENANT.matcher(tenant).matches()) {
            throw new IllegalArgumentException("--tenant: " + JobSpecValidator.TENANT_RULE + ", got '" + tenant + "'");
        }
        String token = ApiTokens.newToken();
        System.out.println("token: " + token);
        System.out.println("tokens file line: " + tenant + " " + ApiTokens.hashed(token) + (admin ? " admin" : ""));
        return 0;
    }
}
