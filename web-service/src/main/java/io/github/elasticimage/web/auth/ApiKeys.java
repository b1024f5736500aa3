package io.github.elasticimage.web.auth;

import io.micronaut.context.annotation.Context;
import io.micronaut.core.annotation.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The accepted API keys, held only as SHA-256 digests. A presented key is hashed and compared with every accepted
 * digest by {@link MessageDigest#isEqual} (constant time for equal lengths; digests always have the same length, so
 * neither a key's length nor how much of it matched shows in the time taken). Keys are never logged.
 *
 * <p>Each key also has an owner tag, HMAC-SHA256 keyed with the API key over a fixed label: the same key gives the same
 * tag on every web instance, so a result stored under a tag can be read through any instance with that key; the tag
 * reveals nothing usable about a random key. Keys must be at least {@value #MIN_KEY_LENGTH} characters (a 32-byte hex
 * key from {@code openssl rand -hex 32} is the recommendation in docs/security.md).
 */
@Context
public class ApiKeys {

    /** Shortest key accepted at start-up: shorter keys could be guessed from an owner tag. */
    public static final int MIN_KEY_LENGTH = 16;

    private static final Logger LOG = LoggerFactory.getLogger(ApiKeys.class);
    private static final byte[] OWNER_LABEL = "elastic-image-recognition result owner v1".getBytes(StandardCharsets.UTF_8);

    private final List<Accepted> accepted;

    public ApiKeys(ApiKeyProperties properties) {
        Set<String> keys = new LinkedHashSet<>();
        if (properties.apiKeys() != null) {
            properties.apiKeys().stream().map(String::strip).filter(k -> !k.isEmpty()).forEach(keys::add);
        }
        if (properties.apiKeysFile() != null && !properties.apiKeysFile().toString().isBlank()) {
            keys.addAll(readFile(properties.apiKeysFile()));
        }
        List<Accepted> list = new ArrayList<>();
        int n = 0;
        for (String key : keys) {
            n++;
            if (key.length() < MIN_KEY_LENGTH) {
                // Name the position, never the key.
                throw new IllegalArgumentException("API key #" + n + " (API_KEYS / API_KEYS_FILE) has fewer than "
                        + MIN_KEY_LENGTH + " characters; use random keys such as `openssl rand -hex 32`");
            }
            list.add(new Accepted(sha256(key), ownerTag(key)));
        }
        this.accepted = List.copyOf(list);
        if (accepted.isEmpty()) {
            LOG.info("API keys off: /classify and /api/v1/classifications are open (set API_KEYS or API_KEYS_FILE)");
        } else {
            LOG.info("API keys on: {} key(s) accepted for /classify and /api/v1/classifications", accepted.size());
        }
    }

    /** Whether keys are required. */
    public boolean enabled() {
        return !accepted.isEmpty();
    }

    /**
     * The owner tag of the accepted key {@code presented}, or empty when it is not accepted. Compares with every
     * accepted key, whether or not an earlier one matched.
     */
    public Optional<String> authenticate(@Nullable String presented) {
        if (presented == null || presented.isEmpty()) {
            return Optional.empty();
        }
        byte[] digest = sha256(presented);
        String owner = null;
        for (Accepted key : accepted) {
            if (MessageDigest.isEqual(digest, key.digest) && owner == null) {
                owner = key.owner;
            }
        }
        return Optional.ofNullable(owner);
    }

    private static List<String> readFile(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8).stream().map(String::strip)
                    .filter(line -> !line.startsWith("#"))
                    .flatMap(line -> java.util.Arrays.stream(line.split(",")).map(String::strip))
                    .filter(key -> !key.isEmpty()).toList();
        } catch (IOException e) {
            // The path is configuration, not a secret; the contents are never shown.
            throw new UncheckedIOException("cannot read API_KEYS_FILE " + file + ": " + e.getMessage(), e);
        }
    }

    private static byte[] sha256(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    private static String ownerTag(String key) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(OWNER_LABEL));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    private record Accepted(byte[] digest, String owner) {
    }
}
