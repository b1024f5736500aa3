package io.github.elasticimage.loadtest;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Shows requests done and failed while the run goes on. */
public interface Progress extends LoadRunner.Listener, AutoCloseable {

    enum Mode { AUTO, BAR, LINES, NONE }

    @Override
    void close();

    /** A progress bar on a terminal; plain lines once a second otherwise (CI logs, pipes, files). */
    static Progress create(Mode mode, int total, PrintStream out, boolean outIsTerminal) {
        Mode chosen = mode == Mode.AUTO ? (outIsTerminal ? Mode.BAR : Mode.LINES) : mode;
        return switch (chosen) {
            case BAR -> new Bar(total);
            case LINES -> new Lines(total, out);
            default -> new Progress() {
                @Override
                public void completed(RequestResult result) {
                }

                @Override
                public void close() {
                }
            };
        };
    }

    /** me.tongfei:progressbar, redrawn in place on the terminal. */
    final class Bar implements Progress {
        private final ProgressBar bar;
        private final AtomicInteger failed = new AtomicInteger();

        Bar(int total) {
            bar = new ProgressBarBuilder().setTaskName("classify").setInitialMax(total)
                    .setStyle(ProgressBarStyle.UNICODE_BLOCK).setUpdateIntervalMillis(200).showSpeed()
                    .build();
            bar.setExtraMessage(" failed 0");
        }

        @Override
        public void completed(RequestResult result) {
            if (!result.ok()) {
                bar.setExtraMessage(" failed " + failed.incrementAndGet());
            }
            bar.step();
        }

        @Override
        public void close() {
            bar.close();
        }
    }

    /** One plain line per second while anything changed, and a last one at the end. */
    final class Lines implements Progress {
        private final int total;
        private final PrintStream out;
        private final AtomicInteger done = new AtomicInteger();
        private final AtomicInteger failed = new AtomicInteger();
        private final long start = System.nanoTime();
        private final ScheduledExecutorService ticker;
        private int lastPrinted = -1;

        Lines(int total, PrintStream out) {
            this.total = total;
            this.out = out;
            ticker = Executors.newSingleThreadScheduledExecutor(runnable -> {
                Thread thread = new Thread(runnable, "load-test-progress");
                thread.setDaemon(true);
                return thread;
            });
            ticker.scheduleAtFixedRate(this::print, 1, 1, TimeUnit.SECONDS);
        }

        @Override
        public void completed(RequestResult result) {
            if (!result.ok()) {
                failed.incrementAndGet();
            }
            done.incrementAndGet();
        }

        private synchronized void print() {
            int now = done.get();
            if (now != lastPrinted) {
                lastPrinted = now;
                out.printf(Locale.ROOT, "progress   %d/%d done, %d failed, %.1f s%n", now, total, failed.get(),
                        (System.nanoTime() - start) / 1e9);
            }
        }

        @Override
        public void close() {
            ticker.shutdownNow();
            print();
        }
    }
}
