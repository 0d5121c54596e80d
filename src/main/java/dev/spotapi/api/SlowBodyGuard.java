package dev.spotapi.api;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.EagerContentHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * Slow request bodies never hold a worker thread. Jetty's {@link EagerContentHandler} (placed inside this
 * handler) reads each body asynchronously, on demand, before the request is dispatched to the router; this
 * handler bounds that read in time: the body must arrive within {@code bodyTimeoutMs} of the headers, and
 * from the first second on at an average of at least {@code minBytesPerSecond}. A body that does not is
 * failed with 408, which reaches the handler as an unreadable body (answered 408 JSON by {@link ErrorMapper}).
 */
final class SlowBodyGuard extends Handler.Wrapper {
    private static final long GRACE_MS = 1_000;

    private final long bodyTimeoutMs;
    private final long minBytesPerSecond;

    SlowBodyGuard(long bodyTimeoutMs, long minBytesPerSecond) {
        this.bodyTimeoutMs = bodyTimeoutMs;
        this.minBytesPerSecond = minBytesPerSecond;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        return super.handle(new Guarded(request, getServer().getScheduler()), response, callback);
    }

    /** The request as the eager reader sees it: reads fail with 408 once the body is too late or too slow. */
    private final class Guarded extends Request.Wrapper {
        private final long start = System.nanoTime();
        private final Scheduler scheduler;
        private volatile long bytes;
        private volatile boolean complete;

        Guarded(Request request, Scheduler scheduler) {
            super(request);
            this.scheduler = scheduler;
        }

        @Override
        public Content.Chunk read() {
            Content.Chunk chunk = super.read();
            if (chunk == null) {
                String late = violation();
                return late == null ? null : Content.Chunk.from(new HttpException.RuntimeException(408, late), true);
            }
            if (Content.Chunk.isFailure(chunk)) {
                return chunk;
            }
            bytes += chunk.remaining();
            if (chunk.isLast()) {
                complete = true;
                return chunk;
            }
            String late = violation();
            if (late != null) {
                chunk.release();
                return Content.Chunk.from(new HttpException.RuntimeException(408, late), true);
            }
            return chunk;
        }

        @Override
        public void demand(Runnable onContent) {
            if (complete) {
                super.demand(onContent);
                return;
            }
            AtomicBoolean ran = new AtomicBoolean();
            Runnable once = () -> {
                if (ran.compareAndSet(false, true)) {
                    onContent.run();
                }
            };
            long waitMs = nextCheckMs();
            // the reader goes on with the request: never on the scheduler's single thread
            Scheduler.Task timer = scheduler.schedule(() -> getContext().execute(once), Math.max(1, waitMs),
                    TimeUnit.MILLISECONDS);
            super.demand(() -> {
                timer.cancel();
                once.run();
            });
        }

        private long elapsedMs() {
            return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        }

        /** Why the body is refused now, or null while it is in time. */
        private String violation() {
            long elapsed = elapsedMs();
            if (elapsed > bodyTimeoutMs) {
                return "request body not received within " + bodyTimeoutMs + " ms";
            }
            if (elapsed >= GRACE_MS && bytes * 1000 / elapsed < minBytesPerSecond) {
                return "request body arrives slower than " + minBytesPerSecond + " bytes/s";
            }
            return null;
        }

        /** Milliseconds from now until the body could first be in violation if nothing more arrives. */
        private long nextCheckMs() {
            long elapsed = elapsedMs();
            long tooSlowAt = Math.max(GRACE_MS, bytes * 1000 / Math.max(1, minBytesPerSecond) + 1);
            return Math.min(bodyTimeoutMs + 1, tooSlowAt) - elapsed;
        }
    }
}
