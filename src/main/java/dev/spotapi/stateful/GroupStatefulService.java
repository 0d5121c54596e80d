package dev.spotapi.stateful;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.spotapi.account.Account;
import dev.spotapi.elastigroup.ElastigroupService;
import dev.spotapi.power.PowerState;
import dev.spotapi.spot.SpotCall;
import dev.spotapi.spot.SpotException;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Stateful instances of an elastigroup (OAS {@code /aws/ec2/group/{groupId}/statefulInstance...}): list,
 * pause/resume/recycle, deallocate, delete of one volume. The group's org is checked before (OrgGuard, by the
 * {@code {elastigroup}} route parameter); Spot's 400 for a stateful instance in the wrong state for the
 * action (already paused, not paused, paused when a recycle needs it running, an action in progress)
 * becomes a CONFLICT.
 */
public final class GroupStatefulService {
    /** Spot's codes (simulator: {@code STATEFUL_INSTANCE_*}) for "not in a state for this". */
    static final Set<String> STATE_CONFLICT_CODES = Set.of("STATEFUL_INSTANCE_ALREADY_PAUSED",
            "STATEFUL_INSTANCE_NOT_PAUSED", "STATEFUL_INSTANCE_NOT_ACTIVE", "STATEFUL_INSTANCE_ACTION_IN_PROGRESS");

    private static String base(String group) {
        return ElastigroupService.GROUPS.path(group) + "/statefulInstance";
    }

    /** Spot's stateful instance items (OAS {@code listStatefulInstances}): id, instanceId, privateIp, state, devices... */
    public CompletableFuture<ArrayNode> list(Account account, String group) {
        return list(account.spot(), group);
    }

    private static CompletableFuture<ArrayNode> list(dev.spotapi.spot.SpotClient spot, String group) {
        return spot.send(SpotCall.get("list stateful instances", base(group))).thenApply(reply -> {
            ArrayNode out = JsonNodeFactory.instance.arrayNode();
            reply.items().forEach(out::add);
            return out;
        });
    }

    /**
     * stop = pause, start = resume, reboot = recycle ({@code PUT .../statefulInstance/{id}/<action>}), idempotent as
     * a managed instance's power ({@link dev.spotapi.power.PowerPlan}, from the state the group's list shows, OAS
     * {@code listStatefulInstances.state}): already there or moving there succeeds with no call; moving the other way
     * is 409 with Retry-After; Spot's "already paused/active" after a race is a success (attack round 6: a scheduler's
     * nightly stop of a paused stateful instance was a 409).
     */
    public CompletableFuture<Void> power(Account account, String group, String statefulInstance, PowerState state) {
        // inside the group's write fence (a stateful instance's writes are the group's): see InstanceService#power
        return account.spot().exclusive(ElastigroupService.GROUPS.path(group), state.word() + " stateful instance",
                spot -> power(spot, group, statefulInstance, state));
    }

    private static CompletableFuture<Void> power(dev.spotapi.spot.SpotClient spot, String group, String statefulInstance,
            PowerState state) {
        return ofGroup(spot, group, statefulInstance).thenCompose(item -> {
            String status = item.path("state").asText(null);
            if (deallocating(status)) { // it will never be paused, resumed or recycled again: no retry helps
                return CompletableFuture.<Void>failedFuture(new SpotException(SpotException.Kind.CONFLICT,
                        state.word() + " stateful instance", 0, null, "stateful instance '" + statefulInstance + "' is "
                        + status + ": its resources are being or have been deleted", null, null, false));
            }
            return switch (dev.spotapi.power.PowerPlan.forInstance(state, status)) {
                case ALREADY, UNDER_WAY -> CompletableFuture.<Void>completedFuture(null);
                case OPPOSITE -> CompletableFuture.<Void>failedFuture(new SpotException(SpotException.Kind.IN_PROGRESS,
                        state.word() + " stateful instance", 0, null, "stateful instance '" + statefulInstance + "' is "
                        + status + ": retry when the transition is over", null,
                        dev.spotapi.power.PowerPlan.TRANSITION_RETRY_AFTER, false));
                case ACT -> send(spot, group, statefulInstance, state.spotAction()).exceptionallyCompose(failure -> {
                    Throwable cause = dev.spotapi.spot.SpotClient.unwrap(failure);
                    return cause instanceof SpotException s && dev.spotapi.power.PowerPlan.alreadyThere(state, s.code())
                            ? CompletableFuture.completedFuture(null) : CompletableFuture.failedFuture(cause);
                });
            };
        });
    }

    /**
     * Deletes every resource of the stateful instance: network interface, snapshots, volumes ({@code .../deallocate}),
     * inside the group's write fence as power is. Repeated while the group's list shows it deallocating or deallocated
     * (OAS {@code listStatefulInstances.state}: DEALLOCATE, DEALLOCATING, DEALLOCATED), it succeeds with no call, as a
     * repeated power request does (attack round 21: 409 "retry", then a bare 404).
     */
    public CompletableFuture<Void> deallocate(Account account, String group, String statefulInstance) {
        return account.spot().exclusive(ElastigroupService.GROUPS.path(group), "deallocate stateful instance",
                spot -> ofGroup(spot, group, statefulInstance).thenCompose(member ->
                        deallocating(member.path("state").asText(null)) ? CompletableFuture.<Void>completedFuture(null)
                                : send(spot, group, statefulInstance, "deallocate")));
    }

    /** Whether Spot's {@code state} of a stateful instance is a deallocation under way or done (any case). */
    static boolean deallocating(String state) {
        if (state == null) {
            return false;
        }
        String s = state.trim().toUpperCase(java.util.Locale.ROOT);
        return s.equals("DEALLOCATE") || s.equals("DEALLOCATING") || s.equals("DEALLOCATED");
    }

    /**
     * Deletes one volume of a PAUSED stateful instance ({@code DELETE .../statefulInstance/{id}/volume/{volumeId}}):
     * only a volume among the instance's {@code devices} (the same list read): another one (another org's) is a
     * NOT_FOUND before anything is written, whether Spot checks the pairing or not (attack round 6). An instance
     * the list shows in another state is refused before anything is written too (attack round 16: the delete was
     * sent and only Spot's own check kept the volume): IN_PROGRESS (409, Retry-After) while a pause, resume or
     * recycle is under way, CONFLICT (409) otherwise. The read and the delete run inside the group's write fence,
     * as power does: a resume still open at Spot is answered before the state is read.
     */
    public CompletableFuture<Void> deleteVolume(Account account, String group, String statefulInstance, String volume) {
        return account.spot().exclusive(ElastigroupService.GROUPS.path(group), "delete stateful instance volume",
                spot -> ofGroup(spot, group, statefulInstance).thenCompose(member -> {
                    if (!hasVolume(member, volume)) {
                        return CompletableFuture.failedFuture(new SpotException(SpotException.Kind.NOT_FOUND,
                                "find stateful instance volume", 200, null, "volume '" + volume + "' does not exist"
                                        + " on stateful instance '" + statefulInstance + "'", null, null, false));
                    }
                    String state = member.path("state").asText("");
                    if (!state.isEmpty() && !state.equalsIgnoreCase("PAUSED")) {
                        boolean passing = dev.spotapi.power.PowerPlan.inTransition(state);
                        return CompletableFuture.failedFuture(new SpotException(passing
                                ? SpotException.Kind.IN_PROGRESS : SpotException.Kind.CONFLICT,
                                "delete stateful instance volume", 0, null, "stateful instance '" + statefulInstance
                                        + "' is " + state + ": it must be paused to delete one of its volumes"
                                        + (passing ? " (retry when the transition is over)" : ""), null,
                                passing ? dev.spotapi.power.PowerPlan.TRANSITION_RETRY_AFTER : null, false));
                    }
                    return conflicts(spot.send(SpotCall.delete("delete stateful instance volume",
                            base(group) + "/" + statefulInstance + "/volume/" + volume, null).withoutItems()));
                }));
    }

    private static boolean hasVolume(com.fasterxml.jackson.databind.JsonNode member, String volume) {
        for (var device : member.path("devices")) {
            if (volume.equals(device.path("volumeId").asText(null))) {
                return true;
            }
        }
        return false;
    }

    private static CompletableFuture<Void> send(dev.spotapi.spot.SpotClient spot, String group, String statefulInstance,
            String action) {
        return conflicts(spot.send(SpotCall.put(action + " stateful instance",
                base(group) + "/" + statefulInstance + "/" + action, null).withoutItems()));
    }

    /**
     * The item of {@code statefulInstance} when it is one of {@code group}'s (its list, one Spot read), else fails
     * with NOT_FOUND before anything is written: the group's org is checked by the route, so an instance of
     * another group (another org's) must never be reached through it, whether Spot checks the pairing or not.
     */
    private CompletableFuture<com.fasterxml.jackson.databind.JsonNode> ofGroup(Account account, String group,
            String statefulInstance) {
        return ofGroup(account.spot(), group, statefulInstance);
    }

    private static CompletableFuture<com.fasterxml.jackson.databind.JsonNode> ofGroup(dev.spotapi.spot.SpotClient spot,
            String group, String statefulInstance) {
        return list(spot, group).thenApply(items -> {
            for (var item : items) {
                if (statefulInstance.equals(item.path("id").asText())) {
                    return item;
                }
            }
            throw new CompletionException(new SpotException(SpotException.Kind.NOT_FOUND, "find stateful instance",
                    200, null, "stateful instance '" + statefulInstance + "' does not exist in elastigroup '" + group
                            + "'", null, null, false));
        });
    }

    private static CompletableFuture<Void> conflicts(CompletableFuture<?> call) {
        return call.handle((reply, failure) -> {
            if (failure == null) {
                return null;
            }
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            if (cause instanceof SpotException s && s.kind() == SpotException.Kind.REJECTED && s.code() != null
                    && STATE_CONFLICT_CODES.contains(s.code())) {
                // an action under way passes by itself: 409 with Retry-After, as for a managed instance
                throw s.code().endsWith("_ACTION_IN_PROGRESS")
                        ? s.as(SpotException.Kind.IN_PROGRESS, dev.spotapi.power.PowerPlan.TRANSITION_RETRY_AFTER)
                        : s.as(SpotException.Kind.CONFLICT);
            }
            throw failure instanceof CompletionException c ? c : new CompletionException(failure);
        });
    }
}
