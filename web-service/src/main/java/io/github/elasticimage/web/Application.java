package io.github.elasticimage.web;

import io.micronaut.runtime.Micronaut;
import io.swagger.v3.oas.annotations.OpenAPIDefinition;
import io.swagger.v3.oas.annotations.info.Info;
import io.swagger.v3.oas.annotations.enums.SecuritySchemeIn;
import io.swagger.v3.oas.annotations.enums.SecuritySchemeType;
import io.swagger.v3.oas.annotations.info.License;
import io.swagger.v3.oas.annotations.security.SecurityScheme;

/** Entry point of the web tier. */
@OpenAPIDefinition(info = @Info(title = "elastic-image-recognition", version = "1",
        description = "Classify images: synchronously (POST /classify) or asynchronously (/api/v1/classifications). "
                + "When the deployment sets API keys (API_KEYS), send one as a bearer token or in X-Api-Key "
                + "(docs/security.md); without keys configured the API is open.",
        license = @License(name = "Apache-2.0")))
@SecurityScheme(name = "bearer", type = SecuritySchemeType.HTTP, scheme = "bearer",
        description = "Authorization: Bearer <API key>")
@SecurityScheme(name = "apiKey", type = SecuritySchemeType.APIKEY, in = SecuritySchemeIn.HEADER,
        paramName = "X-Api-Key", description = "the API key in X-Api-Key")
public final class Application {

    private Application() {
    }

    public static void main(String[] args) {
        Micronaut.build(args).mainClass(Application.class).banner(false).start();
    }
}
