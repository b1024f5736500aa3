package io.github.elasticimage.web.api;

import io.micronaut.core.annotation.Nullable;

/**
 * Client-supplied file names are only ever displayed (never used as storage keys). This makes them safe to echo in
 * responses and logs: no path, no control characters, bounded length.
 */
public final class FileNames {

    static final int MAX_LENGTH = 128;

    private FileNames() {
    }

    /** The last path element without control or format characters, at most {@value #MAX_LENGTH} characters. */
    public static String sanitise(@Nullable String name) {
        if (name == null) {
            return "upload";
        }
        String base = name;
        int slash = Math.max(base.lastIndexOf('/'), base.lastIndexOf('\\'));
        if (slash >= 0) {
            base = base.substring(slash + 1);
        }
        StringBuilder clean = new StringBuilder(Math.min(base.length(), MAX_LENGTH));
        base.codePoints()
                .filter(cp -> !Character.isISOControl(cp) && Character.getType(cp) != Character.FORMAT)
                .limit(MAX_LENGTH)
                .forEach(clean::appendCodePoint);
        String result = clean.toString().strip();
        return result.isEmpty() || result.equals(".") || result.equals("..") ? "upload" : result;
    }

    /** The sanitised name without its extension ({@code test_0.JPEG -> test_0}). */
    public static String stem(@Nullable String name) {
        String clean = sanitise(name);
        int dot = clean.lastIndexOf('.');
        return dot > 0 ? clean.substring(0, dot) : clean;
    }
}
