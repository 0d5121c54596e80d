package dev.spotapi.sim.persistence;

import dev.spotapi.sim.state.ResourceStore;
import dev.spotapi.sim.state.StoredResource;

import java.util.List;
import java.util.Optional;

/** Where the simulator's state survives a restart; {@link #none()} keeps everything in memory only. */
public interface Persistence extends AutoCloseable {

    /** One stored resource with the table it belongs to. */
    record Row(String type, String account, StoredResource resource) {
    }

    /** Returns only after the write is durable. */
    void save(String type, String account, StoredResource resource);

    void delete(String type, String account, String id);

    void deleteAllResources();

    List<Row> loadAll();

    /**
     * Sets a stored resource aside (kept for a human, never loaded again) because it breaks the simulator's
     * limits; logged with {@code reason}. Nothing to do without storage.
     */
    default void quarantine(String type, String account, String id, String reason) {
    }

    Optional<String> meta(String key);

    void putMeta(String key, String value);

    /** Writes every entry in one transaction: all of them are stored, or none. */
    void putMeta(java.util.Map<String, String> entries);

    boolean durable();

    @Override
    void close();

    static Persistence none() {
        return InMemoryOnly.INSTANCE;
    }

    /** Keeps nothing: the in-memory maps of {@link ResourceStore} are the only copy. */
    final class InMemoryOnly implements Persistence {
        private static final InMemoryOnly INSTANCE = new InMemoryOnly();

        @Override
        public void save(String type, String account, StoredResource resource) {
        }

        @Override
        public void delete(String type, String account, String id) {
        }

        @Override
        public void deleteAllResources() {
        }

        @Override
        public List<Row> loadAll() {
            return List.of();
        }

        @Override
        public Optional<String> meta(String key) {
            return Optional.empty();
        }

        @Override
        public void putMeta(String key, String value) {
        }

        @Override
        public void putMeta(java.util.Map<String, String> entries) {
        }

        @Override
        public boolean durable() {
            return false;
        }

        @Override
        public void close() {
        }
    }
}
