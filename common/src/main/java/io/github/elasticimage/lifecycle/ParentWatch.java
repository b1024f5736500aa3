package io.github.elasticimage.lifecycle;

import io.micronaut.context.ApplicationContext;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.annotation.Value;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A service started by the local launcher ({@code make run}) gets {@code PARENT_PID}; if the launcher dies without
 * stopping it (kill -9, a crashed terminal), the service shuts itself down gracefully instead of lingering.
 */
@Context
@Requires(property = "parent.pid")
public class ParentWatch {

    private static final Logger LOG = LoggerFactory.getLogger(ParentWatch.class);

    public ParentWatch(@Value("${parent.pid}") long parentPid, ApplicationContext context) {
        ProcessHandle.of(parentPid).ifPresentOrElse(parent -> parent.onExit().thenRun(() -> {
            LOG.warn("launcher (pid {}) is gone: shutting down", parentPid);
            Thread stopper = new Thread(() -> {
                if (context.isRunning()) {
                    context.close();
                }
                System.exit(0);
            }, "parent-watch");
            stopper.start();
        }), () -> LOG.warn("PARENT_PID {} is not a running process; not watching it", parentPid));
    }
}
