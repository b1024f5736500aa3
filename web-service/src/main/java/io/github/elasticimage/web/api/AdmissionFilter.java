package io.github.elasticimage.web.api;

import io.micronaut.core.order.Ordered;
import io.micronaut.http.HttpMethod;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.RequestFilter;
import io.micronaut.http.annotation.ServerFilter;
import io.micronaut.http.filter.FilterContinuation;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * Applies {@link Admission} to both ways of submitting an image, from the request's headers, before its body is read
 * (a client that sends {@code Expect: 100-continue}, as curl does for large bodies, uploads nothing when refused). The
 * permit is given back when the controller has stored the upload, or at the latest when the exchange ends (answered,
 * failed or abandoned by the client). Runs after {@code ApiKeyFilter}: a caller without a key takes no capacity.
 */
@ServerFilter(patterns = {"/classify", "/api/v1/classifications"}, methods = HttpMethod.POST)
public class AdmissionFilter implements Ordered {

    private final Admission admission;

    public AdmissionFilter(Admission admission) {
        this.admission = admission;
    }

    @RequestFilter
    public Publisher<MutableHttpResponse<?>> admit(HttpRequest<?> request,
                                                   FilterContinuation<Publisher<MutableHttpResponse<?>>> next) {
        Admission.Permit permit = admission.admit(request.getContentLength());
        request.setAttribute(Admission.PERMIT, permit);
        Publisher<MutableHttpResponse<?>> response;
        try {
            response = next.proceed();
        } catch (RuntimeException e) {
            permit.release();
            throw e;
        }
        return finallyRelease(response, permit);
    }

    @Override
    public int getOrder() {
        return 100; // after ApiKeyFilter (order 0)
    }

    /** {@code source}, releasing the permit when it completes, fails or is cancelled (the client went away). */
    private static <T> Publisher<T> finallyRelease(Publisher<T> source, Admission.Permit permit) {
        return subscriber -> source.subscribe(new Subscriber<T>() {
            @Override
            public void onSubscribe(Subscription subscription) {
                subscriber.onSubscribe(new Subscription() {
                    @Override
                    public void request(long n) {
                        subscription.request(n);
                    }

                    @Override
                    public void cancel() {
                        permit.release();
                        subscription.cancel();
                    }
                });
            }

            @Override
            public void onNext(T item) {
                subscriber.onNext(item);
            }

            @Override
            public void onError(Throwable error) {
                permit.release();
                subscriber.onError(error);
            }

            @Override
            public void onComplete() {
                permit.release();
                subscriber.onComplete();
            }
        });
    }
}
