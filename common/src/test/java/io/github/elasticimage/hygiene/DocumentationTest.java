package io.github.elasticimage.hygiene;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Keeps the documentation honest: the README stays a front door (at most 10 KB), every relative link in it and in
 * {@code docs/} reaches an existing file, and nothing else in the repository points at a README section by its title
 * (titles change and such pointers rot; code and config link to a {@code docs/} file instead).
 */
class DocumentationTest {

    private static final Path ROOT = RepositoryHygieneTest.ROOT;
    static final int README_MAX_BYTES = 10 * 1024;
    /** Markdown inline links and images: {@code [text](target)} or {@code [text](target "title")}. */
    private static final Pattern LINK = Pattern.compile("!?\\[[^\\]]*]\\(\\s*<?([^)\\s>]+)>?(?:\\s+\"[^\"]*\")?\\s*\\)");
    /** A pointer at a README section: {@code README "Title"}, {@code README 'Title'}, {@code README's ...}, {@code README: "x"}. */
    private static final Pattern SECTION_REFERENCE = Pattern.compile("README(?:'s\\b|,? [\"']|: [\"'])");

    @Test
    void readmeIsAFrontDoorOfAtMostTenKilobytes() throws IOException {
        long size = Files.size(ROOT.resolve("README.md"));
        System.out.printf("docs: README.md is %d bytes (limit %d)%n", size, README_MAX_BYTES);
        assertTrue(size <= README_MAX_BYTES, "README.md is " + size + " bytes, over " + README_MAX_BYTES
                + ": move the detail to a docs/ file and link it");
    }

    @Test
    void everyRelativeLinkInTheDocumentationReachesAFile() throws IOException {
        List<Path> pages = markdownPages();
        assertTrue(pages.size() > 5, "expected README.md and the docs/ pages, found " + pages);
        List<String> broken = new ArrayList<>();
        int links = 0;
        for (Path page : pages) {
            links += brokenLinks(page, broken);
        }
        System.out.printf("docs: %d relative links in %d pages, %d broken%n", links, pages.size(), broken.size());
        assertTrue(links > 20, "expected the README and docs/ to link each other, found " + links + " links");
        assertTrue(broken.isEmpty(), "links to files that do not exist: " + broken);
    }

    @Test
    void brokenLinksAreFound() throws IOException {
        Path page = Files.createTempFile("doc", ".md");
        try {
            Files.writeString(page, "[ok](" + page.getFileName() + "#top) [gone](no-such-file.md) "
                    + "[web](https://example.org/x) ![img](missing.png \"title\")");
            List<String> broken = new ArrayList<>();
            int links = brokenLinks(page, broken);
            assertTrue(links == 3, "relative links counted: " + links);
            assertTrue(broken.size() == 2 && broken.get(0).endsWith("no-such-file.md")
                    && broken.get(1).endsWith("missing.png"), "broken: " + broken);
        } finally {
            Files.delete(page);
        }
    }

    @Test
    void nothingOutsideTheDocumentationPointsAtAReadmeSection() throws IOException, InterruptedException {
        List<String> findings = new ArrayList<>();
        for (Path file : RepositoryHygieneTest.trackedFiles()) {
            String relative = ROOT.relativize(file).toString().replace('\\', '/');
            if (relative.equals("README.md") || relative.startsWith("docs/")
                    || relative.endsWith("/DocumentationTest.java")
                    || !Files.isRegularFile(file) || Files.size(file) > 2_000_000) {
                continue;
            }
            List<String> lines = Files.readAllLines(file, StandardCharsets.ISO_8859_1);
            for (int i = 0; i < lines.size(); i++) {
                if (SECTION_REFERENCE.matcher(lines.get(i)).find()) {
                    findings.add(relative + ":" + (i + 1) + ": " + lines.get(i).strip());
                }
            }
        }
        assertTrue(findings.isEmpty(), "README sections referenced by title (link the docs/ file instead): " + findings);
        assertFalse(SECTION_REFERENCE.matcher("see samples/README.md").find(), "a file link is not a section reference");
        assertTrue(SECTION_REFERENCE.matcher("(README \"Metrics\")").find(), "the pattern must catch README \"Title\"");
    }

    /** README.md and every {@code .md} file under docs/ (tracked or not yet). */
    private static List<Path> markdownPages() throws IOException {
        List<Path> pages = new ArrayList<>(List.of(ROOT.resolve("README.md")));
        try (Stream<Path> docs = Files.walk(ROOT.resolve("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
        }
        return pages;
    }

    /** Adds {@code page: target} for each relative link of {@code page} that reaches nothing; returns the count. */
    private static int brokenLinks(Path page, List<String> broken) throws IOException {
        String text = Files.readString(page, StandardCharsets.UTF_8);
        Matcher link = LINK.matcher(text);
        int count = 0;
        while (link.find()) {
            String target = link.group(1);
            if (target.matches("(?i)[a-z][a-z0-9+.-]*:.*") || target.startsWith("#")) {
                continue; // https:, mailto: and anchors within the page
            }
            count++;
            int anchor = target.indexOf('#');
            String file = anchor >= 0 ? target.substring(0, anchor) : target;
            if (!Files.exists(page.getParent().resolve(file).normalize())) {
                broken.add((page.startsWith(ROOT) ? ROOT.relativize(page) : page.getFileName()) + ": " + target);
            }
        }
        return count;
    }
}
