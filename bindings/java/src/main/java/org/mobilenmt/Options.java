package org.mobilenmt;

/**
 * Options of a translation call, mirroring {@code mnmt_options}; a new instance holds the
 * library's defaults ({@code mnmt_options_default()}).
 *
 * <p>Java: {@code new Options().beamSize(4).numHypotheses(2)}. Kotlin, through the bean
 * accessors: {@code Options().apply { beamSize = 4; numHypotheses = 2 }}.
 *
 * <p>Setters reject values no library accepts (negative counts, NaN) with
 * {@link IllegalArgumentException}; limits that depend on the translator (a beam above its
 * limit, {@code numHypotheses} above {@code beamSize}) are checked by the library at the call
 * and fail with {@link TranslatorException} ({@link Status#INVALID_ARGUMENT}).
 *
 * <p>Not synchronized: the call reads the fields when it starts, so share an instance between
 * threads only while nobody changes it.
 */
public final class Options {
    private int beamSize = 1;
    private int numHypotheses = 1;
    private float lengthPenalty = 1.0f;
    private int maxOutputTokens = 0;
    private float maxLengthA = 1.5f;
    private int maxLengthB = 10;
    private boolean truncate = false;
    private boolean splitSentences = true;
    private boolean shortlist = true;
    private boolean protectSpans = true;

    /** The library defaults. */
    public Options() {}

    /** A copy of {@code other}. */
    public Options(Options other) {
        beamSize = other.beamSize;
        numHypotheses = other.numHypotheses;
        lengthPenalty = other.lengthPenalty;
        maxOutputTokens = other.maxOutputTokens;
        maxLengthA = other.maxLengthA;
        maxLengthB = other.maxLengthB;
        truncate = other.truncate;
        splitSentences = other.splitSentences;
        shortlist = other.shortlist;
        protectSpans = other.protectSpans;
    }

    private static int atLeast(int min, int v, String name) {
        if (v < min) {
            throw new IllegalArgumentException(name + " must be at least " + min + ", got " + v);
        }
        return v;
    }

    private static float finite(float v, String name) {
        if (Float.isNaN(v) || Float.isInfinite(v)) {
            throw new IllegalArgumentException(name + " must be finite, got " + v);
        }
        return v;
    }

    /** Beam width; 1 = greedy (default 1), at most the translator's beam limit (8). */
    public int getBeamSize() {
        return beamSize;
    }

    public void setBeamSize(int v) {
        beamSize = atLeast(1, v, "beamSize");
    }

    public Options beamSize(int v) {
        setBeamSize(v);
        return this;
    }

    /** Hypotheses {@link Translator#translateNBest} returns, 1..beamSize (default 1). */
    public int getNumHypotheses() {
        return numHypotheses;
    }

    public void setNumHypotheses(int v) {
        numHypotheses = atLeast(1, v, "numHypotheses");
    }

    public Options numHypotheses(int v) {
        setNumHypotheses(v);
        return this;
    }

    /** Length penalty exponent: scores are {@code sum(log p) / length ^ lengthPenalty} (default 1). */
    public float getLengthPenalty() {
        return lengthPenalty;
    }

    public void setLengthPenalty(float v) {
        lengthPenalty = finite(v, "lengthPenalty");
    }

    public Options lengthPenalty(float v) {
        setLengthPenalty(v);
        return this;
    }

    /** Hard cap on generated tokens including {@code </s>}; 0 = the translator's limit (default 0). */
    public int getMaxOutputTokens() {
        return maxOutputTokens;
    }

    public void setMaxOutputTokens(int v) {
        maxOutputTokens = atLeast(0, v, "maxOutputTokens");
    }

    public Options maxOutputTokens(int v) {
        setMaxOutputTokens(v);
        return this;
    }

    /** Output cap {@code maxLengthA * sourceTokens + maxLengthB} (default 1.5). */
    public float getMaxLengthA() {
        return maxLengthA;
    }

    public void setMaxLengthA(float v) {
        if (finite(v, "maxLengthA") < 0) {
            throw new IllegalArgumentException("maxLengthA must not be negative, got " + v);
        }
        maxLengthA = v;
    }

    public Options maxLengthA(float v) {
        setMaxLengthA(v);
        return this;
    }

    /** See {@link #getMaxLengthA()} (default 10). */
    public int getMaxLengthB() {
        return maxLengthB;
    }

    public void setMaxLengthB(int v) {
        maxLengthB = atLeast(0, v, "maxLengthB");
    }

    public Options maxLengthB(int v) {
        setMaxLengthB(v);
        return this;
    }

    /**
     * Truncate inputs longer than the limit (256 tokens) instead of failing (default false).
     * Only without {@link #getSplitSentences() document mode}, which accepts any length.
     */
    public boolean getTruncate() {
        return truncate;
    }

    public void setTruncate(boolean v) {
        truncate = v;
    }

    public Options truncate(boolean v) {
        setTruncate(v);
        return this;
    }

    /**
     * Document mode (default true): the text is cut into sentences, translated, and put back
     * with its line breaks, blank lines and indentation; any length is accepted and blank text
     * comes back as it is. False: the whole text is one sentence for the model
     * ({@link Status#INPUT_TOO_LONG} or {@link #getTruncate() truncate} apply).
     * {@link Translator#translateNBest} always translates one sentence.
     */
    public boolean getSplitSentences() {
        return splitSentences;
    }

    public void setSplitSentences(boolean v) {
        splitSentences = v;
    }

    public Options splitSentences(boolean v) {
        setSplitSentences(v);
        return this;
    }

    /**
     * Use the model file's vocabulary shortlist when it has one (default true): faster, with
     * the quality measured when the file was made; false: the whole vocabulary.
     */
    public boolean getShortlist() {
        return shortlist;
    }

    public void setShortlist(boolean v) {
        shortlist = v;
    }

    public Options shortlist(boolean v) {
        setShortlist(v);
        return this;
    }

    /**
     * Protected spans (default true): URLs, e-mail addresses, placeholders ({@code {name}},
     * {@code %s}, {@code %1$s}...) and emoji are kept out of the model's input and put back
     * verbatim, each exactly once, where the alignment of the translation places them; false:
     * the model sees the text as it is.
     */
    public boolean getProtectSpans() {
        return protectSpans;
    }

    public void setProtectSpans(boolean v) {
        protectSpans = v;
    }

    public Options protectSpans(boolean v) {
        setProtectSpans(v);
        return this;
    }

    /** The boolean options as the bits the JNI shim unpacks (mobilenmt_jni.c, FLAG_*). */
    int flags() {
        return (truncate ? 1 : 0) | (splitSentences ? 2 : 0) | (shortlist ? 4 : 0)
                | (protectSpans ? 8 : 0);
    }

    @Override
    public String toString() {
        return "Options(beamSize=" + beamSize + ", numHypotheses=" + numHypotheses
                + ", lengthPenalty=" + lengthPenalty + ", maxOutputTokens=" + maxOutputTokens
                + ", maxLengthA=" + maxLengthA + ", maxLengthB=" + maxLengthB
                + ", truncate=" + truncate + ", splitSentences=" + splitSentences
                + ", shortlist=" + shortlist + ", protectSpans=" + protectSpans + ")";
    }
}
