package io.github.elasticimage.classifier.config;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

class WorkerPropertiesTest {

    @Test
    void zeroInferenceThreadsMeansOnePerCoreThisProcessMayUse() {
        WorkerProperties properties = new WorkerProperties(0, 4, 1, 1, 10, 20, "t", Duration.ofMinutes(3));
        assertEquals(Runtime.getRuntime().availableProcessors(), properties.threads());
    }

    @Test
    void anExplicitCountIsKept() {
        WorkerProperties properties = new WorkerProperties(3, 4, 1, 1, 10, 20, "t", Duration.ofMinutes(3));
        assertEquals(3, properties.threads());
    }
}
