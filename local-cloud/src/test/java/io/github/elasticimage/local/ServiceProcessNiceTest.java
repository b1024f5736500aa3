package io.github.elasticimage.local;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The niceness a worker is reset to once ready: the launcher's own, as ps reports it. */
class ServiceProcessNiceTest {

    @Test
    void ownNiceIsWhatPsReports() throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/self/stat")), "no /proc: not Linux, ownNice() is 0 by design");
        Process ps = new ProcessBuilder("ps", "-o", "ni=", "-p", Long.toString(ProcessHandle.current().pid())).start();
        String reported = new String(ps.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, ps.waitFor());
        assertEquals(Integer.parseInt(reported), ServiceProcess.ownNice());
    }
}
