package io.github.elasticimage.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free ports for servers that bind later (a child JVM, a server whose port goes into another's settings first).
 *
 * <p>Ports are drawn at random from {@value #LOWEST} up to just below the kernel's ephemeral range (Linux:
 * {@code /proc/sys/net/ipv4/ip_local_port_range}, 32768-60999 by default; 32768 is assumed where that file is
 * missing, below macOS's and Windows' 49152). The kernel never gives those to outgoing connections, so a port found
 * free stays free unless another listener takes it; a port is handed out at most once per JVM, and it must be free on
 * the wildcard address as well as on the given one (a server may bind either).
 */
final class FreePorts {

    static final int LOWEST = 10_000;
    private static final int DEFAULT_EPHEMERAL_LOW = 32_768;
    private static final int ATTEMPTS = 500;
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();
    /** The highest port drawn: just below the kernel's ephemeral range, read once. */
    private static final int HIGHEST = ephemeralLow(Path.of("/proc/sys/net/ipv4/ip_local_port_range")) - 1;

    private FreePorts() {
    }

    static int next(String host) {
        InetAddress address;
        try {
            address = InetAddress.getByName(host);
        } catch (IOException e) {
            throw new UncheckedIOException("unknown host " + host, e);
        }
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(LOWEST, HIGHEST + 1);
            if (!HANDED_OUT.contains(port) && bindable(null, port) && bindable(address, port)
                    && HANDED_OUT.add(port)) {
                return port;
            }
        }
        throw new IllegalStateException("no free port between " + LOWEST + " and " + HIGHEST + " on " + host
                + " after " + ATTEMPTS + " attempts");
    }

    /** The lowest ephemeral port the kernel says it uses, or 32768; never below {@link #LOWEST} + 1000. */
    static int ephemeralLow(Path rangeFile) {
        int low = DEFAULT_EPHEMERAL_LOW;
        try {
            if (Files.isReadable(rangeFile)) {
                low = Integer.parseInt(Files.readString(rangeFile).trim().split("\\s+")[0]);
            }
        } catch (IOException | RuntimeException e) {
            low = DEFAULT_EPHEMERAL_LOW;
        }
        return Math.max(low, LOWEST + 1000);
    }

    private static boolean bindable(InetAddress address, int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(address == null ? new InetSocketAddress(port) : new InetSocketAddress(address, port), 1);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
