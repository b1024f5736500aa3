package io.github.elasticimage.web;

import io.github.elasticimage.local.LocalAwsServers;
import io.github.elasticimage.local.SharedLocalAwsServers;
import io.github.elasticimage.web.queue.ResponseQueue;
import io.micronaut.context.ApplicationContext;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.MediaType;
import io.micronaut.http.client.DefaultHttpClientConfiguration;
import io.micronaut.http.client.HttpClient;
import io.micronaut.http.client.multipart.MultipartBody;
import io.micronaut.runtime.server.EmbeddedServer;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Many callers on several web instances at once: every caller must get the answer for its own image, never another's.
 * Two web instances (two application contexts, each with its own response queue) share one request queue.
 */
class RoutingTest {

    private static final int REQUESTS = 120;
    private static final LocalAwsServers CLOUD = SharedLocalAwsServers.get();

    @Test
    void everyCallerGetsItsOwnAnswerAcrossTwoInstances() throws Exception {
        try (FakeWorker worker = new FakeWorker(CLOUD);
             EmbeddedServer first = ApplicationContext.run(EmbeddedServer.class, properties());
             EmbeddedServer second = ApplicationContext.run(EmbeddedServer.class, properties());
             HttpClient firstClient = HttpClient.create(first.getURL(), clientConfiguration());
             HttpClient secondClient = HttpClient.create(second.getURL(), clientConfiguration())) {
            ExecutorService callers = Executors.newFixedThreadPool(REQUESTS);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<String>> answers = new ArrayList<>();
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < REQUESTS; i++) {
                byte[] image = TestImages.png(i * 7919 + 1);
                expected.add(FakeWorker.labelFor(image));
                HttpClient client = i % 2 == 0 ? firstClient : secondClient;
                MultipartBody body = MultipartBody.builder()
                        .addPart("myfile", "img" + i + ".png", MediaType.IMAGE_PNG_TYPE, image).build();
                answers.add(callers.submit(() -> {
                    start.await();
                    return client.toBlocking().retrieve(HttpRequest.POST("/classify", body)
                            .contentType(MediaType.MULTIPART_FORM_DATA_TYPE), String.class);
                }));
            }
            start.countDown();
            int crossed = 0;
            for (int i = 0; i < REQUESTS; i++) {
                if (!expected.get(i).equals(answers.get(i).get(90, TimeUnit.SECONDS))) {
                    crossed++;
                }
            }
            callers.shutdown();
            assertEquals(0, crossed, "answers delivered to the wrong caller");

            String firstQueue = first.getApplicationContext().getBean(ResponseQueue.class).name();
            first.stop();
            assertThrows(QueueDoesNotExistException.class, () -> CLOUD.queueUrl(firstQueue),
                    "a stopped instance deletes its response queue");
        }
    }

    /** Generous timeouts: the point is routing, and a loaded CI machine may be slow. */
    private static DefaultHttpClientConfiguration clientConfiguration() {
        DefaultHttpClientConfiguration configuration = new DefaultHttpClientConfiguration();
        configuration.setReadTimeout(java.time.Duration.ofSeconds(60));
        return configuration;
    }

    private static Map<String, Object> properties() {
        Map<String, Object> properties = new java.util.HashMap<>(WebTestProperties.of(CLOUD));
        properties.put("micronaut.server.port", -1);
        // its callers send chunked (no Content-Length), each counted at MAX_UPLOAD_SIZE: room for all of them at once
        properties.put("app.web.max-upload-memory", "2GB");
        return properties;
    }
}
