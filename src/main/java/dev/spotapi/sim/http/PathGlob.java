package dev.spotapi.sim.http;

import dev.spotapi.sim.faults.Fault;
import com.google.re2j.Pattern;

/**
 * A glob over a request path: {@code *} matches within one segment, {@code **} matches across segments.
 *
 * <p>The glob becomes a regular expression run by RE2/J, which matches in time linear in the path (an
 * automaton, no backtracking): a glob such as {@code /**}{@code /**}{@code /.../x} with dozens of {@code **}
 * against a long path answers at once instead of backtracking exponentially as {@code java.util.regex}
 * did. Globs are at most {@link Fault#MAX_PATH_LENGTH} characters.
 */
public final class PathGlob {
    private final Pattern pattern;

    private PathGlob(Pattern pattern) {
        this.pattern = pattern;
    }

    public static PathGlob compile(String glob) {
        StringBuilder regex = new StringBuilder(glob.length() * 2);
        int i = 0;
        while (i < glob.length()) {
            char c = glob.charAt(i);
            if (c == '*' && i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
                regex.append(".*");
                i += 2;
                while (i < glob.length() && glob.charAt(i) == '*') {
                    i++; // "***" is "**"
                }
            } else if (c == '*') {
                regex.append("[^/]*");
                i++;
            } else {
                regex.append(Pattern.quote(String.valueOf(c)));
                i++;
            }
        }
        return new PathGlob(Pattern.compile(regex.toString(), Pattern.DOTALL));
    }

    /** Whether the whole {@code path} matches, in time linear in its length. */
    public boolean matches(String path) {
        return pattern.matches(path);
    }
}
