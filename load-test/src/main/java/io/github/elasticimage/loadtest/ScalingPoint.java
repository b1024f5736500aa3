package io.github.elasticimage.loadtest;

/**
 * One reading of the worker tier: when ({@code t}, epoch millis), messages waiting ({@code visible}) and being worked on
 * ({@code inFlight}) in the request queue, and the workers wanted ({@code desired}) and running ({@code running}).
 * The field names are those of the local autoscaler's {@code GET /scaling/timeline} JSON.
 */
public record ScalingPoint(long t, long visible, long inFlight, long desired, long running) {
}
