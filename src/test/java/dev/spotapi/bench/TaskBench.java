package dev.spotapi.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spotapi.auth.TokenVerifier;
import dev.spotapi.sim.SpotSimulator;
import dev.spotapi.support.ChildJvm;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;

/**
 * The task scenario of the benchmark (issue 21), run by {@code bench/tasks.sh}: spot-api in its own JVM (the
 * service's JIT and GC flags, from a config file) in front of an in-process simulator. N async creates
 * ({@code Prefer: respond-async}) are sent while Spot reports every instance PENDING (a simulator fault on
 * the status route), so all N tasks are in flight at once; then the heap after a full GC, RSS and CPU of
 * the service are read. The fault is removed at T0 (Spot "reaches" ACTIVE for all of them at once) and
 * every task is polled until completed: the lag {@code completed_at - T0} (p50/p99/max) is the time from
 * Spot reaching the state to the task saying completed.
 *
 * <p>Arguments: {@code [tasks=1000] [pollMs=500]}. Prints a Markdown block on standard error (standard output
 * carries the simulator's access log).
 */
public final class TaskBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "bench-pre-shared-key";
    private static final String ACCOUNT_ID = "act-bench001";
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private TaskBench() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        long pollMs = args.length > 1 ? Long.parseLong(args[1]) : 500;
        String token = TokenVerifier.hash(KEY, 4);
        Path dir = Files.createTempDirectory("task-bench");
        try (SpotSimulator sim = SpotSimulator.builder().port(0).transitionDuration(Duration.ZERO)
                .account(ACCOUNT_ID, "bench-spot-token").start()) {
            int port = freePort();
            Path config = dir.resolve("config.json");
            Files.writeString(config, """
                    {"listenAddress": "127.0.0.1:%d", "token": "%s", "logLevel": "warn", "org": "bench",
                     "accounts": {"bench": {"region": "us-east-1", "id": "%s", "token": "bench-spot-token",
                                            "defaultVPC": "vpc-0123", "endpoint": "%s"}},
                     "tasks": {"pollMs": %d, "maxRunning": %d, "maxQueue": %d}}"""
                    .formatted(port, KEY, ACCOUNT_ID, sim.baseUrl(), pollMs, n + 100, 2 * n + 200));
            List<String> command = new ArrayList<>(ChildJvm.command("256m"));
            command.addAll(List.of("dev.spotapi.cli.Main", "-config", config.toString()));
            Process service = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("service.log").toFile()).start();
            try {
                String base = "http://127.0.0.1:" + port + "/v1/spot";
                awaitUp(base);
                long pid = service.pid();

                // one request first: the token is verified (bcrypt) once and cached before the bursts
                createAll(base, token, 1);
                // warm-up: the code paths once, unmeasured
                completeAll(base, token, createAll(base, token, 200), Instant.now());

                Stats before = Stats.of(pid, base);
                admin(sim, "POST", "/_sim/faults", pendingFault());
                long sendStart = System.nanoTime();
                List<String> ids = createAll(base, token, n);
                double sendSeconds = (System.nanoTime() - sendStart) / 1e9;
                Thread.sleep(3 * pollMs + 1_000); // every task has polled and seen PENDING
                long running = metricValue(base, "spotapi_tasks_running");
                Stats inFlight = Stats.of(pid, base);

                Instant t0 = Instant.now();
                admin(sim, "DELETE", "/_sim/faults", null);
                List<Long> lags = completeAll(base, token, ids, t0);
                Stats after = Stats.of(pid, base);

                Collections.sort(lags);
                System.err.printf("""
                        ### Tasks: %d async creates in flight (pollMs %d)

                        | figure | value |
                        | --- | --- |
                        | async creates sent (202), 32 at a time | %d in %.1f s |
                        | tasks running at once (spotapi_tasks_running) | %d |
                        | heap after full GC: before → all in flight | %.1f MiB → %.1f MiB (%.1f KiB per task) |
                        | RSS: before → all in flight → after | %.0f MiB → %.0f MiB → %.0f MiB |
                        | service CPU, creates + %d s of polling PENDING | %.2f s (%.2f ms per task) |
                        | service CPU, completion (T0 → all completed) | %.2f s |
                        | lag Spot ACTIVE (T0) → task completed: p50 / p99 / max | %d / %d / %d ms |
                        """, n, pollMs, n, sendSeconds, running,
                        before.heapMiB, inFlight.heapMiB, (inFlight.heapMiB - before.heapMiB) * 1024 / n,
                        before.rssMiB, inFlight.rssMiB, after.rssMiB,
                        (3 * pollMs + 1_000) / 1000, inFlight.cpuSeconds - before.cpuSeconds,
                        (inFlight.cpuSeconds - before.cpuSeconds) * 1000 / n,
                        after.cpuSeconds - inFlight.cpuSeconds,
                        percentile(lags, 50), percentile(lags, 99), lags.get(lags.size() - 1));
            } finally {
                service.destroy();
                service.waitFor();
            }
        }
    }

    private static String pendingFault() {
        String body = "{\"request\":{\"id\":\"r-1\",\"url\":\"/\",\"method\":\"GET\",\"timestamp\":\"2026-01-01T00:00:00.000Z\"},"
                + "\"response\":{\"status\":{\"code\":200,\"message\":\"OK\"},\"kind\":\"spotinst:aws:ec2:managedInstanceStatus\","
                + "\"items\":[{\"status\":\"PENDING\"}],\"count\":1}}";
        return "{\"method\":\"GET\",\"path\":\"/aws/ec2/managedInstance/*/status\",\"action\":\"json\",\"body\":" + body + "}";
    }

    /** {@code n} async creates, 32 at a time; answers the task ids. */
    private static List<String> createAll(String base, String token, int n) throws Exception {
        String body = "{\"name\":\"bench\",\"region\":\"us-east-1\",\"compute\":{\"subnetIds\":[\"subnet-0123\"],"
                + "\"launchSpecification\":{\"instanceTypes\":{\"preferredType\":\"t3a.micro\",\"types\":[\"t3a.micro\"]},"
                + "\"imageId\":\"ami-0123\"}}}";
        Semaphore window = new Semaphore(32);
        List<CompletableFuture<String>> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            window.acquire();
            HttpRequest r = HttpRequest.newBuilder(URI.create(base + "/bench/instances")).timeout(Duration.ofSeconds(60))
                    .header("X-Auth-Token", token).header("Prefer", "respond-async")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build();
            all.add(HTTP.sendAsync(r, HttpResponse.BodyHandlers.ofString()).whenComplete((x, e) -> window.release())
                    .thenApply(resp -> {
                        if (resp.statusCode() != 202) {
                            throw new IllegalStateException("create answered " + resp.statusCode() + ": " + resp.body());
                        }
                        return resp.headers().firstValue("X-Flywheel-Task").orElseThrow();
                    }));
        }
        List<String> ids = new ArrayList<>();
        for (CompletableFuture<String> f : all) {
            ids.add(f.join());
        }
        return ids;
    }

    /** Polls until every task completed (at most 120 s); answers completed_at - t0 of each, in ms. */
    private static List<Long> completeAll(String base, String token, List<String> ids, Instant t0) throws Exception {
        List<String> open = new ArrayList<>(ids);
        List<Long> lags = new ArrayList<>();
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (!open.isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(open.size() + " tasks not completed after 120 s");
            }
            List<String> still = new ArrayList<>();
            for (int i = 0; i < open.size(); i += 100) {
                List<String> batch = open.subList(i, Math.min(open.size(), i + 100));
                StringBuilder q = new StringBuilder();
                batch.forEach(id -> q.append(q.length() == 0 ? "?" : "&").append("task=").append(id));
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/flywheel" + q))
                        .header("X-Auth-Token", token).build(), HttpResponse.BodyHandlers.ofString());
                JsonNode tasks = JSON.readTree(r.body());
                for (String id : batch) {
                    JsonNode t = tasks.path(id);
                    String status = t.path("status").asText();
                    if (status.equals("completed")) {
                        lags.add(Duration.between(t0, Instant.parse(t.path("completed_at").asText())).toMillis());
                    } else if (status.equals("failed")) {
                        throw new IllegalStateException("task failed: " + t);
                    } else {
                        still.add(id);
                    }
                }
            }
            open = still;
            if (!open.isEmpty()) {
                Thread.sleep(100);
            }
        }
        return lags;
    }

    private static long percentile(List<Long> sorted, int p) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }

    /** The service's heap after a full GC (jcmd GC.run, then /metrics), RSS and CPU time so far. */
    private record Stats(double heapMiB, double rssMiB, double cpuSeconds) {
        static Stats of(long pid, String base) throws Exception {
            new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    Long.toString(pid), "GC.run").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start().waitFor();
            double heap = 0;
            for (String line : HTTP.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body().split("\n")) {
                if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
                    heap += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
            double rss = 0;
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = Double.parseDouble(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
            String[] stat = Files.readString(Path.of("/proc/" + pid + "/stat")).split("\\) ")[1].split(" ");
            double cpu = (Long.parseLong(stat[11]) + Long.parseLong(stat[12])) / 100.0; // utime + stime, clock ticks
            return new Stats(heap / 1048576, rss, cpu);
        }
    }

    private static long metricValue(String base, String name) throws Exception {
        for (String line : HTTP.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body().split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return -1;
    }

    private static void admin(SpotSimulator sim, String method, String path, String body) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException(method + " " + path + ": " + r.statusCode() + " " + r.body());
        }
    }

    private static void awaitUp(String base) throws Exception {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            try {
                if (HTTP.send(HttpRequest.newBuilder(URI.create(base + "/ping")).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("spot-api did not start");
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
