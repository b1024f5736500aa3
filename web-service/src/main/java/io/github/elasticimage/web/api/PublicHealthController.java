package io.github.elasticimage.web.api;

import io.micronaut.core.async.annotation.SingleResult;
import io.micronaut.core.async.publisher.Publishers;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.management.endpoint.health.HealthEndpoint;
import io.micronaut.management.health.indicator.HealthResult;
import io.micronaut.serde.annotation.Serdeable;
import org.reactivestreams.Publisher;

/**
 * {@code GET /health} on the public port, for the load balancer and {@code make run}'s readiness check: the same
 * checks as the management port's {@code /health} (queue and buckets reachable), answered as {@code {"status":"UP"}}
 * with 200 or {@code {"status":"DOWN"}} with 503, without the details (resource names, errors), which only the
 * management port shows. Controllers answer only on the public port, management endpoints only on
 * {@code MANAGEMENT_PORT}, so the two {@code /health} routes never meet.
 *
 * <p>{@code GET /health/liveness} answers {@code UP} whenever this process serves HTTP, whatever SQS and S3 say: the
 * load balancer's health check on AWS uses it, because its group replaces instances that fail the check, and replacing
 * every web instance cannot end an SQS or S3 outage (their callers get 503s with Retry-After meanwhile).
 */
@Controller("/health")
public class PublicHealthController {

    private final HealthEndpoint health;

    public PublicHealthController(HealthEndpoint health) {
        this.health = health;
    }

    /** @param status {@code UP}, {@code DOWN} or {@code UNKNOWN} */
    @Serdeable
    public record Health(String status) {
    }

    @Get(uri = "/liveness", produces = MediaType.APPLICATION_JSON)
    public Health liveness() {
        return new Health("UP");
    }

    @Get(produces = MediaType.APPLICATION_JSON)
    @SingleResult
    public Publisher<HttpResponse<Health>> health() {
        return Publishers.map(health.getHealth(null), (HealthResult result) -> HttpResponse
                .<Health>status(result.getStatus().getOperational().orElse(true)
                        ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE)
                .body(new Health(result.getStatus().getName())));
    }
}
