package dev.spotapi.sim.state;

import dev.spotapi.sim.fleet.GroupFleet;
import dev.spotapi.sim.Limits;
import dev.spotapi.sim.persistence.Persistence;
import dev.spotapi.sim.RandomIds;
import dev.spotapi.sim.SimJson;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * All groups and managed instances, per account, in memory; with a data dir every change is also
 * written through to {@link Persistence} before the call returns. Changes to one object are
 * serialised by {@link ConcurrentHashMap#compute}, so two concurrent updates never lose each other.
 * Holds the simulator's memory budget: every create, update and import that would take the stored JSON
 * past {@link Limits#MAX_STORED_BYTES} or the groups' instances past {@link Limits#MAX_FLEET_INSTANCES}
 * is refused with {@link Limits#full}; what was saved before the limits is loaded only as far as it fits.
 */
public final class ResourceStore {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ResourceStore.class);

    private record Scope(String type, String account) {
    }

    /** What one stored resource costs: its JSON bytes (object and state) and its running instances. */
    public record Cost(long bytes, long instances) {
        static final Cost NONE = new Cost(0, 0);
    }

    private final Persistence persistence;
    private final ConcurrentHashMap<Scope, ConcurrentHashMap<String, StoredResource>> tables = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Cost> costs = new ConcurrentHashMap<>();
    private final Object budget = new Object();
    private long storedBytes;
    private long fleetInstances;

    public ResourceStore(Persistence persistence) {
        this.persistence = persistence;
        Map<String, JsonNode> shared = new java.util.HashMap<>();
        for (Persistence.Row row : persistence.loadAll()) {
            if (GroupType.INSTANCE.wrapper().equals(row.type())) {
                GroupFleet.share(row.resource().state(), shared);
            }
            String refusal = loadRefusal(row);
            if (refusal == null) {
                Cost cost = cost(row.resource());
                synchronized (budget) {
                    if (storedBytes + cost.bytes() > Limits.MAX_STORED_BYTES) {
                        refusal = "its " + cost.bytes() + " bytes do not fit the budget of " + Limits.MAX_STORED_BYTES;
                    } else if (fleetInstances + cost.instances() > Limits.MAX_FLEET_INSTANCES) {
                        refusal = "its " + cost.instances() + " instances do not fit the fleet budget of "
                                + Limits.MAX_FLEET_INSTANCES;
                    } else {
                        storedBytes += cost.bytes();
                        fleetInstances += cost.instances();
                    }
                }
                if (refusal == null) {
                    costs.put(key(row.type(), row.account(), row.resource().id()), cost);
                    table(row.type(), row.account()).put(row.resource().id(), row.resource());
                    continue;
                }
            }
            persistence.quarantine(row.type(), row.account(), row.resource().id(), refusal);
        }
        LOG.debug("loaded {} bytes of state, {} group instances", storedBytes, fleetInstances);
    }

    /** Why a saved row may not be loaded (a group past the capacity cap), or null. */
    private static String loadRefusal(Persistence.Row row) {
        if (!GroupType.INSTANCE.wrapper().equals(row.type())) {
            return null;
        }
        JsonNode capacity = row.resource().object().path("capacity");
        for (String field : List.of("maximum", "target")) {
            if (capacity.path(field).asLong(0) > Limits.MAX_GROUP_CAPACITY) {
                return "capacity." + field + " is above " + Limits.MAX_GROUP_CAPACITY;
            }
        }
        if (row.resource().state().path("instances").size() > Limits.MAX_GROUP_CAPACITY) {
            return "it runs more than " + Limits.MAX_GROUP_CAPACITY + " instances";
        }
        return null;
    }

    /** The cost of {@code r}: JSON bytes of object and state, and the instances of a group's fleet. */
    static Cost cost(StoredResource r) {
        return new Cost((long) SimJson.bytes(r.object()).length + SimJson.bytes(r.state()).length,
                r.state().path("instances").size());
    }

    /** Bytes and instances stored now (for {@code /_sim/health} and tests). */
    public Cost total() {
        synchronized (budget) {
            return new Cost(storedBytes, fleetInstances);
        }
    }

    /**
     * Throws {@link Limits#full} unless resources costing {@code adding} fit, after removing everything
     * first when {@code replacing} (an import's check before it changes anything).
     */
    void requireRoom(Cost adding, boolean replacing) {
        synchronized (budget) {
            requireRoom(replacing ? Cost.NONE : new Cost(storedBytes, fleetInstances), adding);
        }
    }

    private static void requireRoom(Cost now, Cost delta) {
        if (delta.instances() > 0 && now.instances() + delta.instances() > Limits.MAX_FLEET_INSTANCES) {
            throw Limits.full("the groups of all accounts would run " + (now.instances() + delta.instances())
                    + " instances, at most " + Limits.MAX_FLEET_INSTANCES + " are simulated");
        }
        if (delta.bytes() > 0 && now.bytes() + delta.bytes() > Limits.MAX_STORED_BYTES) {
            throw Limits.full("the stored groups and instances would take " + (now.bytes() + delta.bytes())
                    + " bytes of JSON, at most " + Limits.MAX_STORED_BYTES + " are kept");
        }
    }

    /**
     * Runs {@code write} with {@code next}'s cost charged in place of {@code key}'s current one; throws
     * {@link Limits#full} (nothing written) when it does not fit, and gives the charge back when the write throws.
     */
    private void charged(String key, StoredResource next, Runnable write) {
        charged(key, next, true, write);
    }

    private void charged(String key, StoredResource next, boolean enforceBudget, Runnable write) {
        Cost cost = cost(next);
        Cost before = costs.get(key);
        Cost old = before == null ? Cost.NONE : before;
        synchronized (budget) {
            if (enforceBudget) {
                requireRoom(new Cost(storedBytes, fleetInstances),
                        new Cost(cost.bytes() - old.bytes(), cost.instances() - old.instances()));
            }
            storedBytes += cost.bytes() - old.bytes();
            fleetInstances += cost.instances() - old.instances();
        }
        costs.put(key, cost);
        try {
            write.run();
        } catch (RuntimeException e) {
            if (before == null) {
                costs.remove(key);
            } else {
                costs.put(key, before);
            }
            synchronized (budget) {
                storedBytes -= cost.bytes() - old.bytes();
                fleetInstances -= cost.instances() - old.instances();
            }
            throw e;
        }
    }

    private void release(String key) {
        Cost gone = costs.remove(key);
        if (gone != null) {
            synchronized (budget) {
                storedBytes -= gone.bytes();
                fleetInstances -= gone.instances();
            }
        }
    }

    private static String key(String type, String account, String id) {
        return type + " " + account + " " + id;
    }

    /** Oldest first. */
    public List<StoredResource> list(ResourceType type, String account) {
        List<StoredResource> all = new ArrayList<>(table(type.wrapper(), account).values());
        all.sort(Comparator.comparing(StoredResource::createdAt).thenComparing(StoredResource::id));
        return all;
    }

    public StoredResource get(ResourceType type, String account, String id) {
        StoredResource r = table(type.wrapper(), account).get(id);
        if (r == null) {
            throw type.notFound(id);
        }
        return r;
    }

    /** Stores {@code factory(newId)} under a fresh id. */
    public StoredResource create(ResourceType type, String account, Function<String, StoredResource> factory) {
        ConcurrentHashMap<String, StoredResource> table = table(type.wrapper(), account);
        while (true) {
            String id = RandomIds.resourceId(type.idPrefix());
            StoredResource[] created = new StoredResource[1];
            table.computeIfAbsent(id, key -> {
                StoredResource r = factory.apply(key);
                charged(key(type.wrapper(), account, key), r, () -> persistence.save(type.wrapper(), account, r));
                created[0] = r;
                return r;
            });
            if (created[0] != null) {
                return created[0];
            }
        }
    }

    /**
     * Atomically replaces the resource with {@code change(current)}. If {@code change} throws,
     * nothing is changed.
     */
    public StoredResource update(ResourceType type, String account, String id, UnaryOperator<StoredResource> change) {
        return update(type, account, id, change, true);
    }

    /**
     * {@link #update}; with {@code enforceBudget} false the change is stored even past the budget (and
     * counted): for what the simulator does by itself on a read, e.g. completing a due transition, which
     * adds a few bytes and must not turn a GET into a refusal.
     */
    public StoredResource update(ResourceType type, String account, String id, UnaryOperator<StoredResource> change,
                          boolean enforceBudget) {
        StoredResource updated = table(type.wrapper(), account).computeIfPresent(id, (key, current) -> {
            StoredResource next = change.apply(current);
            charged(key(type.wrapper(), account, id), next, enforceBudget,
                    () -> persistence.save(type.wrapper(), account, next));
            return next;
        });
        if (updated == null) {
            throw type.notFound(id);
        }
        return updated;
    }

    public void delete(ResourceType type, String account, String id) {
        boolean[] deleted = new boolean[1];
        table(type.wrapper(), account).computeIfPresent(id, (key, current) -> {
            persistence.delete(type.wrapper(), account, id);
            release(key(type.wrapper(), account, id));
            deleted[0] = true;
            return null;
        });
        if (!deleted[0]) {
            throw type.notFound(id);
        }
    }

    public boolean exists(ResourceType type, String account, String id) {
        return table(type.wrapper(), account).containsKey(id);
    }

    /** Stores {@code resource} under its own id, replacing any with that id (seed and snapshot import). */
    void put(ResourceType type, String account, StoredResource resource) {
        table(type.wrapper(), account).compute(resource.id(), (key, current) -> {
            charged(key(type.wrapper(), account, key), resource, () -> persistence.save(type.wrapper(), account, resource));
            return resource;
        });
    }

    public void deleteAll() {
        persistence.deleteAllResources();
        tables.values().forEach(Map::clear);
        synchronized (budget) {
            costs.clear();
            storedBytes = 0;
            fleetInstances = 0;
        }
    }

    /** Number of resources of this type over all accounts. */
    public int count(ResourceType type) {
        int n = 0;
        for (Map.Entry<Scope, ConcurrentHashMap<String, StoredResource>> e : tables.entrySet()) {
            if (e.getKey().type().equals(type.wrapper())) {
                n += e.getValue().size();
            }
        }
        return n;
    }

    private ConcurrentHashMap<String, StoredResource> table(String type, String account) {
        return tables.computeIfAbsent(new Scope(type, account), s -> new ConcurrentHashMap<>());
    }
}
