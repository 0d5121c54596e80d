package dev.spotapi.org;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.spot.ListView;
import dev.spotapi.spot.SpotClient;
import dev.spotapi.spot.SpotException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Which Spot resources belong to this deployment: those whose {@code compute.launchSpecification.tags}
 * (where elastigroups and managed instances both keep their tags, OAS {@code elastigroup-compute} and
 * {@code mi-compute}) hold {@code spinup:org} = the configured org. The one place that reads and writes
 * that tag; with isolation off every check passes and bodies go to Spot unchanged.
 */
public final class Ownership {
    /** The tag that names a resource's org. */
    public static final String ORG_TAG = "spinup:org";
    /** The tag that names a resource's space, for {@code ?space=} filters. */
    public static final String SPACE_TAG = "spinup:spaceid";
    /**
     * The UTC day ({@code yyyy-MM-dd}) a resource created without a space got one (the tag route or an update): the
     * cost roll-up counts its days before it under no space, as Cost Explorer groups by the tag at usage time. Set
     * by spot-api only; a resource created in its space has none.
     */
    public static final String SPACE_SINCE_TAG = "spot-api:space-since";

    private final String org;
    private final boolean enforced;
    private final String importNamePrefix;

    /**
     * @param org      the configured org
     * @param enforced false for {@code orgIsolation: off}
     */
    public Ownership(String org, boolean enforced) {
        this.org = org;
        this.enforced = enforced;
        this.importNamePrefix = IMPORT_NAME_PREFIX + mark(org) + '-';
    }

    private static String mark(String org) {
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(("spinup:org=" + org).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(digest, 0, 4);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // every JDK has SHA-256
        }
    }

    /**
     * The one NOT_FOUND for a caller's id that is missing at Spot, another org's or untagged, on routes the org guard
     * does not cover: the same operation, words and fields whichever it is, and nothing of Spot's own answer (its
     * wording, its request id), so that the caller cannot tell them apart (attack round 13: the tag route and the
     * import status passed Spot's "Group: 'sig-...' does not exist" for a missing id and their own words for another
     * org's).
     *
     * @param operation the failed operation as the answer names it ({@code get managed instance})
     * @param noun      the object's noun ({@code managed instance}, {@code migration})
     */
    public static SpotException missing(String operation, String noun, String id) {
        return new SpotException(SpotException.Kind.NOT_FOUND, operation, 404, null, noun + " '" + id + "' does not exist",
                null, null, false);
    }

    /**
     * {@code future}, failing with {@link #missing} instead of any NOT_FOUND; any other failure (Spot failing,
     * throttling) as it is.
     */
    public static <T> CompletableFuture<T> orMissing(String operation, String noun, String id, CompletableFuture<T> future) {
        return future.handle((value, failure) -> {
            if (failure == null) {
                return value;
            }
            Throwable cause = SpotClient.unwrap(failure);
            if (cause instanceof SpotException s && s.kind() == SpotException.Kind.NOT_FOUND) {
                throw missing(operation, noun, id);
            }
            throw cause instanceof CompletionException c ? c : new CompletionException(cause);
        });
    }

    /**
     * {@code read} (a Spot object), failing with {@link #missing} when Spot says it does not exist or, with isolation
     * on, when it is not this org's; any other failure as it is.
     */
    public CompletableFuture<JsonNode> owned(String operation, String noun, String id, CompletableFuture<JsonNode> read) {
        return orMissing(operation, noun, id, read).thenApply(object -> {
            if (enforced && !owns(object)) {
                throw missing(operation, noun, id);
            }
            return object;
        });
    }

    public String org() {
        return org;
    }

    /**
     * The start of the name a managed instance has while an import is in flight (Spot's import body takes no tags, so
     * until spot-api tags it the instance is found by this name): followed by the deployment's import mark
     * ({@link #importNamePrefix}) and the request's correlation token. A caller's name may not start so.
     */
    public static final String IMPORT_NAME_PREFIX = "spot-api-import-";

    /**
     * {@link #IMPORT_NAME_PREFIX}, this org's mark (8 hex digits of a SHA-256 of the org) and {@code -}: the start of the
     * in-flight name of this deployment's imports, so that {@code org-adopt} of another org leaves them alone (attack
     * round 22: another org's {@code org-adopt} tagged an import whose tag write had failed, and its own org's keyed
     * retry could no longer claim it).
     */
    public String importNamePrefix() {
        return importNamePrefix;
    }

    /**
     * Whether {@code name} is the in-flight name of an import that is not this org's: another deployment's, or one
     * named by a build before the mark (whose org cannot be told).
     */
    public boolean anotherOrgsImport(String name) {
        return name != null && name.startsWith(IMPORT_NAME_PREFIX) && !name.startsWith(importNamePrefix);
    }

    public boolean enforced() {
        return enforced;
    }

    /**
     * Whether a Spot read counts as found in the call metrics ({@link dev.spotapi.spot.SpotClient#countedFoundOnlyIf}):
     * a read of one elastigroup or managed instance ({@code GET /aws/ec2/group/{id}}, {@code
     * GET /aws/ec2/managedInstance/{id}}) only when the object is this org's (isolation enforced), as every caller is
     * answered another org's object as missing; every other read, lists included, always.
     */
    public boolean countedAsFound(dev.spotapi.spot.SpotCall call, dev.spotapi.spot.SpotReply reply) {
        if (!enforced || !call.isRead() || !SINGLE_OBJECT.matcher(call.path()).matches()) {
            return true;
        }
        return reply.firstItem().map(this::owns).orElse(false);
    }

    private static final java.util.regex.Pattern SINGLE_OBJECT =
            java.util.regex.Pattern.compile("/aws/ec2/(group|managedInstance)/[^/]+");

    /**
     * True when the resource (a Spot object as a read answers it; list items unwrapped by
     * {@link dev.spotapi.spot.SpotResource#list}) is ours.
     */
    public boolean owns(JsonNode resource) {
        return org.equals(tag(resource, ORG_TAG));
    }

    /** Whether a list item is shown: ours (when enforced) and, when {@code space} is given, of that space. */
    public boolean listed(JsonNode item, String space) {
        if (enforced && !owns(item)) {
            return false;
        }
        return space == null || space.equals(tag(item, SPACE_TAG));
    }

    /**
     * The fields of a resource that {@link #listed} reads (its {@link #tags}): a streamed list reads no other
     * ({@link dev.spotapi.spot.SpotResource#listIds}).
     */
    public static final ListView.Fields LISTED_READS = ListView.Fields.none().whole("compute.launchSpecification.tags");

    /** Names what {@link #listed}{@code (item, space)} accepts: equal names, equal decisions. */
    public String listedKey(String space) {
        return (enforced ? "org " + org.length() + ":" + org : "any org")
                + (space == null ? ", any space" : ", space " + space.length() + ":" + space);
    }

    /** The value of tag {@code key} of a resource, or null when it has none. */
    public static String tag(JsonNode resource, String key) {
        for (JsonNode t : tags(resource)) {
            JsonNode k = t.get("tagKey");
            if (k != null && key.equals(k.asText())) {
                JsonNode v = t.get("tagValue");
                return v == null || v.isNull() ? "" : v.asText();
            }
        }
        return null;
    }

    /**
     * The tags array of a resource (missing when it has none), from the one place Spot keeps them:
     * {@code compute.launchSpecification.tags} of the object itself (OAS {@code elastigroup-compute},
     * {@code mi-compute}; Go SDK {@code LaunchSpecification.Tags}). A tag anywhere else, such as under an
     * unknown top-level {@code config}, is caller data and never decides ownership.
     */
    public static JsonNode tags(JsonNode resource) {
        return resource.path("compute").path("launchSpecification").path("tags");
    }

    /**
     * A create body with our tag set: any {@code spinup:org} the caller sent is replaced, other tags kept.
     * Answers the body unchanged when isolation is off.
     */
    public ObjectNode forCreate(ObjectNode body) {
        requireTagPlace(body, false);
        if (!enforced) {
            return body;
        }
        ObjectNode copy = body.deepCopy();
        ObjectNode launchSpecification = object(object(copy, "compute"), "launchSpecification");
        JsonNode tags = launchSpecification.get("tags");
        launchSpecification.set("tags", withOurTag(tags instanceof ArrayNode a ? a : copy.arrayNode()));
        return copy;
    }

    /**
     * Refuses a create or update body whose tags' place, {@code compute.launchSpecification.tags}, has another shape
     * than Spot's ({@code compute} and {@code launchSpecification} objects, {@code tags} an array; OAS
     * {@code elastigroup-compute}, {@code mi-compute}): leaving such a body to Spot (attack round 11: a create whose
     * {@code tags} was an object was then sent with a tag array of spot-api's own making) could make or leave an object
     * without its org tag, which no org owns. On an update, {@code compute} or {@code launchSpecification} set to
     * null (which would unset them in Spot, tags and all) is refused too; {@code tags} null is kept as ours.
     *
     * @return {@code body}
     * @throws IllegalArgumentException (400) naming the field
     */
    public static ObjectNode requireTagPlace(ObjectNode body, boolean update) {
        JsonNode compute = body.get("compute");
        if (compute == null || (compute.isNull() && !update)) {
            return body;
        }
        if (!compute.isObject()) {
            throw new IllegalArgumentException("compute must be an object");
        }
        JsonNode launchSpecification = compute.get("launchSpecification");
        if (launchSpecification == null || (launchSpecification.isNull() && !update)) {
            return body;
        }
        if (!launchSpecification.isObject()) {
            throw new IllegalArgumentException("compute.launchSpecification must be an object");
        }
        JsonNode tags = launchSpecification.get("tags");
        if (tags != null && !tags.isNull() && !tags.isArray()) {
            throw new IllegalArgumentException("compute.launchSpecification.tags must be an array of"
                    + " {\"tagKey\", \"tagValue\"} objects");
        }
        return body;
    }

    /**
     * An update body that cannot drop or change our tag: Spot replaces arrays, so when the update sends
     * {@code compute.launchSpecification.tags} our tag is put (back) into that array. An update that
     * does not touch tags leaves the stored ones, ours included, alone.
     */
    public ObjectNode forUpdate(ObjectNode partial) {
        requireTagPlace(partial, true);
        if (!enforced) {
            return partial;
        }
        JsonNode tags = partial.path("compute").path("launchSpecification").get("tags");
        if (tags == null) {
            return partial;
        }
        ObjectNode copy = partial.deepCopy();
        ObjectNode launchSpecification = (ObjectNode) copy.path("compute").path("launchSpecification");
        // a null would unset every tag at Spot (issue 24: an update's nulls go through): ours stays
        launchSpecification.set("tags", withOurTag(tags.isNull() ? copy.arrayNode() : (ArrayNode) tags));
        return copy;
    }

    /** A copy of {@code tags} without any {@code spinup:org} entry, then ours at the end. */
    public ArrayNode withOurTag(ArrayNode tags) {
        ArrayNode out = tags.arrayNode();
        for (JsonNode t : tags) {
            if (!(t.isObject() && ORG_TAG.equals(t.path("tagKey").asText(null)))) {
                out.add(t.deepCopy());
            }
        }
        out.addObject().put("tagKey", ORG_TAG).put("tagValue", org);
        return out;
    }

    /** The object at {@code field}, created when absent or null; null when something else is there. */
    private static ObjectNode object(ObjectNode parent, String field) {
        JsonNode child = parent.get(field);
        if (child instanceof ObjectNode o) {
            return o;
        }
        return child == null || child.isNull() ? parent.putObject(field) : null;
    }
}
