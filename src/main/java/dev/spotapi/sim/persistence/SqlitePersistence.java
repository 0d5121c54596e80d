package dev.spotapi.sim.persistence;

import dev.spotapi.sim.Limits;
import dev.spotapi.sim.SimJson;
import dev.spotapi.sim.state.StoredResource;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Write-through SQLite store in {@code <dataDir>/spot-simulator.db}. Every statement runs in
 * autocommit mode with WAL and synchronous=FULL, so a write has been committed to disk when
 * {@link #save} returns, which is before the HTTP reply is sent. One connection, used under a lock:
 * SQLite serialises writers anyway, and reads happen only at start-up.
 */
public final class SqlitePersistence implements Persistence {
    public static final String FILE_NAME = "spot-simulator.db";
    private static final Logger LOG = LoggerFactory.getLogger(SqlitePersistence.class);

    private final Connection connection;
    private final PreparedStatement upsert;
    private final PreparedStatement delete;
    private final PreparedStatement putMeta;

    private SqlitePersistence(Connection connection) throws SQLException {
        this.connection = connection;
        try (Statement s = connection.createStatement()) {
            s.execute("PRAGMA journal_mode=WAL");
            s.execute("PRAGMA synchronous=FULL");
            s.execute("PRAGMA busy_timeout=5000");
            s.execute("CREATE TABLE IF NOT EXISTS resources (type TEXT NOT NULL, account TEXT NOT NULL,"
                    + " id TEXT NOT NULL, object TEXT NOT NULL, state TEXT NOT NULL,"
                    + " PRIMARY KEY (type, account, id))");
            s.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
            s.execute("CREATE TABLE IF NOT EXISTS quarantine (type TEXT NOT NULL, account TEXT NOT NULL,"
                    + " id TEXT NOT NULL, object TEXT NOT NULL, state TEXT NOT NULL, reason TEXT NOT NULL,"
                    + " at TEXT NOT NULL)");
        }
        upsert = connection.prepareStatement(
                "INSERT OR REPLACE INTO resources (type, account, id, object, state) VALUES (?, ?, ?, ?, ?)");
        delete = connection.prepareStatement("DELETE FROM resources WHERE type = ? AND account = ? AND id = ?");
        putMeta = connection.prepareStatement("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)");
    }

    public static SqlitePersistence open(Path dataDir) {
        try {
            Files.createDirectories(dataDir);
            Path file = dataDir.resolve(FILE_NAME);
            Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
            LOG.debug("simulator state in {}", file);
            return new SqlitePersistence(c);
        } catch (IOException | SQLException e) {
            throw new IllegalStateException("cannot open the simulator database in " + dataDir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void save(String type, String account, StoredResource resource) {
        try {
            upsert.setString(1, type);
            upsert.setString(2, account);
            upsert.setString(3, resource.id());
            upsert.setString(4, SimJson.text(resource.object()));
            upsert.setString(5, SimJson.text(resource.state()));
            upsert.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot save " + resource.id() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void delete(String type, String account, String id) {
        try {
            delete.setString(1, type);
            delete.setString(2, account);
            delete.setString(3, id);
            delete.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot delete " + id + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void deleteAllResources() {
        try (Statement s = connection.createStatement()) {
            s.executeUpdate("DELETE FROM resources");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot reset the database: " + e.getMessage(), e);
        }
    }

    /**
     * Every stored row that can be held: a row whose JSON is larger than {@link Limits#MAX_STORED_BYTES},
     * that comes after the rows already read add up to that, or that is not JSON objects is moved to the
     * {@code quarantine} table (with the reason, logged) without being parsed, so that a database written
     * before the limits (or edited by hand) never fails a start or fills the heap.
     */
    @Override
    public synchronized List<Row> loadAll() {
        List<Row> rows = new ArrayList<>();
        List<String[]> refused = new ArrayList<>();
        long total = 0;
        try (Statement s = connection.createStatement();
             ResultSet rs = s.executeQuery("SELECT type, account, id, length(object) + length(state) FROM resources"
                     + " ORDER BY rowid")) {
            List<String[]> keys = new ArrayList<>();
            while (rs.next()) {
                long size = rs.getLong(4);
                String[] key = {rs.getString(1), rs.getString(2), rs.getString(3), null};
                if (size > Limits.MAX_STORED_BYTES - total) {
                    key[3] = size + " bytes of JSON do not fit the simulator's budget of " + Limits.MAX_STORED_BYTES
                            + " bytes (" + total + " already loaded)";
                    refused.add(key);
                } else {
                    total += size;
                    keys.add(key);
                }
            }
            for (String[] key : keys) {
                Row row = read(key[0], key[1], key[2]);
                if (row == null) {
                    key[3] = "not a JSON object";
                    refused.add(key);
                } else {
                    rows.add(row);
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot load the simulator database: " + e.getMessage(), e);
        }
        for (String[] key : refused) {
            quarantine(key[0], key[1], key[2], key[3]);
        }
        return rows;
    }

    /** One row, parsed; null when its object or state is not a JSON object. */
    private Row read(String type, String account, String id) throws SQLException {
        try (PreparedStatement q = connection.prepareStatement(
                "SELECT object, state FROM resources WHERE type = ? AND account = ? AND id = ?")) {
            q.setString(1, type);
            q.setString(2, account);
            q.setString(3, id);
            try (ResultSet rs = q.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                try {
                    if (SimJson.parse(rs.getString(1)) instanceof ObjectNode object
                            && SimJson.parse(rs.getString(2)) instanceof ObjectNode state) {
                        return new Row(type, account, new StoredResource(id, object, state));
                    }
                } catch (RuntimeException e) {
                    LOG.debug("row {} {} {} is not JSON", type, account, id, e);
                }
                return null;
            }
        }
    }

    @Override
    public synchronized void quarantine(String type, String account, String id, String reason) {
        LOG.warn("simulator state: {} {} of account {} not loaded ({}); moved to the quarantine table of {}",
                type, id, account, reason, FILE_NAME);
        try {
            boolean auto = connection.getAutoCommit();
            connection.setAutoCommit(false);
            try (PreparedStatement copy = connection.prepareStatement("INSERT INTO quarantine"
                    + " SELECT type, account, id, object, state, ?, ? FROM resources WHERE type = ? AND account = ? AND id = ?")) {
                copy.setString(1, reason);
                copy.setString(2, java.time.Instant.now().toString());
                copy.setString(3, type);
                copy.setString(4, account);
                copy.setString(5, id);
                copy.executeUpdate();
                delete.setString(1, type);
                delete.setString(2, account);
                delete.setString(3, id);
                delete.executeUpdate();
                connection.commit();
            } catch (SQLException e) {
                connection.rollback();
                throw e;
            } finally {
                connection.setAutoCommit(auto);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot quarantine " + id + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized Optional<String> meta(String key) {
        try (PreparedStatement q = connection.prepareStatement("SELECT value FROM meta WHERE key = ?")) {
            q.setString(1, key);
            try (ResultSet rs = q.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read " + key + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void putMeta(String key, String value) {
        try {
            putMeta.setString(1, key);
            putMeta.setString(2, value);
            putMeta.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot write " + key + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void putMeta(java.util.Map<String, String> entries) {
        try {
            boolean auto = connection.getAutoCommit();
            connection.setAutoCommit(false);
            try {
                for (java.util.Map.Entry<String, String> e : entries.entrySet()) {
                    putMeta.setString(1, e.getKey());
                    putMeta.setString(2, e.getValue());
                    putMeta.executeUpdate();
                }
                connection.commit();
            } catch (SQLException e) {
                connection.rollback();
                throw e;
            } finally {
                connection.setAutoCommit(auto);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot write " + entries.keySet() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public boolean durable() {
        return true;
    }

    @Override
    public synchronized void close() {
        try {
            upsert.close();
            delete.close();
            putMeta.close();
            connection.close();
        } catch (SQLException e) {
            LOG.warn("closing the simulator database: {}", e.getMessage());
        }
    }
}
