package dev.spotapi.spot;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What a delete leaves behind: the stateful resources the caller keeps ({@code ?keep=} of spot-api's
 * delete routes). Everything not kept is deleted with the object, as the old service always did.
 * Spot's flags: {@code shouldDeleteImages|NetworkInterfaces|Volumes|Snapshots} in a group's
 * {@code statefulDeallocation} and a managed instance's {@code deallocationConfig} (OAS
 * {@code elastigroup-delete}, {@code mi-delete}); for managed instances also {@code amiBackup.shouldDeleteImages}
 * ({@link #amiBackup()}).
 */
public record Deallocation(Set<Kept> kept) {
    /** Delete everything (the default). */
    public static final Deallocation DELETE_ALL = new Deallocation(EnumSet.noneOf(Kept.class));

    /** A resource kind that can be kept, by its name in {@code ?keep=} and its Spot flag. */
    public enum Kept {
        VOLUMES("volumes", "shouldDeleteVolumes"),
        SNAPSHOTS("snapshots", "shouldDeleteSnapshots"),
        IMAGES("images", "shouldDeleteImages"),
        NETWORK_INTERFACES("networkInterfaces", "shouldDeleteNetworkInterfaces"),
        /**
         * A managed instance's AMI backups: Spot's {@code amiBackup.shouldDeleteImages} (OAS {@code mi-delete};
         * Go SDK {@code DeleteManagedInstanceInput.AMIBackup}; Terraform's default managed-instance delete sends
         * it true). Not a flag of {@link #flags()}: see {@link #amiBackup()}. Groups have no such flag.
         */
        AMI_BACKUPS("amiBackups", null);

        private final String param;
        private final String flag;

        Kept(String param, String flag) {
            this.param = param;
            this.flag = flag;
        }

        public String param() {
            return param;
        }
    }

    public Deallocation {
        kept = kept.isEmpty() ? EnumSet.noneOf(Kept.class) : EnumSet.copyOf(kept);
    }

    /**
     * Reads the values of {@code ?keep=} (each a comma-separated list; repeated parameters add up;
     * names match case-insensitively; empty entries are ignored).
     *
     * @throws IllegalArgumentException naming the unknown value and the allowed ones
     */
    public static Deallocation parseKeep(List<String> values) {
        EnumSet<Kept> kept = EnumSet.noneOf(Kept.class);
        for (String value : values) {
            for (String part : value.split(",", -1)) {
                String name = part.trim();
                if (name.isEmpty()) {
                    continue;
                }
                kept.add(find(name));
            }
        }
        return new Deallocation(kept);
    }

    /** This plus {@code more} kept. */
    public Deallocation keeping(Set<Kept> more) {
        EnumSet<Kept> all = EnumSet.noneOf(Kept.class);
        all.addAll(kept);
        all.addAll(more);
        return new Deallocation(all);
    }

    /** The four {@code shouldDelete*} flags of the deallocation: true for what is not kept. */
    public ObjectNode flags() {
        ObjectNode flags = JsonNodeFactory.instance.objectNode();
        for (Kept k : Kept.values()) {
            if (k.flag != null) {
                flags.put(k.flag, !kept.contains(k));
            }
        }
        return flags;
    }

    /**
     * A managed instance delete's {@code amiBackup}: {@code {"shouldDeleteImages": true}} unless
     * {@code amiBackups} is kept (issue 24: "delete everything" deletes the AMI backups too, as Terraform's
     * default delete does; without the flag Spot leaves them behind).
     */
    public ObjectNode amiBackup() {
        return JsonNodeFactory.instance.objectNode().put("shouldDeleteImages", !kept.contains(Kept.AMI_BACKUPS));
    }

    private static Kept find(String name) {
        for (Kept k : Kept.values()) {
            if (k.param.toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))) {
                return k;
            }
        }
        List<String> allowed = new ArrayList<>();
        for (Kept k : Kept.values()) {
            allowed.add(k.param);
        }
        String shown = name.length() > 40 ? name.substring(0, 40) + "..." : name;
        throw new IllegalArgumentException("unknown keep value '" + shown + "': allowed are "
                + String.join(", ", allowed));
    }
}
