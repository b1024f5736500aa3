package io.github.elasticimage.local.scaling;

/**
 * The policy as a decision rule, evaluated once per period, exactly as the CloudWatch alarms and step policies of
 * {@code terraform/scaling.tf} evaluate it on AWS:
 * <ul>
 *   <li>backlog = visible + in-flight; wanted = ceil(backlog / targetBacklogPerInstance);</li>
 *   <li><b>scale-out</b> (only while visible &gt; 0): excess = wanted - desired; when excess &ge; threshold for
 *       scaleOut.evaluationPeriods periods, add the adjustment of the step that contains the excess (always &gt; 0:
 *       scale-out never lowers capacity);</li>
 *   <li><b>scale-in</b>: when backlog was 0 for scaleIn.evaluationPeriods periods in a row, set capacity to min. This
 *       is the only way capacity goes down, and it cannot happen while any message is in flight.</li>
 * </ul>
 * Capacity is clamped to [min, max] like an Auto Scaling group does. Not thread-safe: one caller per period.
 */
public final class ScalingEngine {

    /** What the alarms ask for in one period. */
    public sealed interface Action {
        /** No alarm in ALARM state. */
        record None() implements Action {
        }

        /** Scale-out step: add {@code adjustment} (ChangeInCapacity). */
        record Add(int adjustment, long excess) implements Action {
        }

        /** Scale-in: set capacity to {@code capacity} (ExactCapacity). */
        record Exact(int capacity) implements Action {
        }
    }

    private final ScalingPolicy policy;
    private final int min;
    private final int max;
    private int emptyPeriods;
    private int breachPeriods;

    /** With the policy's own bounds (AWS). */
    public ScalingEngine(ScalingPolicy policy) {
        this(policy, policy.minCapacity(), policy.maxCapacity());
    }

    /** With other bounds (the local machine's min override and max); the thresholds stay the policy's. */
    public ScalingEngine(ScalingPolicy policy, int min, int max) {
        if (min < 0 || max < 1 || min > max || max > ScalingPolicy.CAPACITY_LIMIT) {
            throw new IllegalArgumentException("need 0 <= min <= max <= " + ScalingPolicy.CAPACITY_LIMIT
                    + ", got min " + min + " max " + max);
        }
        this.policy = policy;
        this.min = min;
        this.max = max;
    }

    public int min() {
        return min;
    }

    public int max() {
        return max;
    }

    /**
     * The alarms' verdict on one period's datapoint.
     *
     * @param visible         visible messages (ApproximateNumberOfMessagesVisible)
     * @param inFlight        in-flight messages (ApproximateNumberOfMessagesNotVisible)
     * @param observedDesired desired capacity as the alarm sees it (on AWS the GroupDesiredCapacity metric, which can
     *                        lag; locally the actual value)
     */
    public Action evaluate(long visible, long inFlight, int observedDesired) {
        if (visible < 0 || inFlight < 0) {
            throw new IllegalArgumentException("negative queue attributes: " + visible + ", " + inFlight);
        }
        long backlog = visible + inFlight;
        emptyPeriods = backlog == 0 ? emptyPeriods + 1 : 0;
        if (emptyPeriods >= policy.scaleIn().evaluationPeriods()) {
            breachPeriods = 0;
            return new Action.Exact(min);
        }
        long excess = visible > 0 ? policy.wanted(backlog) - observedDesired : 0;
        breachPeriods = excess >= policy.scaleOut().threshold() ? breachPeriods + 1 : 0;
        if (breachPeriods >= policy.scaleOut().evaluationPeriods()) {
            return new Action.Add(policy.adjustmentFor(excess), excess);
        }
        return new Action.None();
    }

    /** The group's new desired capacity after {@code action}, clamped to [min, max]. */
    public int apply(Action action, int desired) {
        int next;
        if (action instanceof Action.Add add) {
            next = desired + add.adjustment();
        } else if (action instanceof Action.Exact exact) {
            next = exact.capacity();
        } else {
            next = desired;
        }
        return Math.max(min, Math.min(max, next));
    }

    /** One local period: evaluate against the actual desired capacity and apply. */
    public int next(long visible, long inFlight, int desired) {
        return apply(evaluate(visible, inFlight, desired), desired);
    }
}
