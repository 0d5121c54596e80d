package dev.spotapi.sim.state;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One group or managed instance as stored: the Spot object exactly as clients see it, and beside it
 * the simulated state (lifecycle, fake EC2 instances, active intervals) that Spot keeps elsewhere.
 * Both nodes are treated as immutable once stored: every change stores new copies.
 */
public record StoredResource(String id, ObjectNode object, ObjectNode state) {
    String createdAt() {
        return object.path("createdAt").asText("");
    }
}
