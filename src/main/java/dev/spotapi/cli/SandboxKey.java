package dev.spotapi.cli;

import dev.spotapi.config.ConfigLoader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;

/**
 * The sandbox's pre-shared key, valid across restarts like the sandbox's state: {@code SPOT_API_TOKEN}
 * when set, else the key kept in {@code <sandbox dir>/pre-shared-key}, made (random, 24 URL-safe
 * characters, owner-only file) on the first start.
 *
 * @param value  the key
 * @param origin where it came from, for the banner: "SPOT_API_TOKEN" or the key file's path
 * @param made   whether this start made it (else it was set or kept from an earlier start)
 */
record SandboxKey(String value, String origin, boolean made) {
    SandboxKey(String value, String origin) {
        this(value, origin, false);
    }

    static final String FILE = "pre-shared-key";

    /** Reads or makes the key; an unreadable or unwritable sandbox directory is an {@link UncheckedIOException}. */
    static SandboxKey resolve(Path sandboxDir, Map<String, String> env) {
        String fromEnv = env.getOrDefault(ConfigLoader.ENV_TOKEN, "");
        if (!fromEnv.isEmpty()) {
            return new SandboxKey(fromEnv, ConfigLoader.ENV_TOKEN);
        }
        Path file = sandboxDir.resolve(FILE);
        try {
            boolean made = false;
            if (!Files.exists(file)) {
                Files.createDirectories(sandboxDir);
                made = write(file, randomKey());
            }
            String kept = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (kept.isEmpty()) {
                Files.delete(file);
                made = write(file, kept = randomKey());
            }
            return new SandboxKey(kept, file.toString(), made);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the sandbox key in " + file + ": " + e.getMessage(), e);
        }
    }

    /** Writes a new key file; false when another start made it first (that one is used). */
    private static boolean write(Path file, String key) throws IOException {
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException notPosix) {
            Files.createFile(file);
        } catch (FileAlreadyExistsException raced) {
            return false; // another start made it first: use that one
        }
        Files.writeString(file, key + "\n", StandardCharsets.UTF_8);
        return true;
    }

    private static String randomKey() {
        byte[] bytes = new byte[18];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
