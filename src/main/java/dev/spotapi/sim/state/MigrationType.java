package dev.spotapi.sim.state;

import dev.spotapi.sim.SimJson;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** An import of an EC2 instance: {@code smg-}; state {@code startedAt, finishesAt} (simulated epoch millis). */
public final class MigrationType extends StatefulTypes {
    public static final MigrationType INSTANCE = new MigrationType();

    private MigrationType() {
        super("migration", "smg-", "MIGRATION_DOESNT_EXIST", "Migration");
    }

    @Override
    public void checkState(ObjectNode state) {
        if (!state.path("finishesAt").canConvertToLong()) {
            throw new IllegalArgumentException("\"finishesAt\" (epoch millis) is required");
        }
    }

    @Override
    public ObjectNode initialState(ObjectNode object, long now) {
        ObjectNode state = SimJson.object();
        state.put("startedAt", now);
        state.put("finishesAt", now);
        return state;
    }
}
