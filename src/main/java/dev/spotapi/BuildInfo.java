package dev.spotapi;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** Version, git commit and build time stamped into the jar at build time. */
public record BuildInfo(String version, String githash, String buildstamp) {
    private static final BuildInfo CURRENT = load();

    public static BuildInfo current() {
        return CURRENT;
    }

    private static BuildInfo load() {
        Properties p = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream("/spot-api-version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // a jar without the stamp still runs; it reports "unknown"
        }
        return new BuildInfo(clean(p.getProperty("version")), clean(p.getProperty("githash")),
                clean(p.getProperty("buildstamp")));
    }

    private static String clean(String value) {
        return value == null || value.isBlank() || value.startsWith("${") ? "unknown" : value.strip();
    }

    public String userAgent() {
        return "spot-api-java/" + version;
    }
}
