package dev.spotapi.hardening;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Loopback TCP connections as the kernel lists them ({@code /proc/net/tcp}, {@code /proc/net/tcp6}). */
final class Sockets {
    private Sockets() {
    }

    /** ESTABLISHED connections whose remote end is loopback port {@code port} (the client sides of them). */
    static long establishedTo(int port) {
        String hexPort = String.format(":%04X", port);
        long n = 0;
        for (String file : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            try {
                for (String line : Files.readAllLines(Path.of(file))) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length > 3 && f[2].endsWith(hexPort) && "01".equals(f[3])) {
                        n++;
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return n;
    }
}
