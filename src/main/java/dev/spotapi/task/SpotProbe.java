package dev.spotapi.task;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.account.Account;
import dev.spotapi.elastigroup.ElastigroupService;
import dev.spotapi.instance.InstanceService;
import dev.spotapi.spot.SpotCall;
import dev.spotapi.spot.SpotException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * One look at Spot's actual state of a task's object, compared with what the task waits for. Reads: a
 * managed instance's status ({@code GET /aws/ec2/managedInstance/{id}/status}, its {@code status} field:
 * PENDING, ACTIVE, PAUSING, PAUSED, RESUMING, RECYCLING, ERROR; contract §9.10), the object itself for a
 * delete (gone = Spot's {@code *_DOESNT_EXIST} or no item), and for a group its capacity
 * ({@code GET /aws/ec2/group/{id}}) and its instances ({@code GET .../status}, {@code status: fulfilled}).
 * Every read goes through the account's Spot client, so it shares the rate budget of interactive callers.
 */
final class SpotProbe {
    /**
     * What was seen: {@code state} is a short description (an event is written when it changes), {@code done}
     * when the target is reached, {@code failure} (not null) when the task must fail with that reason,
     * {@code transientError} when the read failed in a way worth retrying.
     */
    record Observation(String state, boolean done, String failure, boolean transientError, boolean inTransition,
            boolean opposite) {
        Observation(String state, boolean done, String failure, boolean transientError, boolean inTransition) {
            this(state, done, failure, transientError, inTransition, false);
        }

        Observation(String state, boolean done, String failure, boolean transientError) {
            this(state, done, failure, transientError, false);
        }

        static Observation failed(String state, String failure) {
            return new Observation(state, false, failure, false);
        }
    }

    /** The target of a reboot: ACTIVE again after a RECYCLING phase, on a new EC2 instance. */
    static final String RECYCLED = "RECYCLED";

    private SpotProbe() {
    }

    /**
     * @param sawTransition whether this task already saw its instance out of ACTIVE (a reboot then completes on
     *                      the next ACTIVE)
     */
    static CompletableFuture<Observation> look(Account interactive, TaskWork work, boolean sawTransition) {
        // a task's reads are background work: at most half of a route's rate budget (SpotClient#background)
        Account account = new Account(interactive.name(), interactive.config(), interactive.spot().background());
        CompletableFuture<Observation> seen = switch (work.kind()) {
            case INSTANCE_CREATE, INSTANCE_POWER -> instanceStatus(account, work, sawTransition);
            case INSTANCE_DELETE -> gone(account, work, InstanceService.INSTANCES.read(account.spot(), work.resource()),
                    "managed instance");
            case GROUP_DELETE -> gone(account, work, ElastigroupService.GROUPS.read(account.spot(), work.resource()),
                    "elastigroup");
            case GROUP_CREATE, GROUP_POWER, GROUP_CAPACITY, GROUP_SCALE -> groupCapacity(account, work);
            case GROUP_ROLL -> dev.spotapi.elastigroup.Rolls.observe(account, work.resource(), work.target())
                    .thenApply(r -> new Observation(r.state(), r.done(), r.failure(), false));
            case STATEFUL_INSTANCE -> statefulInstance(account, work, sawTransition);
        };
        return seen.exceptionally(SpotProbe::failedRead);
    }

    private static CompletableFuture<Observation> instanceStatus(Account account, TaskWork work, boolean sawTransition) {
        boolean reboot = RECYCLED.equals(work.target());
        String target = work.target() == null || work.target().isEmpty() || reboot ? "ACTIVE" : work.target();
        SpotCall call = SpotCall.get("get managed instance status",
                InstanceService.INSTANCES.path(work.resource()) + "/status");
        return account.spot().send(call).thenApply(reply -> {
            String status = reply.firstItem().map(i -> i.path("status").asText("")).orElse("");
            String state = "managed instance " + work.resource() + " is " + (status.isEmpty() ? "(no status)" : status);
            boolean inTransition = !status.isEmpty() && !status.equalsIgnoreCase(target);
            if (status.equalsIgnoreCase(target)) {
                // a reboot is done once the instance was seen recycling, or runs on an EC2 instance launched
                // after the task began (Spot's launchedAt, LAUNCH_SKEW_MS for clock skew); without launchedAt: at once
                boolean done = !reboot || sawTransition || launchedSince(reply.firstItem().orElse(null),
                        work.createdAtMillis() - LAUNCH_SKEW_MS);
                return new Observation(done ? state : state + " (not recycled yet)", done, null, false, false);
            }
            if (status.equalsIgnoreCase("ERROR") || status.equalsIgnoreCase("FAILED")) {
                return Observation.failed(state, "Spot reports managed instance " + work.resource() + " in state "
                        + status + " (waiting for " + target + ")");
            }
            if (work.kind() == TaskKind.INSTANCE_POWER) {
                Observation undone = undone(state, status, work.target(), "managed instance " + work.resource());
                if (undone != null) {
                    return undone;
                }
            }
            return new Observation(state, false, null, false, inTransition);
        });
    }

    /**
     * How many reads in a row, and over how many poll periods at least ({@link #UNDONE_POLLS}), must find a power
     * task's object in the state it was asked to leave (ACTIVE after a stop, PAUSED after a start) before the task
     * fails as undone. Spot shows the move (PAUSING, RESUMING) soon after accepting it, but how soon is not specified
     * (contract §5.1, §8): a status a few reads late must not fail a change that is under way (attack round 8), so it
     * takes 30 poll periods of the old state (a minute with the default 2 s).
     */
    static final int UNDONE_READS = 3;
    static final int UNDONE_POLLS = 30;

    /**
     * A power task's object moving the other way (RESUMING after a stop, PAUSING after a start: someone changed it
     * back) fails the task at once; resting in the state it was asked to leave is an {@link Observation#opposite}
     * read ({@link #UNDONE_READS} in a row fail it). Null for other states and targets.
     */
    static Observation undone(String state, String status, String target, String what) {
        String back;
        String leftState;
        if ("PAUSED".equals(target)) {
            back = "RESUMING";
            leftState = "ACTIVE";
        } else if ("ACTIVE".equals(target)) {
            back = "PAUSING";
            leftState = "PAUSED";
        } else {
            return null;
        }
        if (status.equalsIgnoreCase(back)) {
            return Observation.failed(state, what + " is " + back + ": a later change undid this one (waiting for "
                    + target + ")");
        }
        if (status.equalsIgnoreCase(leftState)) {
            return new Observation(state, false, null, false, true, true);
        }
        return null;
    }

    /** The target of a deallocation: the stateful instance no longer listed. */
    static final String GONE = "GONE";

    /**
     * A stateful instance of a group (resource {@code sig-.../ssi-...}), from the group's list
     * ({@code GET /aws/ec2/group/{id}/statefulInstance}, OAS {@code listStatefulInstances} {@code state}).
     */
    private static CompletableFuture<Observation> statefulInstance(Account account, TaskWork work, boolean sawTransition) {
        String[] ids = work.resource().split("/", 2);
        String group = ids[0];
        String ssi = ids.length > 1 ? ids[1] : "";
        boolean reboot = RECYCLED.equals(work.target());
        String target = work.target() == null || work.target().isEmpty() || reboot ? "ACTIVE" : work.target();
        SpotCall call = SpotCall.get("list stateful instances", ElastigroupService.GROUPS.path(group) + "/statefulInstance");
        return account.spot().send(call).thenApply(reply -> {
            JsonNode item = null;
            for (JsonNode i : reply.items()) {
                if (ssi.equals(i.path("id").asText())) {
                    item = i;
                }
            }
            String status = item == null ? "" : item.path("state").asText("");
            String state = "stateful instance " + ssi + " is " + (item == null ? "gone" : status);
            if (GONE.equals(target)) {
                boolean done = item == null || status.equalsIgnoreCase("DEALLOCATED");
                return new Observation(state, done, null, false, !done);
            }
            if (item == null) {
                return Observation.failed(state, "stateful instance " + ssi + " of " + group + " no longer exists");
            }
            if (status.equalsIgnoreCase(target)) {
                boolean done = !reboot || sawTransition || launchedSince(item, work.createdAtMillis() - LAUNCH_SKEW_MS);
                return new Observation(done ? state : state + " (not recycled yet)", done, null, false, false);
            }
            if (status.equalsIgnoreCase("ERROR")) {
                return Observation.failed(state, "Spot reports stateful instance " + ssi + " in state ERROR (waiting for "
                        + target + ")");
            }
            if (status.toUpperCase(java.util.Locale.ROOT).startsWith("DEALLOCAT")) {
                // DEALLOCATING leads only to DEALLOCATED (OAS listStatefulInstances.state), which no power change
                // leaves: the task can never end in its target (attack round 12: it waited for its deadline)
                return Observation.failed(state, "stateful instance " + ssi + " of " + group + " is being deallocated"
                        + " or was (waiting for " + target + "): its resources are deleted; it will not reach " + target);
            }
            Observation undone = undone(state, status, work.target(), "stateful instance " + ssi);
            if (undone != null) {
                return undone;
            }
            return new Observation(state, false, null, false, true);
        });
    }

    /**
     * How much earlier than the reboot task's creation Spot's {@code launchedAt} of an instance may be and still count
     * as the recycle's new EC2 instance (clocks of Spot and of this host differ by less). It was 5 s: a reboot of an
     * instance launched 2 s before (a start that just finished) completed at once, while Spot was still recycling it
     * (attack round 14).
     */
    static final long LAUNCH_SKEW_MS = 1_000;

    private static boolean launchedSince(JsonNode item, long sinceMillis) {
        String launched = item == null ? "" : item.path("launchedAt").asText("");
        if (launched.isEmpty()) {
            return true;
        }
        try {
            return java.time.Instant.parse(launched).toEpochMilli() >= sinceMillis;
        } catch (java.time.format.DateTimeParseException e) {
            return true;
        }
    }

    private static CompletableFuture<Observation> gone(Account account, TaskWork work, CompletableFuture<JsonNode> read,
            String noun) {
        return read.handle((object, failure) -> {
            if (failure == null) {
                return new Observation(noun + " " + work.resource() + " still exists", false, null, false);
            }
            if (dev.spotapi.spot.SpotClient.unwrap(failure) instanceof SpotException s && s.kind() == SpotException.Kind.NOT_FOUND) {
                return new Observation(noun + " " + work.resource() + " is deleted", true, null, false);
            }
            throw failure instanceof CompletionException c ? c : new CompletionException(failure);
        });
    }

    private static CompletableFuture<Observation> groupCapacity(Account account, TaskWork work) {
        CompletableFuture<JsonNode> group = ElastigroupService.GROUPS.read(account.spot(), work.resource());
        CompletableFuture<JsonNode> status = account.spot().send(SpotCall.get("get elastigroup status",
                ElastigroupService.GROUPS.path(work.resource()) + "/status")).thenApply(r -> (JsonNode) r.items());
        return group.thenCombine(status, (g, items) -> {
            JsonNode capacity = g.path("capacity");
            int target = capacity.path("target").asInt(0);
            boolean weighted = "weight".equalsIgnoreCase(capacity.path("unit").asText("instance"));
            int fulfilled = 0;
            int other = 0;
            java.util.Map<String, Long> weights = weighted ? weights(g) : java.util.Map.of();
            long fulfilledWeight = 0; // -1 once an instance's type has no weight in the group (its vCPUs count then)
            long lightest = Long.MAX_VALUE; // the smallest weight among the fulfilled instances
            for (JsonNode i : items) {
                if ("fulfilled".equalsIgnoreCase(i.path("status").asText(""))) {
                    fulfilled++;
                    Long w = weights.get(i.path("instanceType").asText(""));
                    fulfilledWeight = w == null || fulfilledWeight < 0 ? -1 : fulfilledWeight + w;
                    lightest = w == null ? lightest : Math.min(lightest, w);
                } else {
                    other++;
                }
            }
            String state = "elastigroup " + work.resource() + ": " + fulfilled + " instance(s) fulfilled"
                    + (other > 0 ? ", " + other + " pending" : "") + ", target " + target
                    + (weighted ? " (weighted)" : "");
            String requested = work.kind() == TaskKind.GROUP_CAPACITY ? work.target() : "";
            if (requested != null && !requested.isEmpty() && !requested.equals(Integer.toString(target))) {
                // another change set another target after this one: what this task waits for will never come
                return Observation.failed(state, "the group's target is now " + target + ", not the " + requested
                        + " this change asked for: a later change superseded it");
            }
            // stopped is 0/0/0 (ElastigroupService's power stop); a started group's restored capacity may have target 0
            boolean stopped = target == 0 && capacity.path("minimum").asInt(0) == 0 && capacity.path("maximum").asInt(0) == 0;
            if (work.kind() == TaskKind.GROUP_POWER && (TaskKind.GROUP_STOPPED.equals(work.target()) ? !stopped
                    : TaskKind.GROUP_STARTED.equals(work.target()) && stopped)) {
                // the opposite power change came after this one (attack round 6: a stop's task completed at the
                // start's capacity, a start's at 0/0/0)
                return Observation.failed(state, "the group was " + (stopped ? "stopped" : "started")
                        + " again after this change: a later change superseded it");
            }
            boolean done = other == 0 && (weighted ? weightFulfilled(target, fulfilled, fulfilledWeight, lightest)
                    : fulfilled == target);
            return new Observation(state, done, null, false);
        });
    }

    /**
     * Whether a group counted in weight (contract §9.6) is at its target: enough weight fulfilled, and no instance
     * more than needed (the weight less the lightest instance below the target). Attack rounds 14 and 15: a target of 8
     * was "completed" with one instance of weight 2 running, a scale-down from 8 to 2 with all four still running.
     * {@code weight} is -1 when a fulfilled instance's type has no weight in the group (its vCPUs count, which spot-api
     * does not know): then all fulfilled and some running (none for target 0) is at the target.
     */
    private static boolean weightFulfilled(int target, int fulfilled, long weight, long lightest) {
        if (target == 0 || weight < 0) {
            return (target == 0) == (fulfilled == 0);
        }
        return weight >= target && weight - lightest < target;
    }

    /** The group's {@code compute.instanceTypes.weights}: instance type → its weighted capacity (≥ 1). */
    private static java.util.Map<String, Long> weights(JsonNode group) {
        java.util.Map<String, Long> out = new java.util.HashMap<>();
        for (JsonNode w : group.path("compute").path("instanceTypes").path("weights")) {
            long capacity = w.path("weightedCapacity").asLong(0);
            if (w.path("instanceType").isTextual() && capacity >= 1) {
                out.put(w.path("instanceType").asText(), capacity);
            }
        }
        return out;
    }

    /**
     * A failed read: Spot's refusal (4xx with its code and message) or the object gone fails the task with
     * Spot's reason; throttling, 5xx, timeouts and connection failures are retried at the next poll.
     */
    private static Observation failedRead(Throwable failure) {
        Throwable cause = dev.spotapi.spot.SpotClient.unwrap(failure);
        if (cause instanceof SpotException s) {
            String reason = "Spot: " + (s.code() == null ? "" : s.code() + ": ") + s.spotMessage();
            return switch (s.kind()) {
                case NOT_FOUND -> Observation.failed("gone", "the object no longer exists in Spot (" + reason + ")");
                case REJECTED, CONFLICT, AUTH_REJECTED -> Observation.failed("refused", reason);
                default -> new Observation("read failed: " + reason, false, null, true);
            };
        }
        return new Observation("read failed: " + cause, false, null, true);
    }

}
