package dev.spotapi.sim.http;

import dev.spotapi.sim.state.Ec2InstanceType;
import dev.spotapi.sim.state.FieldTable;
import dev.spotapi.sim.state.MigrationType;
import dev.spotapi.sim.state.VolumeType;
import dev.spotapi.sim.AdminException;
import dev.spotapi.sim.fleet.InstanceActions;
import dev.spotapi.sim.fleet.InstanceLifecycle;
import dev.spotapi.sim.fleet.InstanceState;
import dev.spotapi.sim.Limits;
import dev.spotapi.sim.state.ManagedInstanceType;
import dev.spotapi.sim.RandomIds;
import dev.spotapi.sim.state.ResourceStore;
import dev.spotapi.sim.SimClock;
import dev.spotapi.sim.SimJson;
import dev.spotapi.sim.SpotException;
import dev.spotapi.sim.state.StoredResource;
import dev.spotapi.sim.Timestamps;
import dev.spotapi.sim.fleet.TransitionTime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Stateful-node operations of Spot (issue 26), each in simulated time with Spot's refusals:
 * <ul>
 * <li>{@code POST /aws/ec2/managedInstance/migration} (OAS {@code miImportInstance}): import of an unmanaged
 * EC2 instance ({@link Ec2InstanceType}, created with the admin route {@code POST /_sim/ec2Instances})
 * into a new managed instance; answers {@code migrationId}, {@code managedInstanceId}, {@code data},
 * {@code state: MIGRATE_START}; the migration is {@code MIGRATE_FINISH} after the transition time.
 * Refused: unknown instance (EC2_INSTANCE_DOESNT_EXIST), already managed (INSTANCE_ALREADY_MANAGED),
 * {@code shouldKeepPrivateIp} without {@code shouldTerminateInstance} (ValidationError, as OAS says), a field
 * unknown to OAS {@code miImportInstance} or of another type than it gives (ValidationError, contract §7.4).</li>
 * <li>{@code GET /aws/ec2/managedInstance/migration/{id}} (OAS {@code migrationStatus}).</li>
 * <li>{@code PUT /aws/ec2/managedInstance/state} (OAS {@code updateManagedInstanceStatesRequest}): PAUSE or
 * RESUME of many instances in one call, all or nothing: every id and transition is checked first.</li>
 * <li>{@code DELETE /aws/ec2/managedInstance/{id}/volume/{volumeId}} (OAS {@code deleteVolumeManagedInstance}):
 * deletes a detached volume ({@link VolumeType}) of the instance; refused: unknown volume
 * (VOLUME_DOESNT_EXIST), a volume still attached (VOLUME_IN_USE).</li>
 * </ul>
 * Migrations, EC2 instances and volumes are resources of {@link ResourceStore}: they persist and are part of
 * {@code /_sim/state} ({@code ec2Instances}, {@code migrations}, {@code volumes}).
 */
public final class StatefulRoutes {
    static final String MIGRATION_KIND = "spotinst:aws:ec2:managedInstance:migration";
    private static final String MI = "/aws/ec2/managedInstance";
    /** OAS {@code miImportInstance.migration}: the fields of one import and their types. */
    private static final FieldTable MIGRATION_FIELDS = FieldTable.load("migration");
    private static final Set<String> MIGRATION_KEYS = Set.of("shouldKeepPrivateIp", "shouldKeepMetadataOptions",
            "originalInstanceId", "region", "shouldTerminateInstance", "managedInstanceName", "product",
            "spotInstanceTypes", "availabilityZones");

    private final ResourceStore store;
    private final SimClock clock;
    private final Envelope envelope;
    private final InstanceActions actions;
    private final TransitionTime transitionTime;
    private final Accounts accounts;

    public StatefulRoutes(ResourceStore store, SimClock clock, Envelope envelope, InstanceActions actions,
                   TransitionTime transitionTime, Accounts accounts) {
        this.accounts = accounts;
        this.store = store;
        this.clock = clock;
        this.envelope = envelope;
        this.actions = actions;
        this.transitionTime = transitionTime;
    }

    /** Registers the Spot routes and the admin route {@code POST /_sim/ec2Instances}. */
    public void register(RoutesConfig routes) {
        routes.post(MI + "/migration", this::importInstance);
        routes.post(MI + "/migration/bulk", this::bulkImport);
        routes.post(MI + "/migration/search", this::searchMigrations);
        routes.get(MI + "/migration/{migrationId}", this::migrationStatus);
        routes.put(MI + "/state", this::updateStates);
        routes.delete(MI + "/{id}/volume/{volumeId}", this::deleteVolume);
        routes.post("/_sim/ec2Instances", this::createEc2Instance);
        routes.get("/_sim/ec2Instances", this::listEc2Instances);
    }

    // ---- admin: unmanaged EC2 instances -------------------------------------------------------------

    /**
     * {@code POST /_sim/ec2Instances} {@code {"accountId"?, "region"?, "privateIp"?, "instanceType"?,
     * "volumes"?: [{"deviceName", "size"}]}}: an EC2 instance Spot does not manage yet, to import.
     * Answers the stored object (with its {@code id}, {@code i-...}).
     */
    private void createEc2Instance(Context ctx) {
        JsonNode body = Bodies.json(ctx);
        if (body == null) {
            body = SimJson.object();
        }
        if (!body.isObject()) {
            throw new AdminException("the body must be a JSON object");
        }
        ObjectNode object = ((ObjectNode) body).deepCopy();
        String account = object.path("accountId").asText(null);
        object.remove("accountId");
        account = adminAccount(account);
        try {
            Ec2InstanceType.INSTANCE.validate(object);
            Limits.checkObject(Ec2InstanceType.INSTANCE.wrapper(), object);
        } catch (SpotException e) {
            throw new AdminException(e.getMessage());
        }
        long now = clock.now();
        ObjectNode filled = object;
        if (!filled.hasNonNull("region")) {
            filled.put("region", "us-east-1");
        }
        if (!filled.hasNonNull("privateIp")) {
            filled.put("privateIp", RandomIds.privateIp());
        }
        if (!filled.hasNonNull("instanceType")) {
            filled.put("instanceType", "t3.micro");
        }
        if (!filled.has("volumes")) {
            filled.putArray("volumes").addObject().put("deviceName", "/dev/xvda").put("size", 8);
        }
        StoredResource created = store.create(Ec2InstanceType.INSTANCE, account, id -> {
            ObjectNode stored = SimJson.object();
            stored.put("id", id);
            stored.setAll(filled);
            stored.put("createdAt", Timestamps.seconds(now));
            stored.put("updatedAt", Timestamps.seconds(now));
            return new StoredResource(id, stored, SimJson.object());
        });
        ctx.status(200).contentType(Envelope.CONTENT_TYPE).result(SimJson.bytes(created.object()));
    }

    /** {@code GET /_sim/ec2Instances?accountId=}: the EC2 instances known to the simulator, managed or not. */
    private void listEc2Instances(Context ctx) {
        String account = adminAccount(ctx.queryParam("accountId"));
        ArrayNode out = SimJson.MAPPER.createArrayNode();
        store.list(Ec2InstanceType.INSTANCE, account).forEach(r -> out.add(r.object()));
        ctx.status(200).contentType(Envelope.CONTENT_TYPE).result(SimJson.bytes(out));
    }

    private String adminAccount(String requested) {
        List<String> known = List.copyOf(accounts.asMap().keySet());
        if (requested == null) {
            if (known.isEmpty()) {
                throw new AdminException("no account is configured");
            }
            return known.get(0);
        }
        if (!known.contains(requested)) {
            throw new AdminException("account " + requested + " is not configured in this simulator");
        }
        return requested;
    }

    // ---- migration ----------------------------------------------------------------------------------

    private void importInstance(Context ctx) {
        String account = SpotApiFilter.account(ctx);
        JsonNode body = Bodies.json(ctx);
        JsonNode migration = body == null ? null : body.get("migration");
        if (migration == null || !migration.isObject()) {
            throw SpotException.validation("migration", "\"migration\" is required");
        }
        checkMigration(migration, "migration");
        long now = clock.now();
        envelope.item(ctx, MIGRATION_KIND, migrationItem(importOne(account, migration, "migration", now), now));
    }

    /**
     * {@code POST /aws/ec2/managedInstance/migration/bulk} (OAS {@code miBulkImportInstance}): a body outside the
     * schema (no non-empty {@code migrations} array, an entry that is not an object or breaks
     * {@link #checkMigration}) is a ValidationError for the whole call naming the entry
     * ({@code body:migrations[1].region}), before anything is imported (contract §7.4: a bad body is a 400
     * ValidationError). Then each entry is imported as the single import does; an instance Spot refuses (unknown,
     * already managed, {@code shouldKeepPrivateIp} without {@code shouldTerminateInstance}) is one entry of
     * {@code failures} ({@code resourceId}, {@code errorMessage}) and does not stop the others. Each item's
     * {@code data} carries the chosen {@code managedInstanceName} (OAS {@code bulkMigration.data}).
     */
    private void bulkImport(Context ctx) {
        String account = SpotApiFilter.account(ctx);
        JsonNode body = Bodies.json(ctx);
        JsonNode migrations = body == null ? null : body.get("migrations");
        if (migrations == null || !migrations.isArray() || migrations.isEmpty()) {
            throw SpotException.validation("migrations", "\"migrations\" must contain at least 1 object");
        }
        for (int i = 0; i < migrations.size(); i++) {
            String where = "migrations[" + i + "]";
            if (!migrations.get(i).isObject()) {
                throw SpotException.validation("body:" + where, "\"" + where + "\" must be an object");
            }
            checkMigration(migrations.get(i), where);
        }
        long now = clock.now();
        List<ObjectNode> items = new ArrayList<>();
        List<ObjectNode> failures = new ArrayList<>();
        for (int i = 0; i < migrations.size(); i++) {
            JsonNode m = migrations.get(i);
            try {
                ObjectNode item = migrationItem(importOne(account, m, "migrations[" + i + "]", now), now);
                if (m.hasNonNull("managedInstanceName")) {
                    ObjectNode data = item.path("data").deepCopy();
                    data.put("managedInstanceName", m.get("managedInstanceName").asText());
                    item.set("data", data);
                }
                items.add(item);
            } catch (SpotException e) {
                ObjectNode failure = SimJson.object();
                failure.put("resourceId", m.path("originalInstanceId").asText(""));
                failure.put("errorMessage", e.getMessage());
                failures.add(failure);
            }
        }
        envelope.itemsWithFailures(ctx, MIGRATION_KIND, items, failures);
    }

    /**
     * OAS {@code miImportInstance.migration} / {@code miBulkImportInstance.migrations[]} (contract §7.4): only its
     * fields, each of its type ({@code migration-fields.json}: booleans, strings, {@code spotInstanceTypes} an
     * array of strings, {@code availabilityZones} an array of {@code {name, subnetIds}}), {@code originalInstanceId}
     * and {@code region} required; else a ValidationError on {@code body:<where>.<path>} labelled with the full path
     * ({@code "migrations[1].region" is required}).
     */
    private static void checkMigration(JsonNode migration, String where) {
        ObjectNode m = (ObjectNode) migration;
        try {
            m.fieldNames().forEachRemaining(f -> {
                if (!MIGRATION_KEYS.contains(f)) {
                    throw new Validation(where).fail(f, "is not allowed");
                }
            });
            MIGRATION_FIELDS.under(where).check(m);
            Validation validation = new Validation(where);
            validation.requireString(m, "originalInstanceId");
            validation.requireString(m, "region");
        } catch (SpotException e) {
            throw labelled(e);
        }
    }

    /** {@code e} with its message labelled by the whole path of its field, as Joi labels nested keys. */
    private static SpotException labelled(SpotException e) {
        String field = e.field() == null ? "" : e.field().replaceFirst("^body:", "");
        String message = e.getMessage().replaceFirst("^\"[^\"]*\"", java.util.regex.Matcher.quoteReplacement(
                "\"" + field + "\""));
        return SpotException.validation(e.field(), message);
    }

    /**
     * {@code POST /aws/ec2/managedInstance/migration/search} (OAS {@code miBulkGetMigrationStatus}): the status
     * items of the given {@code migrationIds} that exist in this account (unknown ids are left out); ids that are
     * not strings are a ValidationError.
     */
    private void searchMigrations(Context ctx) {
        String account = SpotApiFilter.account(ctx);
        JsonNode body = Bodies.json(ctx);
        if (body == null || !body.isObject()) {
            throw SpotException.validation("body", "\"body\" must be an object with a \"migrationIds\" key");
        }
        // OAS miBulkGetMigrationStatus.migrationIds: a required array of strings (contract §7.4)
        new Validation("").requireNonEmptyStringArray((ObjectNode) body, "migrationIds");
        JsonNode ids = body.get("migrationIds");
        long now = clock.now();
        List<ObjectNode> items = new ArrayList<>();
        for (JsonNode id : ids) {
            try {
                items.add(statusItem(store.get(MigrationType.INSTANCE, account, id.asText()), now));
            } catch (SpotException e) {
                // unknown migration: not listed
            }
        }
        envelope.items(ctx, MIGRATION_KIND, items);
    }

    /**
     * One import ({@code migration} object as OAS {@code miImportInstance}, already through {@link #checkMigration});
     * Spot's refusals as exceptions.
     */
    private StoredResource importOne(String account, JsonNode migration, String where, long now) {
        String original = text(migration, "originalInstanceId");
        String region = text(migration, "region");
        boolean keepIp = bool(migration, "shouldKeepPrivateIp");
        boolean terminate = bool(migration, "shouldTerminateInstance");
        if (keepIp && !terminate) {
            throw SpotException.validation(where + ".shouldTerminateInstance",
                    "\"shouldTerminateInstance\" must be true when \"shouldKeepPrivateIp\" is true");
        }
        if (keepIp && migration.has("availabilityZones")) {
            throw SpotException.validation(where + ".availabilityZones",
                    "\"availabilityZones\" may only be given when \"shouldKeepPrivateIp\" is false");
        }
        StoredResource[] mi = new StoredResource[1];
        StoredResource ec2 = store.update(Ec2InstanceType.INSTANCE, account, original, current -> {
            if (current.object().hasNonNull("managedInstanceId") || managedElsewhere(account, original)) {
                throw SpotException.badRequest("INSTANCE_ALREADY_MANAGED",
                        "Instance '" + original + "' is already managed by Spot");
            }
            if (!region.equals(current.object().path("region").asText())) {
                throw Ec2InstanceType.INSTANCE.notFound(original);
            }
            mi[0] = createManagedInstance(account, current, migration, keepIp, now);
            ObjectNode object = current.object().deepCopy();
            object.put("managedInstanceId", mi[0].id());
            object.put("updatedAt", Timestamps.seconds(now));
            if (terminate) {
                object.put("terminated", true);
            }
            return new StoredResource(current.id(), object, current.state());
        });
        ObjectNode data = SimJson.object();
        data.put("originalInstanceId", ec2.id());
        data.put("shouldKeepPrivateIp", keepIp);
        data.put("shouldKeepMetadataOptions", bool(migration, "shouldKeepMetadataOptions"));
        data.put("shouldTerminateInstance", terminate);
        long until = now + transitionTime.millis();
        StoredResource created = store.create(MigrationType.INSTANCE, account, id -> {
            ObjectNode object = SimJson.object();
            object.put("id", id);
            object.put("managedInstanceId", mi[0].id());
            object.set("data", data);
            object.put("createdAt", Timestamps.seconds(now));
            object.put("updatedAt", Timestamps.seconds(now));
            ObjectNode state = SimJson.object();
            state.put("startedAt", now);
            state.put("finishesAt", until);
            return new StoredResource(id, object, state);
        });
        return created;
    }

    private boolean managedElsewhere(String account, String ec2Id) {
        for (StoredResource r : store.list(ManagedInstanceType.INSTANCE, account)) {
            if (ec2Id.equals(r.state().path("instanceId").asText(null))) {
                return true;
            }
        }
        return false;
    }

    /** The managed instance of an import: the EC2 instance's region, type, IP (when kept) and volumes. */
    private StoredResource createManagedInstance(String account, StoredResource ec2, JsonNode migration, boolean keepIp,
                                                 long now) {
        ObjectNode e = ec2.object();
        ObjectNode object = SimJson.object();
        object.put("name", migration.hasNonNull("managedInstanceName") ? migration.get("managedInstanceName").asText()
                : "imported-" + ec2.id());
        object.put("region", e.path("region").asText());
        ObjectNode persistence = object.putObject("persistence");
        persistence.put("persistBlockDevices", true);
        persistence.put("persistRootDevice", true);
        persistence.put("persistPrivateIp", keepIp);
        persistence.put("blockDevicesMode", "reattach");
        ObjectNode compute = object.putObject("compute");
        compute.put("product", migration.path("product").asText("Linux/UNIX"));
        compute.put("vpcId", e.path("vpcId").asText("vpc-imported"));
        ArrayNode subnets = compute.putArray("subnetIds");
        subnets.add(e.path("subnetId").asText("subnet-imported"));
        if (keepIp) {
            compute.put("privateIp", e.path("privateIp").asText());
        }
        ObjectNode launch = compute.putObject("launchSpecification");
        ObjectNode types = launch.putObject("instanceTypes");
        types.put("preferredType", e.path("instanceType").asText("t3.micro"));
        ArrayNode list = types.putArray("types");
        JsonNode spotTypes = migration.path("spotInstanceTypes");
        if (spotTypes.isArray() && !spotTypes.isEmpty()) {
            spotTypes.forEach(list::add);
        } else {
            list.add(e.path("instanceType").asText("t3.micro"));
        }
        if (e.has("imageId")) {
            launch.set("imageId", e.get("imageId"));
        }
        StoredResource mi = store.create(ManagedInstanceType.INSTANCE, account, id -> {
            ObjectNode stored = SimJson.object();
            stored.put("id", id);
            stored.setAll(object);
            stored.put("createdAt", Timestamps.seconds(now));
            stored.put("updatedAt", Timestamps.seconds(now));
            // imaged while the migration runs: RESUMING (not yet running, no cost) until it finishes, then
            // ACTIVE on a new EC2 instance (with the kept private IP when asked)
            InstanceState importing = new InstanceState(InstanceState.PAUSED, null,
                    InstanceLifecycle.preferredType(stored), launch.path("imageId").asText(null),
                    keepIp ? e.path("privateIp").asText() : null, null, now, List.of(),
                    new InstanceState.Pending("resume", now, now + transitionTime.millis()));
            return new StoredResource(id, stored, importing.toJson());
        });
        for (JsonNode v : e.path("volumes")) {
            store.create(VolumeType.INSTANCE, account, volumeId -> {
                ObjectNode vol = SimJson.object();
                vol.put("id", volumeId);
                vol.put("managedInstanceId", mi.id());
                vol.put("deviceName", v.path("deviceName").asText("/dev/xvda"));
                vol.put("size", v.path("size").asInt(8));
                vol.put("attached", !v.has("attached") || v.path("attached").asBoolean(true));
                vol.put("createdAt", Timestamps.seconds(now));
                vol.put("updatedAt", Timestamps.seconds(now));
                return new StoredResource(volumeId, vol, SimJson.object());
            });
        }
        return mi;
    }

    private void migrationStatus(Context ctx) {
        String account = SpotApiFilter.account(ctx);
        StoredResource m = store.get(MigrationType.INSTANCE, account, ctx.pathParam("migrationId"));
        envelope.item(ctx, MIGRATION_KIND, statusItem(m, clock.now()));
    }

    private static ObjectNode statusItem(StoredResource m, long now) {
        ObjectNode item = SimJson.object();
        item.put("migrationId", m.id());
        item.put("managedInstanceId", m.object().path("managedInstanceId").asText());
        item.put("instanceId", m.object().path("data").path("originalInstanceId").asText());
        boolean done = now >= m.state().path("finishesAt").asLong();
        item.put("state", done ? "MIGRATE_FINISH" : "MIGRATE_START");
        item.put("stateDescription", done ? "Migration finished" : "Creating an image from the instance");
        return item;
    }

    private static ObjectNode migrationItem(StoredResource m, long now) {
        ObjectNode item = SimJson.object();
        item.put("migrationId", m.id());
        item.put("managedInstanceId", m.object().path("managedInstanceId").asText());
        item.set("data", m.object().path("data"));
        item.put("state", now >= m.state().path("finishesAt").asLong() ? "MIGRATE_FINISH" : "MIGRATE_START");
        return item;
    }

    // ---- bulk state ---------------------------------------------------------------------------------

    /**
     * All or nothing: every id must exist and be able to take its state, else nothing changes, also under
     * concurrent pauses and resumes ({@link InstanceActions#applyAll}).
     */
    private void updateStates(Context ctx) {
        String account = SpotApiFilter.account(ctx);
        JsonNode body = Bodies.json(ctx);
        JsonNode states = body == null ? null : body.get("managedInstanceStates");
        if (states == null || !states.isArray() || states.isEmpty()) {
            throw SpotException.validation("managedInstanceStates",
                    "\"managedInstanceStates\" must contain at least 1 object");
        }
        List<String> ids = new ArrayList<>();
        List<InstanceActions.Transition> transitions = new ArrayList<>();
        for (int i = 0; i < states.size(); i++) {
            JsonNode s = states.get(i);
            String where = "managedInstanceStates[" + i + "]";
            if (!s.isObject() || !s.path("id").isTextual()) {
                throw SpotException.validation(where + ".id", "\"" + where + ".id\" is required");
            }
            String state = s.path("state").asText("");
            InstanceActions.Transition t = switch (state) {
                case "PAUSE" -> InstanceActions.PAUSE;
                case "RESUME" -> InstanceActions.RESUME;
                default -> throw SpotException.validation(where + ".state", "\"" + where
                        + ".state\" must be one of [PAUSE, RESUME]");
            };
            String id = s.path("id").asText();
            if (ids.contains(id)) {
                throw SpotException.validation(where + ".id", "\"" + where + ".id\" is given twice");
            }
            ids.add(id);
            transitions.add(t);
        }
        actions.applyAll(account, ids, transitions); // atomic: checked and applied under one lock
        envelope.ok(ctx);
    }

    // ---- volumes ------------------------------------------------------------------------------------

    private void deleteVolume(Context ctx) {
        String account = SpotApiFilter.account(ctx);
        String mi = ctx.pathParam("id");
        String volumeId = ctx.pathParam("volumeId");
        actions.settled(account, mi); // MANAGED_INSTANCE_DOESNT_EXIST
        StoredResource v = store.exists(VolumeType.INSTANCE, account, volumeId)
                ? store.get(VolumeType.INSTANCE, account, volumeId) : null;
        if (v == null || !mi.equals(v.object().path("managedInstanceId").asText())) {
            throw VolumeType.INSTANCE.notFound(volumeId);
        }
        if (v.object().path("attached").asBoolean(false)) {
            throw SpotException.badRequest("VOLUME_IN_USE", "Volume '" + volumeId
                    + "' is attached to managed instance '" + mi + "'; only detached volumes can be deleted");
        }
        store.delete(VolumeType.INSTANCE, account, volumeId);
        envelope.ok(ctx);
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual() || v.asText().isBlank()) {
            throw SpotException.validation("migration." + field, "\"migration." + field + "\" is required");
        }
        return v.asText();
    }

    private static boolean bool(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw SpotException.validation("migration." + field, "\"migration." + field + "\" must be a boolean");
        }
        return v.asBoolean();
    }
}
