package io.github.elasticimage.classifier;

import io.github.elasticimage.classifier.model.NativeLibraryPreload;
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
        // libtorch loads beside the context start (the classifier waits for it before it loads the model).
        NativeLibraryPreload.start();
        Micronaut.build(args).mainClass(Application.class).banner(false).start();
    }
}
