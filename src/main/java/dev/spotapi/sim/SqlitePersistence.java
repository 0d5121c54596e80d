package dev.spotapi.sim;

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
final class SqlitePersistence implements Persistence {
    static final String FILE_NAME = "spot-simulator.db";
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
        }
        upsert = connection.prepareStatement(
                "INSERT OR REPLACE INTO resources (type, account, id, object, state) VALUES (?, ?, ?, ?, ?)");
        delete = connection.prepareStatement("DELETE FROM resources WHERE type = ? AND account = ? AND id = ?");
        putMeta = connection.prepareStatement("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)");
    }

    static SqlitePersistence open(Path dataDir) {
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

    @Override
    public synchronized List<Row> loadAll() {
        List<Row> rows = new ArrayList<>();
        try (Statement s = connection.createStatement();
             ResultSet rs = s.executeQuery("SELECT type, account, id, object, state FROM resources")) {
            while (rs.next()) {
                StoredResource r = new StoredResource(rs.getString(3),
                        (ObjectNode) SimJson.parse(rs.getString(4)), (ObjectNode) SimJson.parse(rs.getString(5)));
                rows.add(new Row(rs.getString(1), rs.getString(2), r));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot load the simulator database: " + e.getMessage(), e);
        }
        return rows;
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
