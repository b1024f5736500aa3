package io.github.elasticimage.aws;

import jakarta.inject.Singleton;
import software.amazon.awssdk.services.sqs.SqsClient;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Resolves queue names to URLs once ({@code GetQueueUrl}) and caches them. Configuration carries names, so the same
 * settings work against ElasticMQ and SQS.
 */
@Singleton
public class QueueUrls {

    private final SqsClient sqs;
    private final Map<String, String> cache = new ConcurrentHashMap<>();

    public QueueUrls(SqsClient sqs) {
        this.sqs = sqs;
    }

    public String urlOf(String queueName) {
        return cache.computeIfAbsent(queueName, name -> sqs.getQueueUrl(b -> b.queueName(name)).queueUrl());
    }
}
