package io.github.elasticimage.loadtest;

import io.github.elasticimage.scaling.ScalingPoint;

import java.util.List;

/** Where the worker tier's scaling state can be read during a run (the local autoscaler, or AWS). */
public interface ScalingSource extends AutoCloseable {

    /** Readings available now; a source that keeps history may return earlier points again (they are merged by t). */
    List<ScalingPoint> sample() throws Exception;

    /** Where the readings come from, for the summary. */
    String describe();

    @Override
    default void close() {
    }
}
