package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Method;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;

/**
 * docs/reliability.md cannot drift from the tests: every {@code Class#method} it names is a test method (of this
 * package, or of another package under {@code dev.spotapi} when no class of this package has that name), and every
 * test method of this package is named in it.
 */
class ReliabilityDocTest {
    private static final Pattern REFERENCE = Pattern.compile("`?([A-Z][A-Za-z0-9]*(?:Test|IT))#([a-z][A-Za-z0-9]*)`?");
    private static final String PACKAGE = ReliabilityDocTest.class.getPackageName();

    @Test
    void everyTestNamedInTheDocExists() throws Exception {
        Set<String> named = namedInDoc();
        assertThat(named).as("the doc names tests").hasSizeGreaterThan(20);

        List<String> missing = new ArrayList<>();
        for (String reference : named) {
            String[] parts = reference.split("#");
            Class<?> type = find(parts[0]);
            if (type == null) {
                missing.add(reference + " (no class " + parts[0] + ")");
                continue;
            }
            if (!testMethods(type).contains(parts[1])) {
                missing.add(reference + " (no test method " + parts[1] + ")");
            }
        }
        assertThat(missing).as("tests named in docs/reliability.md that do not exist").isEmpty();
    }

    @Test
    void everyTestOfThisPackageIsNamedInTheDoc() throws Exception {
        Set<String> named = namedInDoc();
        List<String> undocumented = new ArrayList<>();
        for (Class<?> type : testClasses()) {
            if (type == ReliabilityDocTest.class) {
                continue;
            }
            for (String method : testMethods(type)) {
                if (!named.contains(type.getSimpleName() + "#" + method)) {
                    undocumented.add(type.getSimpleName() + "#" + method);
                }
            }
        }
        assertThat(undocumented).as("hardening tests missing from docs/reliability.md").isEmpty();
    }

    private static Set<String> namedInDoc() throws IOException {
        Path doc = docPath();
        assertThat(doc).as("docs/reliability.md").exists();
        Set<String> named = new LinkedHashSet<>();
        Matcher m = REFERENCE.matcher(Files.readString(doc));
        while (m.find()) {
            named.add(m.group(1) + "#" + m.group(2));
        }
        return named;
    }

    private static Path docPath() {
        Path fromBasedir = Path.of(System.getProperty("basedir", "."), "docs", "reliability.md");
        return Files.exists(fromBasedir) ? fromBasedir : Path.of("docs", "reliability.md");
    }

    private static Set<String> testMethods(Class<?> type) {
        Set<String> names = new TreeSet<>();
        for (Method m : type.getDeclaredMethods()) {
            if (m.isAnnotationPresent(Test.class) || m.isAnnotationPresent(ParameterizedTest.class)) {
                names.add(m.getName());
            }
        }
        return names;
    }

    /** The test class of that simple name: this package's, else the one of that name anywhere under dev.spotapi. */
    private static Class<?> find(String simpleName) throws IOException, URISyntaxException {
        try {
            return Class.forName(PACKAGE + "." + simpleName);
        } catch (ClassNotFoundException e) {
            Path root = Path.of(ReliabilityDocTest.class.getResource("ReliabilityDocTest.class").toURI()).getParent()
                    .getParent();
            try (Stream<Path> files = Files.walk(root)) {
                List<Path> found = files.filter(f -> f.getFileName().toString().equals(simpleName + ".class")).toList();
                if (found.size() != 1) {
                    return null;
                }
                String name = root.getParent().getParent().relativize(found.get(0)).toString()
                        .replace(java.io.File.separatorChar, '.');
                return Class.forName(name.substring(0, name.length() - ".class".length()));
            } catch (ClassNotFoundException notThere) {
                return null;
            }
        }
    }

    /** The compiled classes of this package that hold tests. */
    private static List<Class<?>> testClasses() throws IOException, URISyntaxException, ClassNotFoundException {
        Path dir = Path.of(ReliabilityDocTest.class.getResource("ReliabilityDocTest.class").toURI()).getParent();
        List<Class<?>> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) {
                String name = f.getFileName().toString();
                if ((name.endsWith("Test.class") || name.endsWith("IT.class")) && !name.contains("$")) {
                    out.add(Class.forName(PACKAGE + "." + name.substring(0, name.length() - ".class".length())));
                }
            }
        }
        assertThat(out).as("test classes found next to ReliabilityDocTest").hasSizeGreaterThan(5);
        return out;
    }
}
