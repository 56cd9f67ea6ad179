package dev.hangar.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** The job spec of {@code -f/--file}: a file, or - for standard input; a file that cannot be read is named with why. */
final class SpecFile {
    private SpecFile() {}

    /** The bytes as UTF-8 text; refused naming {@code what} if they are not (never turned into U+FFFD quietly). */
    static String utf8(byte[] bytes, String what) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalArgumentException(what + " is not UTF-8 text");
        }
    }

    static String read(String file) throws IOException {
        if ("-".equals(file)) {
            return utf8(System.in.readAllBytes(), "--file: standard input");
        }
        if (file == null || file.isBlank()) {
            throw new IllegalArgumentException("--file: give a job spec file, or - for standard input");
        }
        Path path;
        try {
            path = Path.of(file);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("--file: '" + file + "' is not a path: " + e.getReason());
        }
        if (Files.isDirectory(path)) {
            throw new IllegalArgumentException("--file: " + file + " is a directory, not a job spec file");
        }
        try {
            return Files.readString(path);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("--file: " + file + " does not exist");
        } catch (AccessDeniedException e) {
            throw new IllegalArgumentException("--file: " + file + " cannot be read (permission denied)");
        } catch (java.nio.charset.MalformedInputException e) {
            throw new IllegalArgumentException("--file: " + file + " is not UTF-8 text");
        }
    }
}
