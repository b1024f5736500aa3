package io.github.elasticimage.classifier.config;

import io.micronaut.context.annotation.ConfigurationProperties;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;

import java.util.List;

/**
 * The classifier model ({@code app.model.*}). Any TorchScript ImageNet-style classifier taking a normalised
 * {@code 1x3xHxW} float tensor and returning one score per label can be swapped in here without code changes.
 *
 * @param path          TorchScript file; {@code classpath:} for one inside the jar ({@code MODEL_PATH})
 * @param labels        labels file, one label per line in class-index order ({@code MODEL_LABELS})
 * @param resize        the shorter image side is scaled to this before cropping ({@code MODEL_RESIZE})
 * @param inputSize     side of the centre crop fed to the model ({@code MODEL_INPUT_SIZE})
 * @param mean          per-channel (RGB) mean subtracted after scaling to [0,1] ({@code MODEL_MEAN})
 * @param std           per-channel (RGB) standard deviation divided by ({@code MODEL_STD})
 * @param applySoftmax  whether the model returns raw scores that need a softmax ({@code MODEL_SOFTMAX})
 * @param warmupRuns    synthetic images classified (decode, preprocess, inference) on the inference threads before
 *                      the worker takes work, the JIT warm-up ({@code MODEL_WARMUP_RUNS}; 0: none)
 */
@ConfigurationProperties("app.model")
public record ModelProperties(
        @NotBlank String path,
        @NotBlank String labels,
        @Min(1) int resize,
        @Min(1) int inputSize,
        @NotNull @Size(min = 3, max = 3) List<Float> mean,
        @NotNull @Size(min = 3, max = 3) List<Float> std,
        boolean applySoftmax,
        @Min(0) int warmupRuns) {
}
