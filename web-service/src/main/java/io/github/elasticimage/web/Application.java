package io.github.elasticimage.web;

import io.micronaut.runtime.Micronaut;
import io.swagger.v3.oas.annotations.OpenAPIDefinition;
import io.swagger.v3.oas.annotations.info.Info;
import io.swagger.v3.oas.annotations.info.License;

/** Entry point of the web tier. */
@OpenAPIDefinition(info = @Info(title = "elastic-image-recognition", version = "1",
        description = "Classify images: synchronously (POST /classify) or asynchronously (/api/v1/classifications).",
        license = @License(name = "Apache-2.0")))
public final class Application {

    private Application() {
    }

    public static void main(String[] args) {
        Micronaut.build(args).mainClass(Application.class).banner(false).start();
    }
}
