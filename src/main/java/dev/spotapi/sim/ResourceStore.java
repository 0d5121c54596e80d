package dev.spotapi.sim;

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
 */
final class ResourceStore {
    private record Scope(String type, String account) {
    }

    private final Persistence persistence;
    private final ConcurrentHashMap<Scope, ConcurrentHashMap<String, StoredResource>> tables = new ConcurrentHashMap<>();

    ResourceStore(Persistence persistence) {
        this.persistence = persistence;
        for (Persistence.Row row : persistence.loadAll()) {
            table(row.type(), row.account()).put(row.resource().id(), row.resource());
        }
    }

    /** Oldest first. */
    List<StoredResource> list(ResourceType type, String account) {
        List<StoredResource> all = new ArrayList<>(table(type.wrapper(), account).values());
        all.sort(Comparator.comparing(StoredResource::createdAt).thenComparing(StoredResource::id));
        return all;
    }

    StoredResource get(ResourceType type, String account, String id) {
        StoredResource r = table(type.wrapper(), account).get(id);
        if (r == null) {
            throw type.notFound(id);
        }
        return r;
    }

    /** Stores {@code factory(newId)} under a fresh id. */
    StoredResource create(ResourceType type, String account, Function<String, StoredResource> factory) {
        ConcurrentHashMap<String, StoredResource> table = table(type.wrapper(), account);
        while (true) {
            String id = RandomIds.resourceId(type.idPrefix());
            StoredResource[] created = new StoredResource[1];
            table.computeIfAbsent(id, key -> {
                StoredResource r = factory.apply(key);
                persistence.save(type.wrapper(), account, r);
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
    StoredResource update(ResourceType type, String account, String id, UnaryOperator<StoredResource> change) {
        StoredResource updated = table(type.wrapper(), account).computeIfPresent(id, (key, current) -> {
            StoredResource next = change.apply(current);
            persistence.save(type.wrapper(), account, next);
            return next;
        });
        if (updated == null) {
            throw type.notFound(id);
        }
        return updated;
    }

    void delete(ResourceType type, String account, String id) {
        boolean[] deleted = new boolean[1];
        table(type.wrapper(), account).computeIfPresent(id, (key, current) -> {
            persistence.delete(type.wrapper(), account, id);
            deleted[0] = true;
            return null;
        });
        if (!deleted[0]) {
            throw type.notFound(id);
        }
    }

    boolean exists(ResourceType type, String account, String id) {
        return table(type.wrapper(), account).containsKey(id);
    }

    /** Stores {@code resource} under its own id, replacing any with that id (seed and snapshot import). */
    void put(ResourceType type, String account, StoredResource resource) {
        table(type.wrapper(), account).compute(resource.id(), (key, current) -> {
            persistence.save(type.wrapper(), account, resource);
            return resource;
        });
    }

    void deleteAll() {
        persistence.deleteAllResources();
        tables.values().forEach(Map::clear);
    }

    /** Number of resources of this type over all accounts. */
    int count(ResourceType type) {
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
