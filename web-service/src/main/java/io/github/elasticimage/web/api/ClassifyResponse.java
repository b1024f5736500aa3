package io.github.elasticimage.web.api;

import io.github.elasticimage.contract.ClassificationResult;
import io.micronaut.serde.annotation.Serdeable;

import java.util.List;

/**
 * JSON answer of {@code POST /classify} with {@code Accept: application/json}.
 *
 * @param id         request id (the key of the stored input and result)
 * @param file       the uploaded file's name, sanitised
 * @param label      top-1 label
 * @param confidence top-1 probability
 * @param top5       five best labels with probabilities
 */
@Serdeable
public record ClassifyResponse(String id, String file, String label, double confidence,
                               List<ClassificationResult.Prediction> top5) {

    static ClassifyResponse of(ClassificationResult result, String file) {
        return new ClassifyResponse(result.id(), file, result.label(), result.confidence(), result.top5());
    }
}
