package io.github.elasticimage.web.queue;

import io.github.elasticimage.contract.ClassificationRequest;

/** Hands classification requests to the worker tier. */
public interface JobQueue {

    void send(ClassificationRequest request);
}
