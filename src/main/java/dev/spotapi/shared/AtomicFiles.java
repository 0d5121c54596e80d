package dev.spotapi.shared;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** Replacing a file so that a crash (power loss, SIGKILL) leaves either its old or its new content, never a mix. */
public final class AtomicFiles {
    private AtomicFiles() {
    }

    /**
     * Writes {@code content} to a temporary file beside {@code file}, flushes it to the disk (fsync), renames
     * it over {@code file} (atomic) and flushes the directory, so the rename itself survives a crash. Creates
     * the directory when missing. Throws {@link IOException} when any step fails ({@code file} then unchanged).
     */
    public static void replace(Path file, byte[] content) throws IOException {
        replace(file, out -> out.write(content));
    }

    /** What {@link #replace(Path, Content)} writes: the new content, streamed (nothing held whole in memory). */
    @FunctionalInterface
    public interface Content {
        /** Writes the content to {@code out} (buffered; closed by the caller). */
        void writeTo(java.io.OutputStream out) throws IOException;
    }

    /** {@link #replace(Path, byte[])} with content streamed by {@code content}. */
    public static void replace(Path file, Content content) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                java.io.OutputStream out = new java.io.BufferedOutputStream(java.nio.channels.Channels.newOutputStream(channel), 64 * 1024);
                content.writeTo(out);
                out.flush();
                channel.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        syncDirectory(dir);
    }

    /** Flushes a directory's entries (a rename or a new file in it) to the disk; ignored where not supported. */
    public static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException notSupported) {
            // some platforms (Windows) cannot open a directory: the rename is as durable as they make it
        }
    }
}
