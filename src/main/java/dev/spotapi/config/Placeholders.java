package dev.spotapi.config;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Recognises the placeholder values of example configs (deploy/k8s's example Secret, README
 * snippets), so that a service deployed with them stops at start-up instead of running with a
 * known key. A value is a placeholder when, ignoring case and surrounding blanks, it
 * <ul>
 *   <li>starts with {@code REPLACE} (the example Secret's {@code REPLACE-WITH-…}, {@code REPLACE_ME}),</li>
 *   <li>is one of {@code CHANGEME}, {@code CHANGE-ME}, {@code CHANGE_ME}, {@code CHANGEIT}, {@code TODO},
 *       {@code FIXME}, {@code PLACEHOLDER}, {@code EXAMPLE}, {@code YOUR-TOKEN}, {@code YOUR-KEY},</li>
 *   <li>is wrapped in angle brackets ({@code <your-key>}) or is an unexpanded {@code ${VARIABLE}}, or</li>
 *   <li>is only {@code x}, {@code *} or {@code .} characters (three or more: {@code xxxx}, {@code ***}).</li>
 * </ul>
 * The same list is in docs/configuration.md ("The config file").
 */
public final class Placeholders {
    private static final Set<String> EXACT = Set.of("changeme", "change-me", "change_me", "changeit", "todo",
            "fixme", "placeholder", "example", "your-token", "your-key");
    private static final Pattern SHAPES = Pattern.compile("<.*>|\\$\\{.*}|[x*.]{3,}", Pattern.DOTALL);

    private Placeholders() {
    }

    /** True when {@code value} is one of the placeholder values above; false for null. */
    public static boolean isPlaceholder(String value) {
        if (value == null) {
            return false;
        }
        String v = value.strip().toLowerCase(Locale.ROOT);
        return v.startsWith("replace") || EXACT.contains(v) || SHAPES.matcher(v).matches();
    }

    /** Throws a {@link ConfigException} naming {@code field} when {@code value} is a placeholder. */
    static void refuse(String field, String value, String what) {
        if (isPlaceholder(value)) {
            throw new ConfigException(field + ": still the example's placeholder value; set " + what);
        }
    }
}
