package io.github.elasticimage.imagesmoke;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The environment an AWS host gives its container, read from the host's user data
 * ({@code terraform/templates/<tier>.sh.tftpl}: the names it writes into the container's env file and the
 * {@code JAVA_TOOL_OPTIONS} it passes), with local values in place of the deployment's. The smoke test starts the
 * images with exactly these names, so a setting the hosts pass under a name the service does not read, or a required
 * one they forget, fails here instead of on a fresh AWS account.
 */
final class HostEnvironment {

    private static final Pattern ENV_BLOCK = Pattern.compile("(?s)cat >>? /etc/image-recognition/[a-z]+\\.env <<'?ENV'?\\n(.*?)\\nENV\\n");
    private static final Pattern ENV_LINE = Pattern.compile("(?m)^([A-Z][A-Z0-9_]*)=(.*)$");
    private static final Pattern JVM_OPTIONS = Pattern.compile("(?m)^\\s*jvm_options\\s*=\\s*\"([^\"]*)\"");

    private HostEnvironment() {
    }

    /**
     * What the tier's user data passes to its container, in template order: name to the template's value, a literal
     * (e.g. {@code LIFECYCLE_GATE=imds}) or a placeholder filled in by Terraform or at boot ({@code ${...}}, {@code $x}).
     */
    static Map<String, String> settings(Path terraformDir, String tier) {
        String template = read(terraformDir.resolve("templates").resolve(tier + ".sh.tftpl"));
        Map<String, String> settings = new LinkedHashMap<>();
        Matcher block = ENV_BLOCK.matcher(template);
        while (block.find()) {
            Matcher line = ENV_LINE.matcher(block.group(1));
            while (line.find()) {
                settings.put(line.group(1), line.group(2));
            }
        }
        if (settings.isEmpty()) {
            throw new IllegalStateException("no env file block found in the " + tier + " user data template");
        }
        if (template.contains("JAVA_TOOL_OPTIONS=${jvm_options}")) {
            settings.put("JAVA_TOOL_OPTIONS", jvmOptions(terraformDir));
        }
        return settings;
    }

    /**
     * The container environment: each literal the hosts pass as it is, and for each placeholder the local value from
     * {@code localValues}; fails naming the setting when the test has no local value for a placeholder (a new setting
     * must be added here on purpose).
     */
    static Map<String, String> forTier(Path terraformDir, String tier, Map<String, String> localValues) {
        Map<String, String> env = new LinkedHashMap<>();
        for (Map.Entry<String, String> setting : settings(terraformDir, tier).entrySet()) {
            String name = setting.getKey();
            String value = setting.getValue().contains("$") ? localValues.get(name) : setting.getValue();
            if (value == null) {
                throw new IllegalStateException("terraform/templates/" + tier + ".sh.tftpl passes " + name
                        + " to the container, but the image smoke test has no local value for it: add one");
            }
            env.put(name, value);
        }
        return env;
    }

    /** Only what points the services at the loopback servers instead of AWS; everything else comes from the hosts' names. */
    static Map<String, String> localEndpoints(Map<String, String> serviceEnvironment) {
        Map<String, String> env = new LinkedHashMap<>();
        for (String name : List.of("MICRONAUT_ENVIRONMENTS", "SQS_ENDPOINT", "S3_ENDPOINT", "IMDS_ENDPOINT",
                "AWS_SERVICES_CLOUDWATCH_ENDPOINT_OVERRIDE", "AWS_SERVICES_AUTOSCALING_ENDPOINT_OVERRIDE")) {
            if (serviceEnvironment.get(name) != null) {
                env.put(name, serviceEnvironment.get(name));
            }
        }
        return env;
    }

    private static String jvmOptions(Path terraformDir) {
        Matcher matcher = JVM_OPTIONS.matcher(read(terraformDir.resolve("compute.tf")));
        if (!matcher.find()) {
            throw new IllegalStateException("terraform/compute.tf defines no jvm_options local");
        }
        return matcher.group(1);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
