package dev.spotapi.spot;

import java.util.Optional;

/**
 * The {@code response.kind} Spot names for the items of each call (contract §3.1, §3.2; OpenAPI
 * {@code spot-aws.yaml}). A reply whose kind differs is not the object asked for: {@link EnvelopeDecoder}
 * refuses it. Paths whose kind is not evidenced (group {@code /status}, routes added later) accept any
 * {@code spotinst:} kind.
 */
public final class SpotKinds {
    public static final String GROUP = "spotinst:aws:ec2:group";
    public static final String SCALE = "spotinst:aws:ec2:scale";
    public static final String MANAGED_INSTANCE = "spotinst:aws:ec2:managedInstance";
    public static final String MANAGED_INSTANCE_STATUS = "spotinst:aws:ec2:managedInstanceStatus";
    public static final String MANAGED_INSTANCE_COSTS = "spotinst:aws:ec2:managedInstance:costs";
    /** Import (migration) and its status: OAS responses {@code migration}, {@code migrationStatus}. */
    public static final String MIGRATION = "spotinst:aws:ec2:managedInstance:migration";

    private static final String GROUPS = "/aws/ec2/group";
    private static final String INSTANCES = "/aws/ec2/managedInstance";

    private SpotKinds() {
    }

    /** The kind Spot names for the items of a call to {@code path}, when it is known. */
    public static Optional<String> expected(String path) {
        String[] s = path.split("/", -1); // "", aws, ec2, group|managedInstance, id, sub, sub2
        if (s.length < 4 || !s[0].isEmpty() || !"aws".equals(s[1]) || !"ec2".equals(s[2])) {
            return Optional.empty();
        }
        boolean groups = path.startsWith(GROUPS) && "group".equals(s[3]);
        boolean instances = path.startsWith(INSTANCES) && "managedInstance".equals(s[3]);
        if (instances && s.length >= 5 && "migration".equals(s[4])) {
            return Optional.of(MIGRATION);
        }
        if (s.length == 5 && !(groups && s[4].startsWith("sig-") || instances && s[4].startsWith("smi-"))) {
            // a route of its own, not an object by id (contract §9.12: PUT /aws/ec2/managedInstance/state is Spot's
            // bulk pause/resume, whose kind no source names; attack round 19 read it as a managed instance)
            return Optional.empty();
        }
        if (s.length <= 5) {
            return groups ? Optional.of(GROUP) : instances ? Optional.of(MANAGED_INSTANCE) : Optional.empty();
        }
        if (groups && s.length == 7 && "scale".equals(s[5])) {
            return Optional.of(SCALE);
        }
        if (instances && s.length == 6 && "status".equals(s[5])) {
            return Optional.of(MANAGED_INSTANCE_STATUS);
        }
        if (instances && s.length == 6 && "costs".equals(s[5])) {
            return Optional.of(MANAGED_INSTANCE_COSTS);
        }
        return Optional.empty();
    }

    /** Whether {@code kind} is an acceptable {@code response.kind} for a call to {@code path}. */
    public static boolean accepts(String path, String kind) {
        return expected(path).map(kind::equals).orElseGet(() -> kind.startsWith("spotinst:"));
    }
}
