package dev.spotapi.sim.state;

import dev.spotapi.sim.http.Accounts;
import dev.spotapi.sim.AdminException;
import dev.spotapi.sim.DeepMerge;
import dev.spotapi.sim.fleet.GroupFleet;
import dev.spotapi.sim.Limits;
import dev.spotapi.sim.RandomIds;
import dev.spotapi.sim.SimClock;
import dev.spotapi.sim.SimJson;
import dev.spotapi.sim.SpotException;
import dev.spotapi.sim.Timestamps;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Export and import of the whole simulator state as JSON (seed files, {@code GET/PUT/POST /_sim/state}).
 * <pre>
 * {"format": "spot-simulator-state/1", "now": "2026-11-29T20:00:00.000Z",
 *  "accounts": {"act-1234abcd": {"groups": [ENTRY...], "managedInstances": [ENTRY...]}}}
 * </pre>
 * An exported ENTRY is {@code {"object": <the Spot object>, "state": <simulated state>}}; a seed
 * may give the bare Spot object instead (no {@code id} = a new one; no {@code createdAt} = now),
 * and its simulated state is then made as at creation: a group runs its target, an instance is
 * ACTIVE since {@code createdAt}. Top-level {@code "groups"} / {@code "managedInstances"} belong to
 * the first configured account. Objects are validated as on create; an import is all or nothing.
 */
public final class StateSnapshot {
    static final String FORMAT = "spot-simulator-state/1";
    private static final List<ResourceType> TYPES = List.of(GroupType.INSTANCE, ManagedInstanceType.INSTANCE,
            Ec2InstanceType.INSTANCE, MigrationType.INSTANCE, VolumeType.INSTANCE, StatefulInstanceType.INSTANCE);
    private static final Map<String, String> KEYS = Map.of("group", "groups", "managedInstance", "managedInstances",
            "ec2Instance", "ec2Instances", "migration", "migrations", "volume", "volumes", "statefulInstance", "statefulInstances");

    /** One resource to store. */
    record Entry(ResourceType type, String account, StoredResource resource) {
    }

    private final ResourceStore store;
    private final SimClock clock;
    private final Accounts accounts;

    public StateSnapshot(ResourceStore store, SimClock clock, Accounts accounts) {
        this.store = store;
        this.clock = clock;
        this.accounts = accounts;
    }

    /** Everything, every account (accounts without resources too), oldest resources first. */
    public ObjectNode export() {
        ObjectNode root = SimJson.object();
        root.put("format", FORMAT);
        root.put("now", Timestamps.millis(clock.now()));
        ObjectNode all = root.putObject("accounts");
        for (String account : accounts.asMap().keySet()) {
            ObjectNode of = all.putObject(account);
            for (ResourceType type : TYPES) {
                var array = of.putArray(KEYS.get(type.wrapper()));
                for (StoredResource r : store.list(type, account)) {
                    ObjectNode entry = array.addObject();
                    entry.set("object", r.object());
                    entry.set("state", r.state());
                }
            }
        }
        return root;
    }

    /** Reads a seed or snapshot file; an unreadable or invalid file is an {@link AdminException}. */
    public static JsonNode read(Path file) {
        try {
            return SimJson.parse(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new AdminException("cannot read seed file " + file + ": " + e.getMessage());
        }
    }

    /**
     * Loads {@code body}: {@code replace} removes every existing group and instance first, otherwise
     * the entries are added (an id already in use is an error). Moves the clock forward to the
     * snapshot's {@code now} when that is later. Returns the number of resources loaded.
     */
    public int load(JsonNode body, boolean replace) {
        if (body == null || !body.isObject()) {
            throw new AdminException("the state must be a JSON object");
        }
        JsonNode format = body.get("format");
        if (format != null && !FORMAT.equals(format.asText())) {
            throw new AdminException("unknown \"format\" " + format + "; expected \"" + FORMAT + "\"");
        }
        Long snapshotNow = null;
        if (body.hasNonNull("now")) {
            snapshotNow = parseTime(body.get("now"), "now");
        }
        long now = Math.max(clock.now(), snapshotNow == null ? Long.MIN_VALUE : snapshotNow);
        List<Entry> entries = new ArrayList<>();
        String defaultAccount = accounts.asMap().keySet().iterator().next();
        readAccount(body, defaultAccount, "", now, entries, true);
        JsonNode all = body.get("accounts");
        if (all != null && !all.isNull()) {
            if (!all.isObject()) {
                throw new AdminException("\"accounts\" must be an object keyed by account id");
            }
            for (Map.Entry<String, JsonNode> account : all.properties()) {
                if (!accounts.asMap().containsKey(account.getKey())) {
                    throw new AdminException("account " + account.getKey() + " is not configured in this simulator (configured: "
                            + String.join(", ", accounts.asMap().keySet()) + ")");
                }
                if (!account.getValue().isObject()) {
                    throw new AdminException("accounts." + account.getKey() + " must be an object");
                }
                readAccount(account.getValue(), account.getKey(), "accounts." + account.getKey() + ".", now, entries, false);
            }
        }
        Set<String> ids = new HashSet<>();
        for (Entry e : entries) {
            String key = e.type().wrapper() + " " + e.account() + " " + e.resource().id();
            if (!ids.add(key) || (!replace && store.exists(e.type(), e.account(), e.resource().id()))) {
                throw new AdminException("duplicate " + e.type().wrapper() + " id " + e.resource().id() + " in account " + e.account());
            }
        }
        long bytes = 0;
        long instances = 0;
        for (Entry e : entries) {
            ResourceStore.Cost cost = ResourceStore.cost(e.resource());
            bytes += cost.bytes();
            instances += cost.instances();
        }
        try {
            store.requireRoom(new ResourceStore.Cost(bytes, instances), replace);
        } catch (SpotException e) {
            throw new AdminException(e.getMessage());
        }
        if (snapshotNow != null && snapshotNow > clock.now()) {
            clock.set(snapshotNow, null);
        }
        if (replace) {
            store.deleteAll();
        }
        for (Entry e : entries) {
            store.put(e.type(), e.account(), e.resource());
        }
        return entries.size();
    }

    private void readAccount(JsonNode node, String account, String where, long now, List<Entry> out, boolean topLevel) {
        for (ResourceType type : TYPES) {
            String key = KEYS.get(type.wrapper());
            JsonNode list = node.get(key);
            if (list == null || list.isNull()) {
                continue;
            }
            if (!list.isArray()) {
                throw new AdminException(where + key + " must be an array");
            }
            for (int i = 0; i < list.size(); i++) {
                out.add(entry(type, account, list.get(i), where + key + "[" + i + "]", now));
            }
        }
        if (!topLevel) {
            for (Map.Entry<String, JsonNode> field : node.properties()) {
                if (!KEYS.containsValue(field.getKey())) {
                    throw new AdminException(where + field.getKey() + ": unknown key (expected \"groups\", \"managedInstances\")");
                }
            }
        }
    }

    private Entry entry(ResourceType type, String account, JsonNode raw, String where, long now) {
        if (raw == null || !raw.isObject()) {
            throw new AdminException(where + " must be an object");
        }
        boolean wrapped = raw.has("object") && raw.get("object").isObject()
                && raw.properties().stream().allMatch(f -> f.getKey().equals("object") || f.getKey().equals("state"));
        ObjectNode object = SimJson.object();
        DeepMerge.merge(object, (ObjectNode) (wrapped ? raw.get("object") : raw));
        String id = object.path("id").asText(null);
        if (id == null) {
            id = RandomIds.resourceId(type.idPrefix());
        } else if (!Pattern.matches(Pattern.quote(type.idPrefix()) + "[0-9a-z]+", id)) {
            throw new AdminException(where + ".id must look like " + type.idPrefix() + "0a1b2c3d, got " + id);
        }
        long createdAt = object.has("createdAt") ? parseTime(object.get("createdAt"), where + ".createdAt") : now;
        String updatedAt = object.has("updatedAt") ? Timestamps.seconds(parseTime(object.get("updatedAt"), where + ".updatedAt"))
                : Timestamps.seconds(createdAt);
        object.remove(List.of("id", "createdAt", "updatedAt"));
        try {
            type.validate(object);
            Limits.checkObject(type.wrapper(), object);
        } catch (SpotException e) {
            throw new AdminException(where + ": " + e.field() + ": " + e.getMessage());
        }
        ObjectNode stored = SimJson.object();
        stored.put("id", id);
        stored.setAll(object);
        stored.put("createdAt", Timestamps.seconds(createdAt));
        stored.put("updatedAt", updatedAt);
        ObjectNode state;
        if (wrapped && raw.hasNonNull("state")) {
            if (!raw.get("state").isObject()) {
                throw new AdminException(where + ".state must be an object");
            }
            // the parsed body is this import's own: no copy (an import of 4 MiB must not need twice the heap)
            state = (ObjectNode) raw.get("state");
            try {
                type.checkState(state);
            } catch (IllegalArgumentException e) {
                throw new AdminException(where + ".state is not a valid simulator state: " + e.getMessage());
            }
        } else {
            state = type.initialState(stored, createdAt);
        }
        GroupFleet.share(state, new java.util.HashMap<>());
        return new Entry(type, account, new StoredResource(id, stored, state));
    }

    private static long parseTime(JsonNode value, String where) {
        try {
            if (!value.isTextual()) {
                throw new IllegalArgumentException("not a string");
            }
            return Timestamps.parse(value.asText());
        } catch (IllegalArgumentException e) {
            throw new AdminException(where + " must be an ISO-8601 timestamp, got " + value);
        }
    }
}
