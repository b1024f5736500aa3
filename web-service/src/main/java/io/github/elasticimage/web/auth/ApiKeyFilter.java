package io.github.elasticimage.web.auth;

import io.github.elasticimage.web.api.WebException;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.annotation.RequestFilter;
import io.micronaut.http.annotation.ServerFilter;

/**
 * Requires an accepted API key on the API when keys are configured ({@link ApiKeys#enabled()}): in
 * {@code Authorization: Bearer <key>} or, if there is no bearer token, {@code X-Api-Key: <key>}. A request without an
 * accepted key fails with {@link WebException.Unauthorized} (401 with the JSON error body and
 * {@code WWW-Authenticate: Bearer}). An accepted request carries its key's owner tag in the request attribute
 * {@link #OWNER}. The page, its files and {@code /health} are not matched and stay public.
 */
@ServerFilter(patterns = {"/classify", "/classify/**", "/api/v1/classifications", "/api/v1/classifications/**"})
public class ApiKeyFilter {

    /** Request attribute holding the owner tag of the caller's key (absent when keys are off). */
    public static final String OWNER = "elasticimage.api-key-owner";
    /** The header a browser or script can send instead of a bearer token. */
    public static final String API_KEY_HEADER = "X-Api-Key";

    private static final String BEARER = "Bearer ";

    private final ApiKeys keys;

    public ApiKeyFilter(ApiKeys keys) {
        this.keys = keys;
    }

    @RequestFilter
    public void requireKey(HttpRequest<?> request) {
        if (!keys.enabled()) {
            return;
        }
        String presented = presentedKey(request.getHeaders());
        String owner = keys.authenticate(presented).orElseThrow(() -> new WebException.Unauthorized(presented == null
                ? "an API key is required: send Authorization: Bearer <key> or X-Api-Key: <key>"
                : "the API key is not accepted"));
        request.setAttribute(OWNER, owner);
    }

    @Nullable
    private static String presentedKey(HttpHeaders headers) {
        String authorization = headers.get(HttpHeaders.AUTHORIZATION);
        if (authorization != null && authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return authorization.substring(BEARER.length()).strip();
        }
        String header = headers.get(API_KEY_HEADER);
        return header == null ? null : header.strip();
    }
}
