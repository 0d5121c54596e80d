package dev.spotapi.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * README.md and docs/*.md link to each other since the reference moved to docs/ (issue 25): every relative
 * link names a file that exists and, with a {@code #fragment}, a heading of that file (GitHub's anchors:
 * lower case, punctuation dropped, spaces as hyphens). The README also has one "Contents" list only.
 */
class DocsLinksTest {
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");
    private static final Pattern HEADING = Pattern.compile("(?m)^#{1,6} (.+)$");
    private static final Pattern CODE = Pattern.compile("(?ms)^```.*?^```");

    static List<Path> documents() throws IOException {
        List<Path> docs = new ArrayList<>(List.of(Path.of("README.md")));
        try (Stream<Path> files = Files.list(Path.of("docs"))) {
            files.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
        }
        return docs;
    }

    /** GitHub's anchor of a heading. */
    static String anchor(String heading) {
        return heading.strip().toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}_\\- ]", "").replace(' ', '-');
    }

    private static String prose(Path doc) throws IOException {
        return CODE.matcher(Files.readString(doc, StandardCharsets.UTF_8)).replaceAll("");
    }

    private static Set<String> anchors(Path doc) throws IOException {
        Set<String> out = new HashSet<>();
        Matcher m = HEADING.matcher(prose(doc));
        while (m.find()) {
            out.add(anchor(m.group(1)));
        }
        return out;
    }

    @Test
    void everyRelativeLinkAndAnchorResolves() throws IOException {
        List<String> broken = new ArrayList<>();
        int checked = 0;
        for (Path doc : documents()) {
            Matcher m = LINK.matcher(prose(doc));
            while (m.find()) {
                String link = m.group(1);
                if (link.matches("[a-z]+:.*")) {
                    continue; // https:, mailto:
                }
                checked++;
                int hash = link.indexOf('#');
                String file = hash < 0 ? link : link.substring(0, hash);
                Path target = file.isEmpty() ? doc : doc.toAbsolutePath().getParent().resolve(file).normalize();
                if (!Files.exists(target)) {
                    broken.add(doc + ": " + link + " (no file " + target + ")");
                } else if (hash >= 0 && target.toString().endsWith(".md")
                        && !anchors(target).contains(link.substring(hash + 1))) {
                    broken.add(doc + ": " + link + " (no such heading)");
                }
            }
        }
        assertThat(broken).isEmpty();
        assertThat(checked).isGreaterThan(30);
    }

    /** The developers' guide: every difference from the Go service is listed in the README itself, not in docs/. */
    @Test
    void theDifferencesFromTheGoServiceStayInTheReadme() throws IOException {
        Pattern heading = Pattern.compile("(?m)^## Differences from the Go service$");
        assertThat(heading.matcher(prose(Path.of("README.md"))).results().count()).isEqualTo(1);
        for (Path doc : documents().subList(1, documents().size())) {
            assertThat(heading.matcher(prose(doc)).find()).as(doc + " holds no second Differences list").isFalse();
        }
    }

    @Test
    void theReadmeHasOneContentsListAndNoTableBrokenByABlankLine() throws IOException {
        for (Path doc : documents()) {
            String text = prose(doc);
            assertThat(Pattern.compile("(?m)^#+ Contents$").matcher(text).results().count()).as(doc.toString()).isLessThanOrEqualTo(1);
            // a table row, a blank line, then another row: two tables where one was meant
            assertThat(text).as(doc + ": a table broken by a blank line").doesNotContainPattern("(?m)^\\|.*\\|\\n\\n\\|.*\\|\\n(?!\\| ---)");
        }
    }
}
