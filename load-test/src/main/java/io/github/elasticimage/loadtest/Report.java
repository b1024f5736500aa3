package io.github.elasticimage.loadtest;

import io.github.elasticimage.scaling.ScalingPoint;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes {@code requests.csv} (one row per request) and a self-contained {@code report.html} whose charts are PNGs
 * (XChart, rendered headless) embedded as base64.
 */
public final class Report {

    public static final String HTML = "report.html";
    public static final String CSV = "requests.csv";
    private static final int WIDTH = 900;
    private static final int HEIGHT = 380;
    private static final int BINS = 30;

    private Report() {
    }

    /** Run parameters shown at the top of the report. */
    public record Parameters(String url, String field, int requests, int concurrency, String images,
                             String timeout, String retries, String scalingSource) {
    }

    public static void write(Path dir, Parameters parameters, Summary summary) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Files.createDirectories(dir);
        writeCsv(dir.resolve(CSV), summary);
        writeHtml(dir.resolve(HTML), parameters, summary);
    }

    static void writeCsv(Path file, Summary summary) throws IOException {
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            out.write("file,start_ms,end_ms,latency_ms,status,label,expected,correct,error,attempts,seen_503\n");
            for (RequestResult r : summary.run().results()) {
                String status = r.status() > 0 ? Integer.toString(r.status()) : r.error();
                String correct = r.checked() ? Boolean.toString(r.correct()) : "";
                out.write(String.join(",", Csv.field(r.file()), ms(r.sentNanos()), ms(r.endNanos()),
                        ms(r.latencyNanos()), Csv.field(status), Csv.field(r.label()), Csv.field(r.expected()),
                        correct, Csv.field(r.ok() ? "" : r.error() + ": " + r.detail()),
                        Integer.toString(r.attempts()), Integer.toString(r.seen503())));
                out.write('\n');
            }
        }
    }

    private static String ms(long nanos) {
        return String.format(Locale.ROOT, "%.3f", nanos / 1e6);
    }

    static void writeHtml(Path file, Parameters p, Summary s) throws IOException {
        StringBuilder html = new StringBuilder();
        html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>load-test report</title>\n")
                .append("<style>body{font-family:sans-serif;max-width:960px;margin:2em auto;color:#222}")
                .append("table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;")
                .append("text-align:left}th{background:#f4f4f4}.bad{color:#b00}.good{color:#070}")
                .append("code{background:#f4f4f4;padding:2px 4px}img{max-width:100%}</style></head><body>\n");
        html.append("<h1>Load test: ").append(s.passed() ? "<span class=\"good\">passed</span>"
                : "<span class=\"bad\">failed</span>").append("</h1>\n");
        html.append("<p><code>").append(esc(s.lastLine())).append("</code></p>\n");

        html.append("<h2>Run</h2>\n<table>\n");
        row(html, "started", Instant.ofEpochMilli(s.run().startEpochMillis()).toString());
        row(html, "endpoint", p.url() + " (field " + p.field() + ")");
        row(html, "requests", p.requests() + " at concurrency " + p.concurrency()
                + (p.concurrency() >= p.requests() ? " (one closed burst)" : ""));
        row(html, "images", p.images());
        row(html, "timeout", p.timeout() + " per attempt");
        row(html, "retries", p.retries());
        html.append("</table>\n");

        html.append("<h2>Results</h2>\n<table>\n");
        row(html, "ok / failed", s.ok() + " / " + s.failed());
        row(html, "labels correct", s.correct() + " of " + s.checked() + " checked");
        row(html, "retries", s.retriesLine().substring(11));
        row(html, "latency from start moment (ms)", String.format(Locale.ROOT,
                "p50 %.1f, p90 %.1f, p99 %.1f, max %.1f", s.latencyMs(50), s.latencyMs(90), s.latencyMs(99), s.maxMs()));
        row(html, "service time from send (ms)", String.format(Locale.ROOT, "p50 %.1f, p90 %.1f, p99 %.1f",
                s.serviceMs(50), s.serviceMs(90), s.serviceMs(99)));
        row(html, "throughput", String.format(Locale.ROOT, "%.1f ok/s over %.2f s", s.throughput(),
                s.elapsedSeconds()));
        row(html, "workers", Summary.scalingLine(s.scaling(), p.scalingSource(), null).substring(11));
        html.append("</table>\n");

        if (!s.errorsByKind().isEmpty()) {
            html.append("<h2>Errors by kind</h2>\n<table><tr><th>kind</th><th>count</th><th>example</th></tr>\n");
            for (Map.Entry<String, Integer> e : s.errorsByKind().entrySet()) {
                html.append("<tr><td>").append(esc(e.getKey())).append("</td><td>").append(e.getValue())
                        .append("</td><td>").append(esc(s.errorExamples().get(e.getKey()))).append("</td></tr>\n");
            }
            html.append("</table>\n");
        }
        if (!s.wrongLabels().isEmpty()) {
            html.append("<h2>Wrong labels</h2>\n<table><tr><th>answer</th><th>count</th></tr>\n");
            for (Map.Entry<String, Integer> e : s.wrongLabels().entrySet()) {
                html.append("<tr><td>").append(esc(e.getKey())).append("</td><td>").append(e.getValue())
                        .append("</td></tr>\n");
            }
            html.append("</table>\n");
        }

        html.append("<h2>Latency</h2>\n").append(img("latency histogram", latencyChart(s)));
        html.append("<h2>Completions over time</h2>\n").append(img("completions over time", completionsChart(s)));
        html.append("<h2>Queue depth and workers over time</h2>\n");
        if (s.scaling() != null) {
            html.append(img("queue depth and workers over time", scalingChart(s)));
        } else {
            html.append("<p>No scaling timeline was available during this run.</p>\n");
        }
        html.append("<p>Every request, one row each: <a href=\"").append(CSV).append("\">").append(CSV)
                .append("</a> (times in ms after the start moment).</p>\n</body></html>\n");
        Files.writeString(file, html, StandardCharsets.UTF_8);
    }

    static CategoryChart latencyChart(Summary s) {
        double maxMs = Math.max(1, s.maxMs());
        double width = niceBinWidth(maxMs / BINS);
        int bins = (int) Math.ceil(maxMs / width) + (maxMs % width == 0 ? 1 : 0);
        int[] counts = new int[Math.max(1, bins)];
        for (RequestResult r : s.run().results()) {
            int bin = (int) Math.min(counts.length - 1, Math.floor(r.latencyNanos() / 1e6 / width));
            counts[bin]++;
        }
        List<String> labels = new ArrayList<>();
        List<Integer> values = new ArrayList<>();
        for (int i = 0; i < counts.length; i++) {
            labels.add(trim(i * width));
            values.add(counts[i]);
        }
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT)
                .title("Latency from the start moment (bins of " + trim(width) + " ms)")
                .xAxisTitle("latency, ms (bin start)").yAxisTitle("requests").build();
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setXAxisLabelRotation(45);
        chart.getStyler().setAvailableSpaceFill(0.95);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        chart.addSeries("requests", labels, values);
        return chart;
    }

    static XYChart completionsChart(Summary s) {
        List<RequestResult> byEnd = new ArrayList<>(s.run().results());
        byEnd.sort(Comparator.comparingLong(RequestResult::endNanos));
        List<Double> okX = new ArrayList<>(List.of(0.0));
        List<Double> okY = new ArrayList<>(List.of(0.0));
        List<Double> failX = new ArrayList<>(List.of(0.0));
        List<Double> failY = new ArrayList<>(List.of(0.0));
        int ok = 0;
        int failed = 0;
        for (RequestResult r : byEnd) {
            double t = r.endNanos() / 1e9;
            if (r.ok()) {
                okX.add(t);
                okY.add((double) ++ok);
            } else {
                failX.add(t);
                failY.add((double) ++failed);
            }
        }
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title("Completed requests over time")
                .xAxisTitle("seconds after the start moment").yAxisTitle("requests completed").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        chart.addSeries("ok", okX, okY).setMarker(SeriesMarkers.NONE);
        if (failed > 0) {
            chart.addSeries("failed", failX, failY).setMarker(SeriesMarkers.NONE);
        }
        return chart;
    }

    static XYChart scalingChart(Summary s) {
        long start = s.run().startEpochMillis();
        List<Double> x = new ArrayList<>();
        List<Double> visible = new ArrayList<>();
        List<Double> inFlight = new ArrayList<>();
        List<Double> desired = new ArrayList<>();
        List<Double> running = new ArrayList<>();
        for (ScalingPoint point : s.scaling().points()) {
            x.add((point.t() - start) / 1000.0);
            visible.add((double) point.visible());
            inFlight.add((double) point.inFlight());
            desired.add((double) point.desired());
            running.add((double) point.running());
        }
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title("Request queue and workers")
                .xAxisTitle("seconds after the start moment").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setYAxisMin(0, 0.0);
        chart.getStyler().setYAxisMin(1, 0.0);
        chart.setYAxisGroupTitle(0, "messages");
        chart.setYAxisGroupTitle(1, "workers");
        chart.getStyler().setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
        chart.addSeries("queue visible", x, visible).setMarker(SeriesMarkers.NONE);
        chart.addSeries("in flight", x, inFlight).setMarker(SeriesMarkers.NONE);
        XYSeries d = chart.addSeries("workers desired", x, desired);
        d.setYAxisGroup(1);
        d.setMarker(SeriesMarkers.NONE);
        XYSeries r = chart.addSeries("workers running", x, running);
        r.setYAxisGroup(1);
        r.setMarker(SeriesMarkers.NONE);
        return chart;
    }

    /** 1, 2 or 5 times a power of ten, at least {@code raw}. */
    static double niceBinWidth(double raw) {
        if (raw <= 0) {
            return 1;
        }
        double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
        for (double step : new double[] {1, 2, 5, 10}) {
            if (step * magnitude >= raw) {
                return step * magnitude;
            }
        }
        return 10 * magnitude;
    }

    private static String trim(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : String.format(Locale.ROOT, "%.2f", value);
    }

    private static String img(String alt, Chart<?, ?> chart) throws IOException {
        byte[] png = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        return "<p><img alt=\"" + esc(alt) + "\" src=\"data:image/png;base64,"
                + Base64.getEncoder().encodeToString(png) + "\"></p>\n";
    }

    private static void row(StringBuilder html, String name, String value) {
        html.append("<tr><th>").append(esc(name)).append("</th><td>").append(esc(value)).append("</td></tr>\n");
    }

    static String esc(String text) {
        if (text == null) {
            return "";
        }
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
