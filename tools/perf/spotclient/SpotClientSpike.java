import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * CPU per GET of one HTTP client against one URL (issue 27, tools/perf/spot-client.sh): {@code jdk} is
 * java.net.http.HttpClient as spot-api configured it before (HTTP/1.1, a fixed executor of 4 threads,
 * sendAsync, the body into a byte array); {@code jetty} is Jetty's client (one selector, a small thread pool,
 * the body buffered). 16 requests stay in flight; each completion sends the next.
 * Args: MODE URL WARMUP_S MEASURE_S ROUNDS. Prints per round: req/s and CPU µs per request of this process.
 */
public class SpotClientSpike {
    static final AtomicLong done = new AtomicLong();
    static volatile boolean stop;

    public static void main(String[] a) throws Exception {
        String mode = a[0], url = a[1];
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        Runnable[] next = new Runnable[1];
        if (mode.equals("jdk")) {
            java.net.http.HttpClient c = java.net.http.HttpClient.newBuilder()
                    .executor(Executors.newFixedThreadPool(4)).version(java.net.http.HttpClient.Version.HTTP_1_1).build();
            next[0] = () -> {
                if (stop) return;
                HttpRequest r = HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer perftoken")
                        .header("Accept", "application/json").timeout(Duration.ofSeconds(10)).GET().build();
                c.sendAsync(r, HttpResponse.BodyHandlers.ofByteArray()).handle((resp, t) -> {
                    if (t != null) t.printStackTrace();
                    done.incrementAndGet();
                    next[0].run();
                    return null;
                });
            };
        } else {
            org.eclipse.jetty.util.thread.QueuedThreadPool tp = new org.eclipse.jetty.util.thread.QueuedThreadPool(8, 2);
            org.eclipse.jetty.client.HttpClient c = new org.eclipse.jetty.client.HttpClient(
                    new org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP(1));
            c.setExecutor(tp);
            c.start();
            next[0] = () -> {
                if (stop) return;
                c.newRequest(url).headers(h -> h.put("Authorization", "Bearer perftoken").put("Accept", "application/json"))
                        .timeout(10, TimeUnit.SECONDS)
                        .send(new org.eclipse.jetty.client.BufferingResponseListener(4 << 20) {
                            @Override
                            public void onComplete(org.eclipse.jetty.client.Result result) {
                                if (result.isFailed()) result.getFailure().printStackTrace();
                                CompletableFuture.completedFuture(getContent()).thenApply(b -> b.length);
                                done.incrementAndGet();
                                next[0].run();
                            }
                        });
            };
        }
        for (int i = 0; i < 16; i++) next[0].run();
        Thread.sleep(Long.parseLong(a[2]) * 1000);
        for (int round = 0; round < Integer.parseInt(a[4]); round++) {
            long n0 = done.get(), c0 = os.getProcessCpuTime(), t0 = System.nanoTime();
            Thread.sleep(Long.parseLong(a[3]) * 1000);
            long n1 = done.get(), c1 = os.getProcessCpuTime(), t1 = System.nanoTime();
            System.out.printf("%-5s %6.0f req/s  CPU %5.1f µs/req%n", mode, (n1 - n0) * 1e9 / (t1 - t0),
                    (c1 - c0) / 1e3 / (n1 - n0));
        }
        stop = true;
        System.exit(0);
    }
}
