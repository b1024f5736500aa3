package io.github.elasticimage.local;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ports handed to servers that bind later stay out of the kernel's ephemeral range, where an outgoing connection can
 * take them between the check and the bind (a CI run failed so), and are never handed out twice.
 */
class FreePortsTest {

    @Test
    void portsAreBelowTheEphemeralRangeDistinctAndBindable() throws IOException {
        int ephemeralLow = FreePorts.ephemeralLow(Path.of("/proc/sys/net/ipv4/ip_local_port_range"));
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            int port = LocalAwsServers.freePort("127.0.0.1");
            assertTrue(port >= FreePorts.LOWEST && port < ephemeralLow, port + " not in [10000, " + ephemeralLow + ")");
            assertTrue(seen.add(port), "port " + port + " handed out twice");
        }
        int port = LocalAwsServers.freePort("127.0.0.1");
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress("127.0.0.1", port));
            assertEquals(port, server.getLocalPort());
        }
    }

    @Test
    void theRangeFileIsReadAndOddValuesFallBack(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("ip_local_port_range");
        Files.writeString(file, "40000\t60999\n");
        assertEquals(40_000, FreePorts.ephemeralLow(file));
        Files.writeString(file, "1024 65535\n"); // a range starting low still leaves 1000 ports to draw from
        assertEquals(FreePorts.LOWEST + 1000, FreePorts.ephemeralLow(file));
        Files.writeString(file, "garbage");
        assertEquals(32_768, FreePorts.ephemeralLow(file));
        assertEquals(32_768, FreePorts.ephemeralLow(dir.resolve("missing")));
    }
}
