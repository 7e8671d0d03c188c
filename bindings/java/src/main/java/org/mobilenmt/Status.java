package org.mobilenmt;

/** The library's status codes ({@code mnmt_status} in {@code mobilenmt.h}), with their numbers. */
public enum Status {
    OK(0),
    INVALID_ARGUMENT(1),
    IO_ERROR(2),
    BAD_MODEL(3),
    UNSUPPORTED_MODEL(4),
    INVALID_UTF8(5),
    INPUT_TOO_LONG(6),
    BUFFER_TOO_SMALL(7),
    OUT_OF_MEMORY(8),
    INTERNAL(9),
    /** A number this binding does not know (a newer library): treat it as a general failure. */
    UNKNOWN(-1);

    private final int code;

    Status(int code) {
        this.code = code;
    }

    /** The C value of this status ({@code -1} for {@link #UNKNOWN}). */
    public int getCode() {
        return code;
    }

    /** The status with C value {@code code}, or {@link #UNKNOWN}. */
    public static Status of(int code) {
        for (Status s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        return UNKNOWN;
    }
}
