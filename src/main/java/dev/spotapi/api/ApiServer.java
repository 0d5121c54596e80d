package dev.spotapi.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spotapi.account.AccountRegistry;
import dev.spotapi.audit.AuditLog;
import dev.spotapi.auth.TokenVerifier;
import dev.spotapi.config.ListenAddress;
import dev.spotapi.elastigroup.ElastigroupService;
import dev.spotapi.instance.InstanceService;
import dev.spotapi.org.OrgGuard;
import dev.spotapi.org.Ownership;
import io.javalin.Javalin;
import java.util.Map;
import io.javalin.json.JavalinJackson;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.server.handler.SizeLimitHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/** Assembles the HTTP server: Jetty settings, access control, routes, error mapping and observation. */
public final class ApiServer {
    /** Everything the HTTP layer needs; built by {@link dev.spotapi.SpotApi}. */
    public record Parts(ListenAddress listen, int maxBodyBytes, long stopTimeoutMs, TokenVerifier verifier,
            AccountRegistry accounts, ElastigroupService groups, InstanceService instances,
            PrometheusMeterRegistry registry, ObjectMapper mapper, Readiness readiness, Ownership ownership) {
    }

    private ApiServer() {
    }

    public static Javalin create(Parts p) {
        Replies replies = new Replies(p.mapper());
        ErrorMapper errors = new ErrorMapper(replies);
        RequestObserver observer = new RequestObserver(p.registry());
        AccountLookup lookup = new AccountLookup(p.accounts());
        RequestBodies bodies = new RequestBodies();
        var table = Routes.table(
                new SystemRoutes(replies, p.registry(), p.readiness()),
                new DocsRoutes(replies, p.mapper()),
                new ElastigroupRoutes(p.groups(), lookup, bodies, replies),
                new InstanceRoutes(p.instances(), lookup, bodies, replies));
        AccessControl access = new AccessControl(p.verifier(), Routes.publicPaths(table), errors);
        OrgGuard orgGuard = new OrgGuard(p.ownership(), Map.of(
                "instance", OrgGuard.instances(InstanceService.INSTANCES),
                "elastigroup", OrgGuard.elastigroups(ElastigroupService.GROUPS)),
                lookup::of, RequestIds::of, p.registry());
        AuditLog audit = new AuditLog(Routes.auditedOperations(table));

        return Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.jsonMapper(new JavalinJackson(p.mapper(), false));
            config.http.prefer405over404 = true;
            config.http.maxRequestSize = p.maxBodyBytes();
            config.jetty.host = p.listen().host();
            config.jetty.port = p.listen().port();
            config.jetty.threadPool = threadPool();
            config.jetty.modifyServer(server -> {
                server.insertHandler(new SizeLimitHandler(p.maxBodyBytes(), -1));
                server.insertHandler(new GracefulHandler());
                server.setStopTimeout(p.stopTimeoutMs());
                server.setErrorHandler(new JettyErrors(p.mapper()));
            });
            config.router.javaLangErrorHandler(errors::fatal);
            config.routes.before(Tracing::before);
            config.routes.before(access::before);
            config.routes.beforeMatched(bodies.checkFirst(Routes.bodyRoutes(table)));
            config.routes.beforeMatched(orgGuard::before);
            config.routes.afterMatched(orgGuard::after);
            config.routes.after(Tracing::after);
            Routes.register(config.routes, table);
            errors.register(config.routes);
            config.routes.after(audit::after);
            config.requestLogger.http(observer::observe);
        });
    }

    private static QueuedThreadPool threadPool() {
        QueuedThreadPool pool = new QueuedThreadPool(64, 4, 60_000);
        pool.setName("http");
        return pool;
    }
}
