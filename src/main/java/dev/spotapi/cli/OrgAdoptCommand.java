package dev.spotapi.cli;

import dev.spotapi.BuildInfo;
import dev.spotapi.config.AccountConfig;
import dev.spotapi.config.ConfigException;
import dev.spotapi.config.ConfigLoader;
import dev.spotapi.config.ServiceConfig;
import dev.spotapi.elastigroup.ElastigroupService;
import dev.spotapi.instance.InstanceService;
import dev.spotapi.json.ExactJson;
import dev.spotapi.org.OrgAdoption;
import dev.spotapi.org.Ownership;
import dev.spotapi.spot.RateBudget;
import dev.spotapi.spot.SpotClient;
import dev.spotapi.spot.SpotException;
import dev.spotapi.spot.SpotHttp;
import dev.spotapi.spot.SpotMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintWriter;
import org.eclipse.jetty.client.HttpClient;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code spot-api org-adopt --config FILE --account NAME [--dry-run]}: lists the elastigroups and
 * managed instances of one account that have no {@code spinup:org} tag and tags them with the config's
 * org, so that they stay visible once {@code orgIsolation} is {@code enforce}. Exit 0 when done, 1 when
 * some resource could not be tagged, 2 for a bad config or account name.
 */
@Command(name = "org-adopt", mixinStandardHelpOptions = true,
        description = "Tag the untagged elastigroups and managed instances of an account with the config's org"
                + " (spinup:org), so they stay visible under orgIsolation: enforce. --dry-run only lists them.")
public class OrgAdoptCommand implements Callable<Integer> {
    @Option(names = {"-config", "--config"}, paramLabel = "FILE", required = true, description = "The service's config file.")
    Path config;

    @Option(names = "--account", paramLabel = "NAME", required = true, description = "The account (a key of accounts).")
    String account;

    @Option(names = "--dry-run", description = "List the untagged resources, change nothing.")
    boolean dryRun;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ServiceConfig cfg;
        try {
            cfg = new ConfigLoader(System.getenv()).load(config);
        } catch (ConfigException e) {
            err.println("spot-api org-adopt: " + e.getMessage());
            return 2;
        }
        AccountConfig accountConfig = cfg.accounts().get(account);
        if (accountConfig == null) {
            err.println("spot-api org-adopt: no account '" + account + "' in " + config + " (accounts: "
                    + String.join(", ", cfg.accounts().keySet()) + ")");
            return 2;
        }
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "org-adopt-retry");
            t.setDaemon(true);
            return t;
        });
        dev.spotapi.shared.SharedState shared = null;
        HttpClient http = null;
        try {
            shared = dev.spotapi.SpotApi.sharedState(cfg); // Redis when configured: the service's write fence
            http = SpotHttp.start(cfg.spot().connectTimeoutMs(), dev.spotapi.SpotTls.needed(cfg));
            SpotClient spot = new SpotClient(account, accountConfig.effectiveEndpoint(), accountConfig.id(),
                    accountConfig.token(), http, cfg.spot(), new SpotMetrics(new SimpleMeterRegistry()), scheduler,
                    SpotClient.replyMapper(), BuildInfo.current().userAgent(),
                    new RateBudget(shared, cfg.spot()));
            OrgAdoption adoption = new OrgAdoption(new Ownership(cfg.org(), true),
                    List.of(ElastigroupService.GROUPS, InstanceService.INSTANCES));
            List<OrgAdoption.Untagged> untagged = adoption.untagged(spot);
            out.printf("account %s: %d resource(s) without a spinup:org tag%n", account, untagged.size());
            int failed = 0;
            int othersImports = (int) untagged.stream().filter(OrgAdoption.Untagged::anotherOrgsImport).count();
            for (OrgAdoption.Untagged u : untagged) {
                String what = u.kind() + " " + u.id() + (u.name().isEmpty() ? "" : " (" + u.name() + ")");
                if (u.anotherOrgsImport()) { // never ours to take: that deployment's keyed retry of the import tags it
                    out.println("  left alone (the in-flight name of another deployment's import): " + what);
                    continue;
                }
                if (dryRun) {
                    out.println("  " + what);
                    continue;
                }
                try {
                    boolean tagged = adoption.adopt(spot, u);
                    out.println((tagged ? "  tagged spinup:org=" + cfg.org() + ": " : "  skipped (tagged meanwhile): ") + what);
                } catch (CompletionException e) {
                    failed++;
                    Throwable cause = e.getCause() == null ? e : e.getCause();
                    String reason = cause instanceof SpotException s ? s.getMessage() : cause.toString();
                    out.println("  FAILED: " + what + ": " + reason);
                }
            }
            out.println(dryRun ? "dry run: nothing changed; run without --dry-run to tag them with spinup:org="
                    + cfg.org() : "done: " + (untagged.size() - failed - othersImports) + " tagged, " + failed + " failed"
                    + (othersImports == 0 ? "" : ", " + othersImports + " left alone (other deployments' imports)"));
            out.flush();
            return failed == 0 ? 0 : 1;
        } catch (CompletionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            err.println("spot-api org-adopt: cannot list the resources of account '" + account + "': " + cause.getMessage());
            return 1;
        } finally {
            scheduler.shutdownNow();
            if (http != null) {
                try {
                    http.stop();
                } catch (Exception e) {
                    err.println("spot-api org-adopt: stopping the HTTP client: " + e); // the answer above stands
                }
            }
            if (shared != null) {
                shared.close();
            }
        }
    }
}
