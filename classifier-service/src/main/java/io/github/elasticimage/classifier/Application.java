package io.github.elasticimage.classifier;

import io.micronaut.runtime.Micronaut;

/** Entry point of a classifier worker. */
public final class Application {

    private Application() {
    }

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        // A worker never downloads anything: the model and the native libtorch ship with it.
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        Micronaut.build(args).mainClass(Application.class).banner(false).start();
    }
}
