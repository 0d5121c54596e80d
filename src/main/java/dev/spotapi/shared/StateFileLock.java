package dev.spotapi.shared;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;

/**
 * The exclusive hold of one process on a state file ({@code idempotency.stateFile}, {@code tasks.stateFile}): an OS
 * file lock on {@code <file>.lock}, taken before the file is read and kept until the process stops. Each process
 * rewrites the whole file with its own records (at start, when it grows, at stop), so two processes on one file lose
 * each other's records (attack round 10: a deploy that started the new process before stopping the old one lost a
 * key and its task, and the key's retry ran the action again). A second process waits for the lock (the first
 * stopping), at most {@link #WAIT}, then refuses to start.
 */
public final class StateFileLock implements AutoCloseable {
    /** How long a process waits for another one to release the file: longer than a stop takes. */
    public static final Duration WAIT = Duration.ofSeconds(60);

    private final FileChannel channel;
    private final FileLock lock;

    private StateFileLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes the lock of {@code file}, waiting at most {@code wait} for another holder to release it.
     *
     * @throws IOException when it is still held after {@code wait}, or the lock file cannot be opened
     */
    public static StateFileLock acquire(Path file, Duration wait) throws IOException {
        Path lockFile = file.resolveSibling(file.getFileName() + ".lock");
        if (lockFile.getParent() != null) {
            Files.createDirectories(lockFile.getParent());
        }
        FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        long until = System.nanoTime() + wait.toNanos();
        boolean said = false;
        try {
            while (true) {
                FileLock lock;
                try {
                    lock = channel.tryLock();
                } catch (OverlappingFileLockException e) {
                    lock = null; // held in this JVM (an earlier instance not closed yet)
                }
                if (lock != null) {
                    return new StateFileLock(channel, lock);
                }
                if (!said) { // a second process on the same files (a second sandbox in one checkout) waits: say so
                    said = true;
                    org.slf4j.LoggerFactory.getLogger(StateFileLock.class).warn("{} is held by another process (another"
                            + " spot-api on the same state files, e.g. a second sandbox in this directory: give it"
                            + " --sandbox-dir DIR); waiting up to {} s for it to stop", lockFile, wait.toSeconds());
                }
                if (System.nanoTime() - until > 0) {
                    throw new IOException("held by another process (" + lockFile + "): one process per state file;"
                            + " waited " + wait.toSeconds() + " s for it to stop");
                }
                Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            channel.close();
            throw new IOException("interrupted while waiting for " + lockFile, e);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** Releases the lock. */
    @Override
    public void close() {
        try {
            lock.release();
        } catch (IOException e) {
            // closing the channel releases it too
        }
        try {
            channel.close();
        } catch (IOException e) {
            // nothing left to release
        }
    }
}
