package io.github.elasticimage.loadtest;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/** The images to send and, where known, the label each should get. */
public record Workload(List<Image> images, Map<String, String> expected, String origin) {

    /** Bundled images and their labels from the default model; the files are the repository's samples/ folder. */
    static final String BUNDLED_INDEX = "/samples/bundled-samples.csv";
    private static final Set<String> IMAGE_EXTENSIONS = Set.of("png", "jpg", "jpeg", "gif", "bmp", "webp");

    /** The sample images bundled in the jar, with the labels the default model gives them. */
    public static Workload bundled() throws IOException {
        Map<String, String> index = readExpected(resource(BUNDLED_INDEX), BUNDLED_INDEX);
        List<Image> images = new ArrayList<>();
        for (String name : index.keySet()) {
            images.add(new Image(name, resource("/samples/" + name)));
        }
        return new Workload(List.copyOf(images), index, "bundled samples");
    }

    /** Every image file directly in {@code dir} (by extension), sorted by name; no expected labels. */
    public static Workload fromDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException("not a folder: " + dir);
        }
        List<Image> images = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(Files::isRegularFile).filter(Workload::isImage).sorted().toList()) {
                images.add(new Image(file.getFileName().toString(), Files.readAllBytes(file)));
            }
        }
        if (images.isEmpty()) {
            throw new IOException("no image files (" + String.join(", ", IMAGE_EXTENSIONS) + ") in " + dir);
        }
        return new Workload(List.copyOf(images), Map.of(), dir.toString());
    }

    public Workload withExpected(Map<String, String> labels) {
        return new Workload(images, Map.copyOf(labels), origin);
    }

    /** The image request {@code index} sends: the images in turn. */
    public Image imageFor(int index) {
        return images.get(index % images.size());
    }

    public String expectedFor(Image image) {
        return expected.get(image.name());
    }

    private static boolean isImage(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 && IMAGE_EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = Workload.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("missing bundled resource " + name);
            }
            return in.readAllBytes();
        }
    }

    /** file -> label from a CSV file: columns {@code file,label}, or a header naming {@code file} and {@code label}. */
    public static Map<String, String> readExpected(Path csv) throws IOException {
        return readExpected(Files.readAllBytes(csv), csv.toString());
    }

    static Map<String, String> readExpected(byte[] content, String origin) throws IOException {
        List<String> lines = new String(content, StandardCharsets.UTF_8).lines()
                .filter(line -> !line.isBlank()).toList();
        Map<String, String> labels = new LinkedHashMap<>();
        int fileColumn = 0;
        int labelColumn = 1;
        int first = 0;
        if (!lines.isEmpty()) {
            List<String> header = Csv.split(lines.get(0));
            if (header.get(0).trim().equalsIgnoreCase("file")) {
                first = 1;
                for (int i = 0; i < header.size(); i++) {
                    if (header.get(i).trim().equalsIgnoreCase("label")) {
                        labelColumn = i;
                    }
                }
            }
        }
        for (int i = first; i < lines.size(); i++) {
            List<String> fields = Csv.split(lines.get(i));
            if (fields.size() <= Math.max(fileColumn, labelColumn)) {
                throw new IOException(origin + " line " + (i + 1) + ": expected file,label but got: " + lines.get(i));
            }
            labels.put(fields.get(fileColumn).trim(), fields.get(labelColumn).trim());
        }
        return labels;
    }

    /**
     * Labels from ImageNet-style file names {@code <wnid>_<anything>.<ext>} (e.g. {@code n01440764_tench.JPEG}), looked
     * up in a synset file of lines {@code <wnid> <label>}. Images whose name has no known wnid get no expected label.
     */
    public static Map<String, String> labelsFromNames(List<Image> images, Path synsets) throws IOException {
        Map<String, String> byWnid = new LinkedHashMap<>();
        for (String line : Files.readAllLines(synsets, StandardCharsets.UTF_8)) {
            String trimmed = line.trim();
            int space = trimmed.indexOf(' ');
            if (space > 0) {
                byWnid.put(trimmed.substring(0, space), trimmed.substring(space + 1).trim());
            }
        }
        if (byWnid.isEmpty()) {
            throw new IOException("no 'wnid label' lines in " + synsets);
        }
        Map<String, String> labels = new LinkedHashMap<>();
        for (Image image : images) {
            int underscore = image.name().indexOf('_');
            String wnid = underscore > 0 ? image.name().substring(0, underscore) : image.stem();
            String label = byWnid.get(wnid);
            if (label != null) {
                labels.put(image.name(), label);
            }
        }
        return labels;
    }
}
