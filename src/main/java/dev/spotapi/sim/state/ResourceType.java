package dev.spotapi.sim.state;

import dev.spotapi.sim.http.ResourceRoutes;
import dev.spotapi.sim.SpotException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What differs between elastigroups and managed instances for the shared CRUD mechanism in
 * {@link ResourceRoutes}: names, id prefix, validation and the simulated state kept beside the object.
 */
public interface ResourceType {
    /** Path of the collection, e.g. {@code /aws/ec2/group}. */
    String basePath();

    /** Body wrapper key and storage name, e.g. {@code group}. */
    String wrapper();

    String idPrefix();

    /** {@code response.kind} of replies carrying the object. */
    String kind();

    String notFoundCode();

    String notFoundMessage(String id);

    /** Checks a complete object (after create or merge); throws a ValidationError. */
    void validate(ObjectNode object);

    /**
     * Checks what an update may not change, given the stored object and the merged result; throws a
     * ValidationError. By default everything may change.
     */
    default void validateUpdate(ObjectNode before, ObjectNode after) {
    }

    /**
     * Checks a simulated state read from a snapshot.
     *
     * @throws IllegalArgumentException when it cannot be used
     */
    void checkState(ObjectNode state);

    ObjectNode initialState(ObjectNode object, long now);

    /** State after the object was updated (e.g. a group whose capacity target changed). */
    ObjectNode stateAfterUpdate(ObjectNode object, ObjectNode state, long now);

    /**
     * Checks a delete's body ({@code {}} or none, or the type's deallocation options); throws a ValidationError
     * before anything is deleted. By default any object is accepted.
     */
    default void validateDelete(ObjectNode body) {
    }

    /** What a delete of {@code id} with {@code body} (possibly empty) does beside removing it; nothing by default. */
    default void afterDelete(ResourceStore store, String account, String id, ObjectNode body, long now) {
    }

    /** How the object appears in the List reply. */
    JsonNode listItem(StoredResource resource);

    default SpotException notFound(String id) {
        return SpotException.badRequest(notFoundCode(), notFoundMessage(id));
    }
}
