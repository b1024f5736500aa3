package io.github.elasticimage.loadtest;

import io.github.elasticimage.scaling.ScalingPoint;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * What the worker tier did during a run: the running workers at the start moment (baseline), their peak, the lowest
 * count seen (min), and when after the peak the count first fell back to that min.
 *
 * @param points         the readings from just before the start moment on
 * @param baseline       running workers at the start moment
 * @param peak           highest running count
 * @param peakAtMillis   when the peak was first reached, millis after the start moment
 * @param min            lowest running count
 * @param backToMinMillis when running first fell back to min after the peak, millis after the start moment; empty if
 *                        it did not within the sampled time (or never rose above min)
 * @param peakDesired    highest desired count
 * @param peakVisible    highest queue depth (messages waiting)
 * @param peakInFlight   highest count of messages being worked on
 */
public record ScalingSummary(List<ScalingPoint> points, long baseline, long peak, long peakAtMillis, long min,
                             OptionalLong backToMinMillis, long peakDesired, long peakVisible, long peakInFlight) {

    /** Summarises the points from the last one at or before {@code startEpochMillis} on; null when there are none. */
    public static ScalingSummary of(List<ScalingPoint> all, long startEpochMillis) {
        List<ScalingPoint> window = new ArrayList<>();
        ScalingPoint before = null;
        for (ScalingPoint point : all) {
            if (point.t() <= startEpochMillis) {
                before = point;
            } else {
                window.add(point);
            }
        }
        if (before != null) {
            window.add(0, before);
        }
        if (window.isEmpty()) {
            return null;
        }
        long baseline = window.get(0).running();
        long peak = Long.MIN_VALUE;
        long peakAt = 0;
        long min = Long.MAX_VALUE;
        long peakDesired = 0;
        long peakVisible = 0;
        long peakInFlight = 0;
        int peakIndex = 0;
        for (int i = 0; i < window.size(); i++) {
            ScalingPoint point = window.get(i);
            if (point.running() > peak) {
                peak = point.running();
                peakAt = point.t() - startEpochMillis;
                peakIndex = i;
            }
            min = Math.min(min, point.running());
            peakDesired = Math.max(peakDesired, point.desired());
            peakVisible = Math.max(peakVisible, point.visible());
            peakInFlight = Math.max(peakInFlight, point.inFlight());
        }
        OptionalLong back = OptionalLong.empty();
        if (peak > min) {
            for (int i = peakIndex + 1; i < window.size(); i++) {
                if (window.get(i).running() <= min) {
                    back = OptionalLong.of(window.get(i).t() - startEpochMillis);
                    break;
                }
            }
        }
        return new ScalingSummary(List.copyOf(window), baseline, peak, Math.max(0, peakAt), min, back, peakDesired,
                peakVisible, peakInFlight);
    }
}
