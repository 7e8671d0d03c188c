package org.mobilenmt;

import java.nio.charset.StandardCharsets;

/**
 * A failed library call: the {@link Status} and the library's detailed message
 * ({@code mnmt_last_error()}, captured on the calling thread right after the failure).
 *
 * <p>Unchecked, so that Kotlin and Java callers handle it where it makes sense to them. Misuse
 * detected on the Java side keeps the usual Java exceptions: {@link NullPointerException} for a
 * null argument, {@link IllegalArgumentException} for an option out of range,
 * {@link IllegalStateException} for a closed translator.
 */
public class TranslatorException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int statusCode;
    private final String detail;

    /** Thrown by the native code; the message arrives as the library's UTF-8 bytes. */
    TranslatorException(int statusCode, byte[] detail) {
        this(statusCode, new String(detail, StandardCharsets.UTF_8));
    }

    TranslatorException(int statusCode, String detail) {
        super(Status.of(statusCode).name() + " (" + statusCode + "): " + detail);
        this.statusCode = statusCode;
        this.detail = detail;
    }

    /** The failure's status. */
    public Status getStatus() {
        return Status.of(statusCode);
    }

    /** The failure's C status value, also for values this binding does not know. */
    public int getStatusCode() {
        return statusCode;
    }

    /** The library's message alone, without the status prefix of {@link #getMessage()}. */
    public String getDetail() {
        return detail;
    }
}
