package io.github.elasticimage.web;

import io.github.elasticimage.local.LocalAwsServers;
import io.github.elasticimage.local.SharedLocalAwsServers;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A refused request that carries {@code Expect: 100-continue} (curl sends it for bodies over 1 MB) gets its 503 at
 * once, without {@code 100 Continue} and so without sending its body, and with {@code Connection: close}: the server
 * closes the connection rather than wait on it for a body that is not coming, where the client's next request would be
 * read as that body. Spoken over a raw socket, so the test sees exactly the bytes on the wire.
 */
class ExpectContinueTest {

    private static final LocalAwsServers CLOUD = SharedLocalAwsServers.get();

    @Test
    void aRefusalBeforeTheBodyClosesTheConnection() throws Exception {
        String queue = "expect-continue-requests";
        CLOUD.sqs().createQueue(b -> b.queueName(queue));
        Map<String, Object> properties = new HashMap<>(WebTestProperties.of(CLOUD));
        properties.put("app.resources.request-queue", queue);
        properties.put("app.web.max-pending", 1);
        properties.put("app.web.result-timeout", "5s");
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        try (FakeWorker worker = new FakeWorker(CLOUD, queue);
             EmbeddedServer server = ApplicationContext.run(EmbeddedServer.class, properties)) {
            CompletableFuture<HttpResponse<String>> waiting = FakeWorker.oneSilentCaller(http, server);

            try (Socket socket = new Socket(server.getHost(), server.getPort())) {
                socket.setSoTimeout(10_000);
                OutputStream out = socket.getOutputStream();
                out.write(("POST /classify HTTP/1.1\r\nHost: " + server.getHost() + "\r\nContent-Type: "
                        + "multipart/form-data; boundary=----x\r\nContent-Length: 2000000\r\n"
                        + "Expect: 100-continue\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                String answer = readUntilClosed(socket.getInputStream());
                assertTrue(answer.startsWith("HTTP/1.1 503 "), "no 100 Continue, the refusal at once: " + answer);
                assertTrue(answer.toLowerCase().contains("\r\nconnection: close\r\n"), answer);
                assertTrue(answer.toLowerCase().contains("\r\nretry-after: 1\r\n"), answer);
            }
            assertEquals(504, waiting.get(60, TimeUnit.SECONDS).statusCode());
        }
    }

    /** Everything the server sends until it closes the connection; fails if it keeps it open 10 s. */
    private static String readUntilClosed(InputStream in) throws Exception {
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        try {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                received.write(buffer, 0, n);
            }
        } catch (SocketTimeoutException e) {
            fail("the server kept the connection open after its answer: "
                    + received.toString(StandardCharsets.US_ASCII));
        }
        return received.toString(StandardCharsets.US_ASCII);
    }
}
