package dev.spotapi.task;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Task meters: {@code spotapi_tasks_total{kind,status}} (tasks that reached each status), the histogram
 * {@code spotapi_task_duration_seconds{kind,status}} (from taken to completed/failed, buckets up to 30 min),
 * {@code spotapi_tasks_claimed_after_crash_total}, {@code spotapi_tasks_reaped_total{kind}}, and the gauges
 * {@code spotapi_tasks_running} (this replica) and {@code spotapi_tasks_open} (not finished, all replicas).
 * Tag values come from {@link TaskKind} and the four statuses: bounded.
 */
final class TaskMetrics {
    private static final Duration[] BUCKETS = {Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(15),
        Duration.ofSeconds(30), Duration.ofMinutes(1), Duration.ofMinutes(2), Duration.ofMinutes(5),
        Duration.ofMinutes(10), Duration.ofMinutes(30)};

    private final MeterRegistry registry;
    private final Counter claimed;

    TaskMetrics(MeterRegistry registry, Supplier<Number> running, Supplier<Number> open) {
        this.registry = registry;
        this.claimed = Counter.builder("spotapi.tasks.claimed.after.crash")
                .description("Tasks taken over from a replica that stopped renewing them").register(registry);
        Gauge.builder("spotapi.tasks.running", running).description("Tasks this replica is running")
                .register(registry);
        Gauge.builder("spotapi.tasks.open", () -> {
            try {
                return open.get();
            } catch (RuntimeException e) {
                return Double.NaN;
            }
        }).description("Tasks not finished (waiting or running)").register(registry);
        for (TaskKind k : TaskKind.values()) {
            for (String s : new String[] {Task.CREATED, Task.RUNNING, Task.COMPLETED, Task.FAILED}) {
                counter(k, s);
            }
            reapedCounter(k);
            durationTimer(k, Task.COMPLETED);
            durationTimer(k, Task.FAILED);
        }
    }

    void status(TaskKind kind, String status) {
        counter(kind, status).increment();
    }

    void finished(TaskKind kind, String status, long nanos) {
        status(kind, status);
        durationTimer(kind, status).record(nanos, TimeUnit.NANOSECONDS);
    }

    private Timer durationTimer(TaskKind kind, String status) {
        return Timer.builder("spotapi.task.duration").description("Time from a task's start to its end")
                .tag("kind", kind.metricName()).tag("status", status)
                .serviceLevelObjectives(BUCKETS).register(registry);
    }

    void claimedAfterCrash() {
        claimed.increment();
    }

    void reaped(TaskKind kind) {
        reapedCounter(kind).increment();
        status(kind, Task.FAILED);
    }

    private Counter reapedCounter(TaskKind kind) {
        return Counter.builder("spotapi.tasks.reaped").description("Tasks failed by the reaper (stale check-in)")
                .tag("kind", kind.metricName()).register(registry);
    }

    private Counter counter(TaskKind kind, String status) {
        return Counter.builder("spotapi.tasks").description("Tasks that reached each status")
                .tag("kind", kind.metricName()).tag("status", status).register(registry);
    }

}
