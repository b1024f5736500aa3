package io.github.elasticimage.web;

import io.micronaut.runtime.Micronaut;

/** Entry point of the web tier. */
public final class Application {

    private Application() {
    }

    public static void main(String[] args) {
        Micronaut.build(args).mainClass(Application.class).banner(false).start();
    }
}
