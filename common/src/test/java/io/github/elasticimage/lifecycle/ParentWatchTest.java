package io.github.elasticimage.lifecycle;

import io.micronaut.context.ApplicationContext;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ParentWatchTest {

    @Test
    void watchesOnlyWhenALauncherPidIsGiven() {
        try (ApplicationContext plain = ApplicationContext.run(Map.of("app.resources.request-queue", "q"))) {
            assertFalse(plain.containsBean(ParentWatch.class));
        }
        long launcher = ProcessHandle.current().parent().orElseThrow().pid();
        try (ApplicationContext launched = ApplicationContext.run(Map.of("parent.pid", launcher))) {
            assertTrue(launched.containsBean(ParentWatch.class));
        }
    }
}
