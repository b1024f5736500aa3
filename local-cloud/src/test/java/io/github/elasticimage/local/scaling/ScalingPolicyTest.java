package io.github.elasticimage.local.scaling;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScalingPolicyTest {

    private static final Path ROOT_FILE = Path.of(System.getProperty("project.root", ".."), ScalingPolicy.FILE_NAME);

    @Test
    void thePackagedPolicyIsTheRepositoryFile() throws IOException {
        byte[] packaged;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(ScalingPolicy.FILE_NAME)) {
            packaged = in.readAllBytes();
        }
        assertArrayEquals(Files.readAllBytes(ROOT_FILE), packaged);
        assertEquals(ScalingPolicy.load(ROOT_FILE), ScalingPolicy.packaged());
    }

    @Test
    void stepsAreContiguousPositiveAndWithinTheAwsLimit() {
        ScalingPolicy policy = ScalingPolicy.packaged();
        var steps = policy.scaleOut().steps();
        assertTrue(steps.size() <= 20);
        assertEquals(policy.scaleOut().threshold(), steps.get(0).lower());
        assertNull(steps.get(steps.size() - 1).upper());
        steps.forEach(step -> assertTrue(step.adjustment() > 0));
        assertTrue(policy.local().periodSeconds() >= 2 && policy.local().periodSeconds() <= 5);
    }

    @Test
    void rejectsAStepThatWouldRemoveCapacity() {
        String json = policyWith("{\"lower\": 1, \"upper\": 2, \"adjustment\": 1}, "
                + "{\"lower\": 2, \"upper\": null, \"adjustment\": -1}");
        var e = assertThrows(IllegalArgumentException.class, () -> ScalingPolicy.parse(bytes(json), "test"));
        assertTrue(e.getMessage().contains("adjustment is >= 1"), e.getMessage());
    }

    @Test
    void rejectsAGapBetweenSteps() {
        String json = policyWith("{\"lower\": 1, \"upper\": 2, \"adjustment\": 1}, "
                + "{\"lower\": 3, \"upper\": null, \"adjustment\": 3}");
        var e = assertThrows(IllegalArgumentException.class, () -> ScalingPolicy.parse(bytes(json), "test"));
        assertTrue(e.getMessage().contains("contiguous"), e.getMessage());
    }

    @Test
    void rejectsAMissingField() {
        String json = policyWith("{\"lower\": 1, \"upper\": null, \"adjustment\": 1}").replace("\"minCapacity\": 0,", "");
        assertThrows(IllegalArgumentException.class, () -> ScalingPolicy.parse(bytes(json), "test"));
    }

    @Test
    void rejectsAClientThatGivesUpBeforeTheWebTier() {
        String json = policyWith("{\"lower\": 1, \"upper\": null, \"adjustment\": 1}")
                .replace("\"clientTimeoutSeconds\": 330", "\"clientTimeoutSeconds\": 300");
        var e = assertThrows(IllegalArgumentException.class, () -> ScalingPolicy.parse(bytes(json), "test"));
        assertTrue(e.getMessage().contains("clientTimeoutSeconds > callers.resultTimeoutSeconds"), e.getMessage());
    }

    @Test
    void rejectsALoadBalancerThatCutsAWaitingRequest() {
        String json = policyWith("{\"lower\": 1, \"upper\": null, \"adjustment\": 1}")
                .replace("\"loadBalancerIdleTimeoutSeconds\": 360", "\"loadBalancerIdleTimeoutSeconds\": 320");
        var e = assertThrows(IllegalArgumentException.class, () -> ScalingPolicy.parse(bytes(json), "test"));
        assertTrue(e.getMessage().contains("loadBalancerIdleTimeoutSeconds > callers.clientTimeoutSeconds"),
                e.getMessage());
    }

    @Test
    void thePrimarySourceIsTheWebTiersHighResolutionMetricAndSqsIsTheFallback() {
        ScalingPolicy.Metric metric = ScalingPolicy.packaged().metric();
        assertEquals(10, metric.primary().periodSeconds());
        assertEquals(10, metric.periodSeconds());
        assertTrue(metric.highResolution());
        assertTrue(metric.primary().publishIntervalSeconds() <= metric.primary().periodSeconds());
        assertEquals("AWS/SQS", metric.fallback().namespace());
        assertEquals(60, metric.fallback().periodSeconds());
        assertEquals("Maximum", metric.statistic());
    }

    @Test
    void rejectsAnAlarmPeriodCloudWatchOrTheProviderRefuses() {
        for (String period : new String[] {"5", "20", "45", "90"}) {
            String json = policyWith("{\"lower\": 1, \"upper\": null, \"adjustment\": 1}")
                    .replace("\"publishIntervalSeconds\": 10, \"periodSeconds\": 10}",
                            "\"publishIntervalSeconds\": 1, \"periodSeconds\": " + period + "}");
            var e = assertThrows(IllegalArgumentException.class, () -> ScalingPolicy.parse(bytes(json), "test"),
                    period);
            assertTrue(e.getMessage().contains("metric.primary.periodSeconds is 10, 30 or a multiple of 60"),
                    e.getMessage());
        }
    }

    @Test
    void rejectsAPublishIntervalThatLeavesAPeriodWithoutASample() {
        String json = policyWith("{\"lower\": 1, \"upper\": null, \"adjustment\": 1}")
                .replace("\"publishIntervalSeconds\": 10", "\"publishIntervalSeconds\": 15");
        var e = assertThrows(IllegalArgumentException.class, () -> ScalingPolicy.parse(bytes(json), "test"));
        assertTrue(e.getMessage().contains("publishIntervalSeconds <= metric.primary.periodSeconds"), e.getMessage());
    }

    @Test
    void rejectsAStatisticThatAddsUpTheWebInstancesSamples() {
        String json = policyWith("{\"lower\": 1, \"upper\": null, \"adjustment\": 1}")
                .replace("\"statistic\": \"Maximum\"", "\"statistic\": \"Sum\"");
        var e = assertThrows(IllegalArgumentException.class, () -> ScalingPolicy.parse(bytes(json), "test"));
        assertTrue(e.getMessage().contains("metric.statistic is Maximum"), e.getMessage());
    }

    @Test
    void acceptsAValidAlternative() {
        ScalingPolicy policy = ScalingPolicy.parse(bytes(policyWith("{\"lower\": 1, \"upper\": 5, \"adjustment\": 2}, "
                + "{\"lower\": 5, \"upper\": null, \"adjustment\": 10}")), "test");
        assertEquals(2, policy.adjustmentFor(4));
        assertEquals(10, policy.adjustmentFor(5));
        assertEquals(0, policy.adjustmentFor(0));
    }

    private static String policyWith(String steps) {
        return """
                {"minCapacity": 0, "maxCapacity": 20, "targetBacklogPerInstance": 1,
                 "metric": {"statistic": "Maximum",
                            "primary": {"namespace": "Test", "backlog": "Backlog", "visible": "Visible",
                                        "desiredCapacity": "Desired",
                                        "publishIntervalSeconds": 10, "periodSeconds": 10},
                            "fallback": {"namespace": "AWS/SQS", "visible": "ApproximateNumberOfMessagesVisible",
                                         "inFlight": "ApproximateNumberOfMessagesNotVisible", "periodSeconds": 60}},
                 "scaleOut": {"adjustmentType": "ChangeInCapacity", "threshold": 1, "evaluationPeriods": 1,
                              "steps": [%s]},
                 "scaleIn": {"adjustmentType": "ExactCapacity", "evaluationPeriods": 3},
                 "instanceWarmupSeconds": 90,
                 "warmPool": {"poolState": "Stopped", "minSize": 0, "maxGroupPreparedCapacity": 2,
                              "reuseOnScaleIn": true},
                 "worker": {"requestsPerSecond": 10}, "throughputAware": {"acceptableWaitSeconds": 10},
                 "callers": {"resultTimeoutSeconds": 300, "clientTimeoutSeconds": 330,
                             "loadBalancerIdleTimeoutSeconds": 360},
                 "local": {"periodSeconds": 3, "maxCapacity": 4, "bootNice": 10,
                           "workerStartSeconds": 6, "drainImagesPerSecond": 20, "maxCpuLoad": 0.75}}
                """.formatted(steps);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
