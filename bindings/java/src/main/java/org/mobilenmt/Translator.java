package org.mobilenmt;

import java.io.Closeable;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A loaded model, ready to translate: the Java face of {@code mnmt_translator}.
 *
 * <p>Thread safety: one instance may be used by any number of threads at once; concurrent
 * translations run in parallel, each on its own library workspace. {@link #close()} waits for
 * calls in progress, frees the native translator, and may be called any number of times; calls
 * after it throw {@link IllegalStateException}.
 *
 * <p>Always close a translator ({@code try (Translator t = ...)} in Java, {@code use {}} in
 * Kotlin): the native memory (the model mapping and the workspaces) is not visible to the
 * garbage collector. It is a {@link Closeable} (whose {@code close()} here throws nothing), so
 * Kotlin's {@code use} works with every Kotlin standard library, not only those with
 * {@code AutoCloseable.use}.
 *
 * <p>Text crosses the boundary as UTF-8 bytes converted in Java, never through JNI's modified
 * UTF-8, so characters outside the BMP (emoji) and NUL round-trip exactly.
 */
public final class Translator implements Closeable {
    /** The system property naming the JNI library file to load instead of {@code mobilenmt_jni}. */
    public static final String LIBRARY_PROPERTY = "mobilenmt.jni.library";

    static {
        String path = System.getProperty(LIBRARY_PROPERTY);
        if (path != null && !path.isEmpty()) {
            System.load(path);
        } else {
            System.loadLibrary("mobilenmt_jni");
        }
    }

    // Held (shared) by every call for its whole duration and (exclusive) by close(), so close()
    // never frees the native translator under a running call.
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private long handle;

    private Translator(long handle) {
        this.handle = handle;
    }

    /**
     * Loads a model file ({@code .gguf}); the file is memory-mapped, not read, and must not be
     * modified while the translator lives.
     *
     * @throws TranslatorException {@link Status#IO_ERROR} (cannot open or map),
     *     {@link Status#BAD_MODEL}, {@link Status#UNSUPPORTED_MODEL}
     * @throws IllegalArgumentException if the path contains a NUL character
     */
    public static Translator load(String path) {
        Objects.requireNonNull(path, "path");
        if (path.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("path contains a NUL character");
        }
        return new Translator(nativeLoad(path.getBytes(StandardCharsets.UTF_8)));
    }

    /** As {@link #load(String)}, for a {@link java.io.File}. */
    public static Translator load(java.io.File file) {
        return load(Objects.requireNonNull(file, "file").getPath());
    }

    /** Loads a model from the bytes of a model file; the bytes are copied. */
    public static Translator fromBytes(byte[] data) {
        Objects.requireNonNull(data, "data");
        return fromBytes(data, 0, data.length);
    }

    /** Loads a model from {@code data[offset, offset + length)}; the bytes are copied. */
    public static Translator fromBytes(byte[] data, int offset, int length) {
        Objects.requireNonNull(data, "data");
        if (offset < 0 || length < 0 || offset > data.length - length) {
            throw new IndexOutOfBoundsException(
                    "offset " + offset + ", length " + length + " of " + data.length + " bytes");
        }
        return new Translator(nativeLoadFromArray(data, offset, length));
    }

    /**
     * Loads a model from the buffer's remaining bytes (position to limit); the bytes are copied
     * and the buffer's position is left unchanged. A direct buffer (for example a
     * {@code MappedByteBuffer} or an Android asset read into
     * {@code ByteBuffer.allocateDirect}) is read in place.
     */
    public static Translator fromBuffer(ByteBuffer buffer) {
        Objects.requireNonNull(buffer, "buffer");
        int pos = buffer.position();
        int len = buffer.remaining();
        if (buffer.isDirect()) {
            return new Translator(nativeLoadFromDirect(buffer, pos, len));
        }
        if (buffer.hasArray()) {
            return fromBytes(buffer.array(), buffer.arrayOffset() + pos, len);
        }
        byte[] copy = new byte[len];
        buffer.duplicate().get(copy);
        return fromBytes(copy);
    }

    /** Frees the native translator once calls in progress have returned; later calls are no-ops. */
    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (handle != 0) {
                nativeFree(handle);
                handle = 0;
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** True until {@link #close()}. */
    public boolean isOpen() {
        lock.readLock().lock();
        try {
            return handle != 0;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The live handle; the caller holds the read lock. */
    private long live() {
        if (handle == 0) {
            throw new IllegalStateException("the translator is closed");
        }
        return handle;
    }

    private static byte[] utf8(String text, String what) {
        return Objects.requireNonNull(text, what).getBytes(StandardCharsets.UTF_8);
    }

    private static String string(byte[] utf8) {
        return new String(utf8, StandardCharsets.UTF_8);
    }

    /** Translates one text with the default options (greedy). */
    public String translate(String text) {
        return translate(text, new Options());
    }

    /**
     * Translates one text.
     *
     * @throws TranslatorException {@link Status#INPUT_TOO_LONG} (unless
     *     {@link Options#setTruncate}), {@link Status#INVALID_ARGUMENT} (options beyond the
     *     translator's limits)
     */
    public String translate(String text, Options options) {
        byte[] src = utf8(text, "text");
        Options o = Objects.requireNonNull(options, "options");
        int[] offsets = {0, src.length};
        lock.readLock().lock();
        try {
            byte[][] out = nativeTranslateBatch(live(), src, offsets, o.getBeamSize(),
                    o.getNumHypotheses(), o.getLengthPenalty(), o.getMaxOutputTokens(),
                    o.getMaxLengthA(), o.getMaxLengthB(), o.flags());
            return string(out[0]);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Translates many texts with the default options. */
    public List<String> translateBatch(List<String> texts) {
        return translateBatch(texts, new Options());
    }

    /**
     * Translates many texts together (faster than one call each); the results, in input order,
     * are the same as {@link #translate(String, Options)} on each text.
     */
    public List<String> translateBatch(List<String> texts, Options options) {
        Objects.requireNonNull(texts, "texts");
        Options o = Objects.requireNonNull(options, "options");
        if (texts.isEmpty()) {
            return Collections.emptyList();
        }
        byte[][] parts = new byte[texts.size()][];
        int total = 0;
        for (int i = 0; i < parts.length; i++) {
            parts[i] = utf8(texts.get(i), "texts[" + i + "]");
            if (parts[i].length > Integer.MAX_VALUE - total) {
                throw new IllegalArgumentException("the texts exceed 2 GiB of UTF-8 together");
            }
            total += parts[i].length;
        }
        // One array for all texts: one pin (or copy) across the boundary instead of one per text.
        byte[] joined = new byte[total];
        int[] offsets = new int[parts.length + 1];
        for (int i = 0; i < parts.length; i++) {
            System.arraycopy(parts[i], 0, joined, offsets[i], parts[i].length);
            offsets[i + 1] = offsets[i] + parts[i].length;
        }
        byte[][] out;
        lock.readLock().lock();
        try {
            out = nativeTranslateBatch(live(), joined, offsets, o.getBeamSize(),
                    o.getNumHypotheses(), o.getLengthPenalty(), o.getMaxOutputTokens(),
                    o.getMaxLengthA(), o.getMaxLengthB(), o.flags());
        } finally {
            lock.readLock().unlock();
        }
        List<String> result = new ArrayList<>(out.length);
        for (byte[] b : out) {
            result.add(string(b));
        }
        return result;
    }

    /**
     * The {@code options.getNumHypotheses()} best translations of one text with their scores,
     * best first (beam search: set {@code beamSize >= numHypotheses}). The list is shorter when
     * the search finished fewer distinct hypotheses.
     */
    public List<Hypothesis> translateNBest(String text, Options options) {
        byte[] src = utf8(text, "text");
        Options o = Objects.requireNonNull(options, "options");
        float[] scores = new float[o.getNumHypotheses()];
        byte[][] out;
        lock.readLock().lock();
        try {
            out = nativeTranslateNBest(live(), src, o.getBeamSize(), o.getNumHypotheses(),
                    o.getLengthPenalty(), o.getMaxOutputTokens(), o.getMaxLengthA(),
                    o.getMaxLengthB(), o.flags(), scores);
        } finally {
            lock.readLock().unlock();
        }
        List<Hypothesis> result = new ArrayList<>(out.length);
        for (int i = 0; i < out.length; i++) {
            result.add(new Hypothesis(string(out[i]), scores[i]));
        }
        return result;
    }

    /** The source token ids of {@code text}, ending with {@code </s>} (as MarianTokenizer). */
    public int[] tokenize(String text) {
        byte[] src = utf8(text, "text");
        lock.readLock().lock();
        try {
            return nativeTokenize(live(), src);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The text of target token ids (special tokens dropped). */
    public String detokenize(int[] ids) {
        Objects.requireNonNull(ids, "ids");
        lock.readLock().lock();
        try {
            return string(nativeDetokenize(live(), ids));
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Facts about the loaded model. */
    public ModelInfo getModelInfo() {
        long[] n = new long[13];
        byte[][] s;
        lock.readLock().lock();
        try {
            s = nativeInfo(live(), n);
        } finally {
            lock.readLock().unlock();
        }
        String[] strings = new String[s.length];
        for (int i = 0; i < s.length; i++) {
            strings[i] = string(s[i]);
        }
        return new ModelInfo(n, strings);
    }

    /**
     * Splits text into sentences ({@code mnmt_split_sentences}; needs no model): the rules for
     * written English ("en") and German ("de"), or language-independent ones for any other tag
     * ({@code ""} included). Sentences are returned without surrounding whitespace, in order.
     */
    public static List<String> splitSentences(String text, String lang) {
        byte[] src = utf8(text, "text");
        byte[] tag = utf8(lang, "lang");
        if (lang.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("lang contains a NUL character");
        }
        long[] spans = nativeSplitSentences(src, tag);
        List<String> out = new ArrayList<>(spans.length / 2);
        for (int i = 0; i < spans.length; i += 2) {
            out.add(new String(src, (int) spans[i], (int) spans[i + 1], StandardCharsets.UTF_8));
        }
        return out;
    }

    /** The library version, e.g. "0.1.0". */
    public static String version() {
        return nativeVersion();
    }

    /** The INT8 kernel set in use, e.g. "aarch64-dotprod", "x86_64-avx2" or "scalar". */
    public static String kernelName() {
        return nativeKernelName();
    }

    /** The library's {@code mnmt_options_default()}, to check {@link Options}' defaults. */
    static Options nativeDefaults() {
        int[] i = new int[8];
        float[] f = new float[2];
        nativeDefaultOptions(i, f);
        return new Options().beamSize(i[0]).numHypotheses(i[1]).maxOutputTokens(i[2])
                .maxLengthB(i[3]).truncate(i[4] != 0).splitSentences(i[5] != 0).shortlist(i[6] != 0)
                .protectSpans(i[7] != 0).lengthPenalty(f[0]).maxLengthA(f[1]);
    }

    @Override
    public String toString() {
        return isOpen() ? "Translator(open)" : "Translator(closed)";
    }

    // Native methods (bindings/java/jni/mobilenmt_jni.c). They throw TranslatorException on a
    // library failure and return a non-zero handle or a non-null array otherwise.
    private static native long nativeLoad(byte[] path);

    private static native long nativeLoadFromArray(byte[] data, int offset, int length);

    private static native long nativeLoadFromDirect(ByteBuffer buffer, int offset, int length);

    private static native void nativeFree(long handle);

    private static native byte[][] nativeTranslateBatch(long handle, byte[] joined, int[] offsets,
            int beamSize, int numHypotheses, float lengthPenalty, int maxOutputTokens,
            float maxLengthA, int maxLengthB, int flags);

    private static native byte[][] nativeTranslateNBest(long handle, byte[] text, int beamSize,
            int numHypotheses, float lengthPenalty, int maxOutputTokens, float maxLengthA,
            int maxLengthB, int flags, float[] scores);

    private static native int[] nativeTokenize(long handle, byte[] text);

    private static native byte[] nativeDetokenize(long handle, int[] ids);

    private static native byte[][] nativeInfo(long handle, long[] numbers);

    /** Byte offset and length of each sentence of {@code text}, flattened. */
    private static native long[] nativeSplitSentences(byte[] text, byte[] lang);

    private static native String nativeVersion();

    private static native String nativeKernelName();

    private static native void nativeDefaultOptions(int[] ints, float[] floats);
}
