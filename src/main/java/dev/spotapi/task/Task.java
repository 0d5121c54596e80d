package dev.spotapi.task;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/**
 * A task as flywheel answers it ({@code github.com/YaleSpinup/flywheel} {@code tasks.go} {@code Task}): times
 * are RFC 3339 with nanoseconds, UTC; empty fields are left out ({@code omitempty}); {@code events} are
 * {@code "<RFC3339Nano> <message>"}, oldest first.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonPropertyOrder({"checkin_at", "completed_at", "created_at", "id", "status", "events", "failed_at", "failure"})
public record Task(
        @JsonProperty("id") @JsonInclude(JsonInclude.Include.ALWAYS) String id,
        @JsonProperty("status") @JsonInclude(JsonInclude.Include.ALWAYS) String status,
        @JsonProperty("created_at") String createdAt,
        @JsonProperty("checkin_at") String checkinAt,
        @JsonProperty("completed_at") String completedAt,
        @JsonProperty("failed_at") String failedAt,
        @JsonProperty("failure") String failure,
        @JsonProperty("events") List<String> events) {

    public static final String CREATED = "created";
    public static final String RUNNING = "running";
    public static final String COMPLETED = "completed";
    public static final String FAILED = "failed";

    /** True once completed or failed. */
    public boolean finished() {
        return COMPLETED.equals(status) || FAILED.equals(status);
    }
}
