package dev.spotapi.cli;

import dev.spotapi.BuildInfo;
import dev.spotapi.SpotApi;
import dev.spotapi.auth.TokenVerifier;
import dev.spotapi.config.AccountConfig;
import dev.spotapi.config.ConfigLoader;
import dev.spotapi.config.ServiceConfig;
import dev.spotapi.config.IdempotencyConfig;
import dev.spotapi.config.TaskConfig;
import dev.spotapi.sim.SpotSimulator;
import java.io.PrintStream;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Zero-config start: the built-in simulator in-process on a loopback port, one account named
 * {@code sandbox} against it, org {@code sandbox}, and a banner telling a newcomer how to call it.
 */
final class Sandbox {
    static final String ACCOUNT = "sandbox";
    /** Fixed so that the simulator's saved state belongs to the same account on every start. */
    static final String SPOT_ACCOUNT_ID = "act-5a4db0c5";
    static final String DEFAULT_LISTEN = "127.0.0.1:8080";
    static final String DEFAULT_VPC = "vpc-0123456789abcdef0";

    private Sandbox() {
    }

    /**
     * A running sandbox: the simulator and the service in front of it; {@code token} is the banner's
     * X-Auth-Token for the sandbox's own key (hashed while the servers start), null when the key came
     * from SPOT_API_TOKEN.
     */
    record Running(SpotSimulator simulator, SpotApi api, ServiceConfig config, SandboxKey key,
                   CompletableFuture<String> token)
            implements AutoCloseable {
        @Override
        public void close() {
            api.close();
            simulator.close();
        }
    }

    /** Starts the sandbox and prints the banner; a shutdown hook stops it. */
    static void serve(Path dir, Path seed, Map<String, String> env, PrintStream out, Path missingConfig) {
        Running running = start(dir, seed, env, DEFAULT_LISTEN);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            running.close();
            BufferedStdoutAppender.flushAll();
        }, "shutdown"));
        banner(out, running, dir, missingConfig);
    }

    /** Starts the simulator (loading {@code seed} when not null) and the service in front of it. */
    static Running start(Path dir, Path seed, Map<String, String> env, String listen) {
        String spotToken = randomSecret();
        SandboxKey key = SandboxKey.resolve(dir, env);
        // bcrypt at cost 10 takes ~80 ms: done beside the servers' start rather than after it
        CompletableFuture<String> token = ConfigLoader.ENV_TOKEN.equals(key.origin()) ? null
                : CompletableFuture.supplyAsync(() -> TokenVerifier.hash(key.value(), 10));
        SpotSimulator simulator = SpotSimulator.builder()
                .bind("127.0.0.1")
                .port(0)
                .dataDir(dir.resolve("simulator"))
                .account(SPOT_ACCOUNT_ID, spotToken)
                .seed(seed)
                .start();
        try {
            ServiceConfig config = ConfigLoader.validate(new ConfigLoader(env).applyEnvironment(new ServiceConfig(
                    listen,
                    Map.of(ACCOUNT, new AccountConfig("us-east-1", SPOT_ACCOUNT_ID, spotToken, DEFAULT_VPC,
                            simulator.baseUrl())),
                    key.value(), "info", "text", ACCOUNT, 0, null))
                    // async tasks survive restarts of the sandbox (without Redis they live in this process)
                    .withTasks(TaskConfig.DEFAULTS.withStateFile(dir.resolve("tasks.json").toString()))
                    // so do Idempotency-Key records: a keyed action retried after a restart is replayed, not run again
                    .withIdempotency(IdempotencyConfig.DEFAULTS.withStateFile(dir.resolve("idempotency.jsonl").toString())));
            Logging.apply(config);
            SpotApi api = SpotApi.start(config);
            StartupWarmup.serving();
            return new Running(simulator, api, config, key, token);
        } catch (RuntimeException e) {
            simulator.close();
            throw e;
        }
    }

    private static void banner(PrintStream out, Running running, Path dir, Path missingConfig) {
        ServiceConfig config = running.config();
        SpotSimulator simulator = running.simulator();
        int port = running.api().port();
        SandboxKey key = running.key();
        String host = config.listenAddress().startsWith(":") ? "127.0.0.1"
                : config.listenAddress().substring(0, config.listenAddress().lastIndexOf(':'));
        String base = "http://" + host + ":" + port + "/v1/spot";
        out.println("spot-api " + BuildInfo.current().version() + " in sandbox mode"
                + (missingConfig == null ? "" : " (no config file at " + missingConfig + ")"));
        out.println("  Spot simulator : " + simulator.baseUrl() + " (state in " + dir.resolve("simulator") + ")");
        out.println("  Base URL       : " + base);
        out.println("  Account        : " + ACCOUNT);
        out.println("  Docs           : " + base + "/docs  (OpenAPI: " + base + "/openapi.json)");
        if (!ConfigLoader.ENV_TOKEN.equals(key.origin())) {
            // the sandbox's own key (kept in its directory): showing it and a token for it is how a newcomer learns it
            String token = running.token().join();
            out.println("  Pre-shared key : " + key.value() + "  (" + (key.made() ? "generated now" : "from an earlier start")
                    + ", kept in " + key.origin() + "; set " + ConfigLoader.ENV_TOKEN + " to choose one)");
            out.println("  X-Auth-Token   : " + token);
            out.println("  Try it         : curl -s -H 'X-Auth-Token: " + token + "' " + base + "/" + ACCOUNT + "/instances");
            out.println("  In your shell  : export B=" + base + " T='" + token + "' S=" + simulator.baseUrl());
        } else {
            // the operator chose the key: never echo it, nor a hash of it (the hash is itself a credential)
            out.println("  Pre-shared key : from " + ConfigLoader.ENV_TOKEN + " (not shown)");
            out.println("  X-Auth-Token   : make one with: ./spot-api hash-token \"$" + ConfigLoader.ENV_TOKEN + "\"");
            out.println("  Try it         : curl -s -H \"X-Auth-Token: $(./spot-api hash-token \"$"
                    + ConfigLoader.ENV_TOKEN + "\")\" " + base + "/" + ACCOUNT + "/instances");
            out.println("  In your shell  : export B=" + base + " T=\"$(./spot-api hash-token \"$"
                    + ConfigLoader.ENV_TOKEN + "\")\" S=" + simulator.baseUrl());
        }
        out.flush();
    }

    private static String randomSecret() {
        byte[] bytes = new byte[18];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
