package dev.spotapi.support;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command that starts spot-api's {@code dev.spotapi.cli.Main} in a child JVM, as the tests that run the
 * real program use it: the JVM, the service's JIT and GC flags, the main classes and runtime dependencies
 * (what {@code process-classes} wrote: the launcher's app jar and {@code target/launcher/classpath}; CDS archives
 * classes from jars only), and,
 * once recorded, a class-data-sharing archive of that class path.
 *
 * <p>Without the archive a child JVM spends ~2.7 s of CPU until its first answer; with it ~1.4 s (the
 * same figures as {@code ./spot-api} without and with its own archive). The suite starts some 25 of them, on
 * two cores beside the other test classes, so the first test JVM that starts a service ({@link #prepare()}) or a
 * child records the archive once, in the background, with the program's own {@code cds-training} command (as
 * the launcher does); children started before it is ready simply run without it. The archive belongs to this build's {@code target/}.
 */
public final class ChildJvm {
    private static final Path TARGET = Path.of("target").toAbsolutePath();
    private static final Path ARCHIVE = TARGET.resolve("test-child-cds.jsa");
    private static final Path CLAIM = TARGET.resolve("test-child-cds.claimed");
    private static final Path LAUNCHER_CLASSPATH = TARGET.resolve("launcher").resolve("classpath");
    private static final Path APP_JAR = TARGET.resolve("launcher").resolve("spot-api-app.jar");
    private static volatile boolean trainingStarted;

    private ChildJvm() {
    }

    /**
     * {@code java [heap and JIT flags] [CDS flags] -cp CLASSPATH}: append the main class and its arguments.
     *
     * @param heap the child's {@code -Xmx} value, e.g. {@code "128m"}
     */
    public static List<String> command(String heap) {
        String classPath = classPath();
        List<String> command = new ArrayList<>(List.of(java(), "-Xmx" + heap, "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC"));
        if (current(ARCHIVE)) {
            // a mismatch (another class path) falls back to no sharing; -Xlog keeps the program's output its own
            command.addAll(List.of("-XX:SharedArchiveFile=" + ARCHIVE, "-Xshare:auto", "-Xlog:cds*=off",
                    "-Xlog:class+path=off"));
        } else {
            startTraining(classPath);
        }
        command.addAll(List.of("-cp", classPath));
        return command;
    }

    /**
     * Starts recording the archive now, unless it exists or another test JVM does it: called when a test JVM
     * starts its first service ({@link TestService}), so that the archive is ready before the child-JVM tests.
     */
    public static void prepare() {
        if (!current(ARCHIVE)) {
            startTraining(classPath());
        }
    }

    /** The main classes and runtime dependencies; the whole test class path where process-classes did not run. */
    public static String classPath() {
        if (Files.isRegularFile(LAUNCHER_CLASSPATH) && Files.isRegularFile(APP_JAR)) {
            try {
                return APP_JAR + java.io.File.pathSeparator
                        + Files.readString(LAUNCHER_CLASSPATH).strip();
            } catch (IOException e) {
                // fall through to the test class path
            }
        }
        String real = System.getProperty("surefire.test.class.path");
        return real != null && !real.isBlank() ? real : System.getProperty("java.class.path");
    }

    /** The file exists and was written after this build's app jar (an archive of an older jar is useless). */
    private static boolean current(Path file) {
        try {
            return Files.isRegularFile(file) && Files.isRegularFile(APP_JAR)
                    && Files.getLastModifiedTime(file).compareTo(Files.getLastModifiedTime(APP_JAR)) > 0;
        } catch (IOException e) {
            return false;
        }
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Once per build, across the test JVMs: whoever creates the claim file records the archive. */
    private static synchronized void startTraining(String classPath) {
        if (trainingStarted) {
            return;
        }
        trainingStarted = true;
        if (!Files.isRegularFile(APP_JAR)) {
            return;
        }
        try {
            if (!current(CLAIM)) {
                Files.deleteIfExists(CLAIM); // claimed for an older build
            }
            Files.createFile(CLAIM);
        } catch (FileAlreadyExistsException taken) {
            return;
        } catch (IOException e) {
            return; // no target/: no archive, children run without it
        }
        Path partial = TARGET.resolve("test-child-cds.jsa." + ProcessHandle.current().pid());
        try {
            // sh renames the archive when the training ends, even if this test JVM has ended first
            new ProcessBuilder("sh", "-c", "p=$1; a=$2; shift 2; \"$@\" && [ -s \"$p\" ] && mv -f \"$p\" \"$a\" || rm -f \"$p\"",
                    "sh", partial.toString(), ARCHIVE.toString(),
                    java(), "-Xmx128m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                    "-XX:ArchiveClassesAtExit=" + partial, "-cp", classPath, "dev.spotapi.cli.Main", "cds-training")
                    .directory(TARGET.toFile()).redirectErrorStream(true)
                    .redirectOutput(TARGET.resolve("test-child-cds.log").toFile()).start();
        } catch (IOException e) {
            // no archive: children run without it
        }
    }
}
