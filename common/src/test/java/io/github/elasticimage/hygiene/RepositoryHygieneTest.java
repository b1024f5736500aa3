package io.github.elasticimage.hygiene;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * No credentials in the repository, ever: scans every tracked file (or, outside a git checkout, every file but build
 * output) for key files, AWS access key ids, secret keys, private keys and AWS account ids in ARNs.
 */
class RepositoryHygieneTest {

    static final Path ROOT = Path.of(System.getProperty("project.root", "..")).toAbsolutePath().normalize();
    private static final Pattern KEY_FILE = Pattern.compile("(?i).*\\.(pem|key|p12|pfx|jks|keystore)$|(^|.*/)\\.env$"
            + "|(^|.*/)credentials$|(^|.*/)id_(rsa|dsa|ecdsa|ed25519)$");
    private static final List<Pattern> SECRETS = List.of(
            Pattern.compile("(?<![A-Z0-9])(AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])"),
            Pattern.compile("(?i)aws_secret_access_key\\s*[=:]\\s*['\"]?[A-Za-z0-9/+=]{40}"),
            Pattern.compile("-----BEGIN ([A-Z ]+ )?PRIVATE KEY-----"),
            Pattern.compile("arn:aws:[a-z0-9-]+:[a-z0-9-]*:[0-9]{12}:"));

    @Test
    void noKeyFilesAndNoSecretsAreTracked() throws IOException, InterruptedException {
        List<String> findings = new ArrayList<>();
        List<Path> files = trackedFiles();
        assertTrue(files.size() > 20, "expected to scan the repository, found " + files.size() + " files in " + ROOT);
        for (Path file : files) {
            String relative = ROOT.relativize(file).toString().replace('\\', '/');
            if (KEY_FILE.matcher(relative).matches()) {
                findings.add(relative + ": key or credentials file");
                continue;
            }
            if (!Files.isRegularFile(file) || Files.size(file) > 2_000_000) {
                continue;
            }
            String text = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
            for (Pattern secret : SECRETS) {
                if (secret.matcher(text).find() && !relative.endsWith("RepositoryHygieneTest.java")) {
                    findings.add(relative + ": matches " + secret.pattern());
                }
            }
        }
        System.out.printf("hygiene: scanned %d files under %s, %d finding(s)%n", files.size(), ROOT, findings.size());
        assertTrue(findings.isEmpty(), "credentials in the repository: " + findings);
    }

    /** Every tracked file (git ls-files), or outside a git checkout every file but build output. */
    static List<Path> trackedFiles() throws IOException, InterruptedException {
        if (Files.isDirectory(ROOT.resolve(".git"))) {
            Process git = new ProcessBuilder("git", "ls-files", "-z").directory(ROOT.toFile())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            byte[] out = git.getInputStream().readAllBytes();
            if (git.waitFor() == 0) {
                List<Path> files = new ArrayList<>();
                for (String name : new String(out, StandardCharsets.UTF_8).split("\u0000")) {
                    if (!name.isEmpty()) {
                        files.add(ROOT.resolve(name));
                    }
                }
                return files;
            }
        }
        try (Stream<Path> walk = Files.walk(ROOT)) {
            return walk.filter(Files::isRegularFile)
                    .filter(p -> !p.toString().contains("/target/") && !p.toString().contains("/.git/")
                            && !p.toString().contains("/.terraform/"))
                    .toList();
        }
    }
}
