package dev.hangar.core.queue;

import java.util.ArrayList;
import java.util.List;
import java.util.ResourceBundle;

/** A logger that keeps what was logged: each message, and whether it came with a stack trace. */
final class KeptLog implements System.Logger {
    final List<String> lines = new ArrayList<>();

    @Override
    public String getName() {
        return "kept";
    }

    @Override
    public boolean isLoggable(Level level) {
        return true;
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String message, Throwable thrown) {
        lines.add(message + (thrown == null ? "" : " +trace"));
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String format, Object... params) {
        lines.add(format);
    }
}
