package dev.spotapi.task;

/**
 * What a task waits for: the Spot object ({@code account} is the configured account name, {@code resource} a
 * {@code smi-} or {@code sig-} id), the kind, the target ({@code ACTIVE} or {@code PAUSED} for an instance's
 * power, else empty), the org of the deployment that started it (a task is only visible to that org), and
 * the absolute deadline (epoch milliseconds).
 */
public record TaskWork(String id, String org, TaskKind kind, String account, String resource, String target,
        long createdAtMillis, long deadlineMillis) {
}
