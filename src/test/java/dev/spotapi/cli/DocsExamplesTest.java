package dev.spotapi.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code ```sh} block of README.md and docs/*.md, run as written by bash against one sandbox started as
 * a user starts it ({@code --sandbox}), after the banner's {@code export B=… T='…' S=…} line: per document,
 * its blocks in file order in one shell (a block may use the variables an earlier block of the same
 * document set), under {@code set -euo pipefail}, with {@code curl} failing on any HTTP error status
 * ({@code --fail-with-body}), so a placeholder id that answers 404 fails the run.
 *
 * <p>The rule for what is not run: a block fenced otherwise ({@code console}, {@code text}, …) that holds a
 * command ({@code curl}, {@code kubectl}, {@code docker}, {@code java}, {@code ./spot-api}, …) must be
 * announced by an HTML comment {@code <!-- not run: <reason> -->} on the line before it; such blocks are
 * listed (document, line, reason) on standard output, never left out silently. A {@code sh} block announced
 * as not run is an error.
 */
@Order(14) // long: started first
class DocsExamplesTest {
    private static final Duration START = Duration.ofSeconds(240); // generous: the machine may be shared
    private static final Pattern FENCE = Pattern.compile("(?m)^```([A-Za-z0-9_-]*)[ \\t]*\\n(.*?)^```[ \\t]*$", Pattern.DOTALL);
    private static final Pattern NOT_RUN = Pattern.compile("<!--\\s*not run:\\s*(\\S[^>]*?)\\s*-->\\s*$");
    private static final Pattern COMMAND = Pattern.compile(
            "(?m)^\\s*(?:\\$\\s+)?(?:[A-Z_]+=\\S*\\s+)*(curl|kubectl|docker|podman|kind|ctr|helm|kustomize|java|wrk|bash"
            + "|\\./spot-api|\\./mvnw|mvn)\\b");

    @TempDir
    static Path dir;
    private static ProgramRun sandbox;
    private static String exportLine;

    /** One fenced block: where it is, its fence word, its text, and the reason it is not run (or null). */
    record Block(Path doc, int line, String fence, String code, String notRun) {
        String where() {
            return doc + ":" + line;
        }
    }

    /** README.md first, then docs/*.md by name. */
    static List<Path> documents() throws IOException {
        List<Path> docs = new ArrayList<>();
        docs.add(Path.of("README.md"));
        try (Stream<Path> files = Files.list(Path.of("docs"))) {
            files.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
        }
        return docs;
    }

    static List<Block> blocks(Path doc) throws IOException {
        String text = Files.readString(doc, StandardCharsets.UTF_8);
        List<Block> out = new ArrayList<>();
        Matcher m = FENCE.matcher(text);
        while (m.find()) {
            int line = 1 + (int) text.substring(0, m.start()).chars().filter(c -> c == '\n').count();
            String before = text.substring(0, m.start()).stripTrailing();
            String previous = before.substring(before.lastIndexOf('\n') + 1);
            Matcher reason = NOT_RUN.matcher(previous);
            out.add(new Block(doc, line, m.group(1), m.group(2), reason.find() ? reason.group(1) : null));
        }
        return out;
    }

    @BeforeAll
    static void startSandbox() throws Exception {
        int port = ProgramRun.freePort();
        sandbox = ProgramRun.start(dir, Map.of("SPOT_API_LISTEN", "127.0.0.1:" + port),
                "--sandbox", "--sandbox-dir", dir.resolve("sandbox").toString());
        String banner = sandbox.awaitLine(l -> l.contains("export B="), START);
        exportLine = banner.substring(banner.indexOf("export "));
        assertThat(exportLine).contains(" S=http://127.0.0.1:");
    }

    @AfterAll
    static void stopSandbox() {
        if (sandbox != null) {
            sandbox.close();
        }
    }

    /** The rule for blocks that are not run: announced with a reason, never a {@code sh} block, and listed. */
    @Test
    void everyBlockWithACommandIsRunOrSaysWhyNot() throws Exception {
        List<String> problems = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        int run = 0;
        for (Path doc : documents()) {
            for (Block b : blocks(doc)) {
                boolean command = COMMAND.matcher(b.code()).find();
                if ("sh".equals(b.fence())) {
                    run++;
                    if (b.notRun() != null) {
                        problems.add(b.where() + ": a sh block is always run; fence it otherwise to skip it");
                    }
                } else if (command && b.notRun() == null) {
                    problems.add(b.where() + ": a ```" + b.fence() + " block with a command and no <!-- not run: reason -->"
                            + " (fence it sh to have it run)");
                } else if (b.notRun() != null) {
                    skipped.add(b.where() + " (```" + b.fence() + "): " + b.notRun());
                }
            }
        }
        System.out.println("DocsExamplesTest: " + run + " sh blocks run; skipped by rule (<!-- not run: … -->):");
        skipped.forEach(s -> System.out.println("  " + s));
        assertThat(problems).isEmpty();
        assertThat(run).as("sh blocks in README.md and docs/").isGreaterThan(10);
    }

    @TestFactory
    Stream<DynamicTest> everyShBlockRunsAsWrittenAgainstTheSandbox() throws Exception {
        List<DynamicTest> tests = new ArrayList<>();
        for (Path doc : documents()) {
            List<Block> sh = blocks(doc).stream().filter(b -> "sh".equals(b.fence())).toList();
            if (!sh.isEmpty()) {
                tests.add(DynamicTest.dynamicTest(doc.toString(), () -> check(doc, runDocument(doc, sh))));
            }
        }
        assertThat(tests.stream().map(DynamicTest::getDisplayName))
                .contains("README.md", Path.of("docs", "api.md").toString(), Path.of("docs", "simulator.md").toString());
        return tests.stream();
    }

    /** A document's sh blocks in one bash, in file order, each announced on the output by its place. */
    private static String runDocument(Path doc, List<Block> blocks) throws Exception {
        StringBuilder script = new StringBuilder("set -euo pipefail\n")
                .append("curl() { command curl --fail-with-body \"$@\"; }\n") // an HTTP error status stops the run
                .append(exportLine).append('\n');
        for (Block b : blocks) {
            script.append("echo '@@ ").append(b.where()).append("'\n").append(b.code());
        }
        Path work = Files.createTempDirectory(dir, "work");
        Process bash = new ProcessBuilder("bash", "-c", script.toString()).directory(work.toFile())
                .redirectErrorStream(true).start();
        bash.getOutputStream().close();
        StringBuilder out = new StringBuilder();
        Thread reader = new Thread(() -> {
            try {
                out.append(new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException ignored) {
                // the process ended
            }
        });
        reader.start();
        boolean done = bash.waitFor(3, TimeUnit.MINUTES);
        if (!done) {
            bash.destroyForcibly();
        }
        reader.join(5_000);
        String output = out.toString();
        String last = output.contains("@@ ") ? output.substring(output.lastIndexOf("@@ ")).lines().findFirst().orElse("") : "";
        assertThat(done).as("%s finished within 3 minutes; last block started: %s; output:%n%s", doc, last, output).isTrue();
        assertThat(bash.exitValue()).as("%s: bash exit code; failed in the block %s; output:%n%s", doc, last, output).isZero();
        return output;
    }

    /** What some documents' runs must show, beyond every command succeeding. */
    private static void check(Path doc, String out) {
        if (doc.toString().equals("README.md")) {
            assertThat(out).contains("\npong\n");
            assertThat(out).containsPattern("(?m)^group sig-[0-9a-f]{8}$").containsPattern("(?m)^instance smi-[0-9a-f]{8}$");
            assertThat(out).as("the group update's reply").contains("\"target\":3").contains("[\"t3.small\",\"t3.micro\"]");
            assertThat(out).as("the instance's summary").contains("\"state\":\"ACTIVE\"");
            assertThat(out).as("both deletes").containsPattern("(?s)\nOK\n.*\nOK\n$");
        } else if (doc.endsWith("api.md")) {
            assertThat(out).contains("Idempotency-Replayed: true").contains("\"status\":\"completed\"")
                    .containsPattern("X-Spot-Roll: sbgd-[0-9a-f]+");
        } else if (doc.endsWith("operations.md")) {
            assertThat(out).contains("\"status\":\"UP\"").contains("spotapi_build_info{");
        }
    }
}
