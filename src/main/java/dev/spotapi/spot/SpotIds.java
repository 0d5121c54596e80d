package dev.spotapi.spot;

import java.util.regex.Pattern;

/** What a Spot id looks like; anything else never reaches Spot. */
public final class SpotIds {
    private static final Pattern GROUP = Pattern.compile("sig-[0-9a-z]{4,32}");
    private static final Pattern MANAGED_INSTANCE = Pattern.compile("smi-[0-9a-z]{4,32}");

    private SpotIds() {
    }

    public static boolean isGroupId(String id) {
        return id != null && GROUP.matcher(id).matches();
    }

    public static boolean isManagedInstanceId(String id) {
        return id != null && MANAGED_INSTANCE.matcher(id).matches();
    }
}
