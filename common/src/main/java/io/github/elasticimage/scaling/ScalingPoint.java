package io.github.elasticimage.scaling;

/**
 * One decision of the local autoscaler, and one point of its timeline: {@code GET /scaling/timeline} answers a JSON
 * array of these, oldest first, with exactly these field names
 * ({@code {"t","visible","inFlight","desired","running"}}).
 * The local autoscaler writes them, the web tier's status and the load-test CLI read them; the CLI also fills them from
 * CloudWatch and the Auto Scaling group on AWS. A plain record with no framework annotation, so that the modules
 * without Micronaut can use it.
 *
 * @param t        epoch millis of the sample
 * @param visible  visible messages in the request queue
 * @param inFlight in-flight (received, not deleted) messages
 * @param desired  workers wanted after this decision
 * @param running  workers healthy and taking work at this moment
 */
public record ScalingPoint(long t, long visible, long inFlight, int desired, int running) {
}
