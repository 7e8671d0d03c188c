package org.mobilenmt;

import java.io.File;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tests of the Java binding against the real library, as a plain main (no test framework):
 * prints one line per check and "N passed, M failed", exits non-zero on any failure.
 *
 * <p>Arguments: the tiny fixture model ({@code tests/data/tiny-swish/model-int8.gguf}) and the
 * shipped English-German model ({@code models/mobilenmt-en-de/model-int8.gguf}), whose
 * translations are checked against the strings of {@code tests/common/shipped.rs}.
 */
public final class TranslatorTest {
    /** (source, greedy, beam 4), as in tests/common/shipped.rs. */
    private static final String[][] SHIPPED = {
        {"A man is riding a bicycle down the street.",
            "Ein Mann fährt mit einem Fahrrad die Straße entlang.",
            "Ein Mann fährt auf einem Fahrrad die Straße entlang."},
        {"Two dogs are playing in the snow.", "Zwei Hunde spielen im Schnee.",
            "Zwei Hunde spielen im Schnee."},
        {"A woman is reading a book in the park.", "Eine Frau liest im Park ein Buch.",
            "Eine Frau liest im Park ein Buch."},
        {"Children are playing football on the beach.", "Kinder spielen Football am Strand.",
            "Kinder spielen Football am Strand."},
    };

    private static int passed;
    private static int failed;
    private static File tiny;
    private static File shipped;

    interface Check {
        void run() throws Exception;
    }

    private static void check(String name, Check c) {
        try {
            c.run();
            passed++;
            System.out.println("ok     " + name);
        } catch (Throwable e) {
            failed++;
            System.out.println("FAILED " + name + ": " + e);
            e.printStackTrace(System.out);
        }
    }

    private static void expect(boolean cond, String what) {
        if (!cond) {
            throw new AssertionError(what);
        }
    }

    private static void expectEq(Object want, Object got, String what) {
        if (!want.equals(got)) {
            throw new AssertionError(what + ": expected <" + want + ">, got <" + got + ">");
        }
    }

    /** Runs {@code c}, which must fail with a TranslatorException of {@code status}. */
    private static TranslatorException expectStatus(Status status, Check c) throws Exception {
        try {
            c.run();
        } catch (TranslatorException e) {
            expectEq(status, e.getStatus(), "status of " + e.getMessage());
            expectEq(status.getCode(), e.getStatusCode(), "status code");
            expect(!e.getDetail().isEmpty(), "the exception carries the library's message");
            return e;
        }
        throw new AssertionError("expected a TranslatorException with " + status);
    }

    private static void expectThrows(Class<? extends Throwable> type, Check c) throws Exception {
        try {
            c.run();
        } catch (Throwable e) {
            if (type.isInstance(e)) {
                return;
            }
            throw new AssertionError("expected " + type.getSimpleName() + ", got " + e, e);
        }
        throw new AssertionError("expected " + type.getSimpleName());
    }

    private static List<String> sources() {
        List<String> s = new ArrayList<>();
        for (String[] row : SHIPPED) {
            s.add(row[0]);
        }
        return s;
    }

    /** The "src" strings of a golden.json, in order (JSON string escapes decoded). */
    private static List<String> goldenSources(File json) throws Exception {
        String text = new String(Files.readAllBytes(json.toPath()), StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("\"src\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(text);
        List<String> out = new ArrayList<>();
        while (m.find()) {
            StringBuilder b = new StringBuilder();
            String e = m.group(1);
            for (int i = 0; i < e.length(); i++) {
                char c = e.charAt(i);
                if (c != '\\') {
                    b.append(c);
                    continue;
                }
                char n = e.charAt(++i);
                switch (n) {
                    case 'n': b.append('\n'); break;
                    case 't': b.append('\t'); break;
                    case 'r': b.append('\r'); break;
                    case 'b': b.append('\b'); break;
                    case 'f': b.append('\f'); break;
                    case 'u':
                        b.append((char) Integer.parseInt(e.substring(i + 1, i + 5), 16));
                        i += 4;
                        break;
                    default: b.append(n);
                }
            }
            out.add(b.toString());
        }
        return out;
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: TranslatorTest TINY_MODEL.gguf SHIPPED_MODEL.gguf");
            System.exit(2);
        }
        tiny = new File(args[0]);
        shipped = new File(args[1]);
        System.out.println("mobilenmt " + Translator.version() + ", kernels "
                + Translator.kernelName());

        check("Options defaults equal mnmt_options_default()", () -> {
            expectEq(new Options().toString(), Translator.nativeDefaults().toString(), "defaults");
        });

        check("shipped model: greedy and beam 4 translations as in tests/common/shipped.rs", () -> {
            try (Translator t = Translator.load(shipped)) {
                for (String[] row : SHIPPED) {
                    expectEq(row[1], t.translate(row[0]), "greedy " + row[0]);
                    expectEq(row[2], t.translate(row[0], new Options().beamSize(4)),
                            "beam 4 " + row[0]);
                }
            }
        });

        check("protected spans: each placeholder, URL and emoji once; protectSpans(false) accepted", () -> {
            String src = "Two dogs {name} are playing at https://example.com/a?b=1 in the snow \uD83D\uDE00.";
            String[] spans = {"{name}", "https://example.com/a?b=1", "\uD83D\uDE00"};
            try (Translator t = Translator.load(shipped)) {
                for (Options o : new Options[] {new Options(), new Options().beamSize(4),
                        new Options().splitSentences(false)}) {
                    String out = t.translate(src, o);
                    for (String span : spans) {
                        expect(out.split(java.util.regex.Pattern.quote(span), -1).length == 2,
                                span + " once in " + out);
                    }
                }
                expect(!new Options().protectSpans(false).getProtectSpans(), "setter");
                t.translate(src, new Options().protectSpans(false));
            }
        });

        check("tiny fixture: INT8 translations and ids as tests/data/tiny-swish/int8-expected.txt", () -> {
            File dir = tiny.getParentFile();
            List<String> src = goldenSources(new File(dir, "golden.json"));
            List<String> want = Files.readAllLines(new File(dir, "int8-expected.txt").toPath(),
                    StandardCharsets.UTF_8);
            expect(src.size() > 0 && want.size() == 2 * src.size(),
                    src.size() + " sources, " + want.size() + " expected lines");
            try (Translator t = Translator.load(tiny)) {
                for (int i = 0; i < src.size(); i++) {
                    String[] modes = {"greedy", "beam4"};
                    for (int j = 0; j < 2; j++) {
                        // mode<TAB>ids<TAB>text, as tests/isa_golden.rs writes it.
                        String[] line = want.get(2 * i + j).split("\t", -1);
                        expectEq(modes[j], line[0], "mode");
                        // One sentence for the model, as the golden file was made (document
                        // mode would give blank text back as it is).
                        Options o = new Options().beamSize(j == 0 ? 1 : 4).maxOutputTokens(64)
                                .splitSentences(false);
                        expectEq(line[2], t.translate(src.get(i), o), modes[j] + " " + src.get(i));
                        String[] idText = line[1].split(" ");
                        int[] ids = new int[idText.length];
                        for (int k = 0; k < ids.length; k++) {
                            ids[k] = Integer.parseInt(idText[k]);
                        }
                        expectEq(line[2], t.detokenize(ids), "detokenize " + line[1]);
                    }
                }
            }
        });

        check("model info of the shipped model", () -> {
            try (Translator t = Translator.load(shipped.getPath())) {
                ModelInfo i = t.getModelInfo();
                expectEq("int8", i.getDtype(), "dtype");
                expectEq("en", i.getSourceLang(), "source");
                expectEq("de", i.getTargetLang(), "target");
                expectEq(256, i.getDModel(), "d_model");
                expectEq(6, i.getEncoderLayers(), "encoder layers");
                expectEq(2, i.getDecoderLayers(), "decoder layers");
                expectEq(shipped.length(), i.getFileSize(), "file size");
                expect(i.getParameterCount() > 0, "parameter count");
                expect(i.getVocabSize() > 0 && i.getDecoderVocabSize() > 0, "vocab sizes");
            }
        });

        check("batch equals one call per text, in order; empty batch", () -> {
            try (Translator t = Translator.load(shipped)) {
                List<String> src = new ArrayList<>(sources());
                src.add("");
                src.add("Two dogs are playing in the snow.");
                for (int beam : new int[] {1, 4}) {
                    Options o = new Options().beamSize(beam);
                    List<String> one = new ArrayList<>();
                    for (String s : src) {
                        one.add(t.translate(s, o));
                    }
                    expectEq(one, t.translateBatch(src, o), "beam " + beam);
                }
                expectEq(Collections.emptyList(), t.translateBatch(Collections.<String>emptyList()),
                        "empty batch");
            }
        });

        check("n-best: best first, scores <= 0, first equals the beam translation", () -> {
            try (Translator t = Translator.load(shipped)) {
                Options o = new Options().beamSize(4).numHypotheses(4);
                for (String[] row : SHIPPED) {
                    List<Hypothesis> h = t.translateNBest(row[0], o);
                    expect(h.size() >= 1 && h.size() <= 4, "1..4 hypotheses, got " + h.size());
                    expectEq(row[2], h.get(0).getText(), "best hypothesis");
                    for (int i = 0; i < h.size(); i++) {
                        expect(h.get(i).getScore() <= 0f, "score <= 0: " + h.get(i));
                        if (i > 0) {
                            expect(h.get(i - 1).getScore() >= h.get(i).getScore(),
                                    "sorted: " + h);
                        }
                    }
                }
                List<Hypothesis> g = t.translateNBest(SHIPPED[1][0], new Options());
                expectEq(1, g.size(), "greedy n-best size");
                expectEq(SHIPPED[1][1], g.get(0).getText(), "greedy n-best text");
            }
        });

        check("load from byte[], direct ByteBuffer, heap and read-only ByteBuffer", () -> {
            byte[] bytes = Files.readAllBytes(shipped.toPath());
            String want = SHIPPED[0][1];
            byte[] padded = new byte[bytes.length + 10];
            System.arraycopy(bytes, 0, padded, 7, bytes.length);
            ByteBuffer direct = ByteBuffer.allocateDirect(bytes.length + 5);
            direct.position(5);
            direct.put(bytes);
            direct.position(5);
            ByteBuffer heap = ByteBuffer.wrap(padded, 7, bytes.length);
            List<Translator> all = Arrays.asList(Translator.fromBytes(bytes),
                    Translator.fromBytes(padded, 7, bytes.length), Translator.fromBuffer(direct),
                    Translator.fromBuffer(heap), Translator.fromBuffer(heap.asReadOnlyBuffer()));
            try {
                for (Translator t : all) {
                    expectEq(want, t.translate(SHIPPED[0][0]), t.toString());
                    expectEq((long) bytes.length, t.getModelInfo().getFileSize(), "file size");
                }
                expectEq(5, direct.position(), "buffer position unchanged");
            } finally {
                for (Translator t : all) {
                    t.close();
                }
            }
        });

        check("tokenize and detokenize; UTF-8 outside the BMP and NUL round-trip", () -> {
            try (Translator t = Translator.load(shipped)) {
                int[] ids = t.tokenize("Two dogs are playing in the snow.");
                expect(ids.length > 2, "some ids");
                expect(t.tokenize("").length == 1, "empty text is just </s>");
                // Any text translates; emoji and NUL are plain characters to the library.
                t.translate("Ein \uD83D\uDE00 und \u0000 hier.");
                expectEq("", t.detokenize(new int[0]), "no ids");
            }
        });

        check("splitSentences: English, German, non-ASCII offsets, blank text, bad arguments", () -> {
            expectEq(Arrays.asList("Dr. Smith arrived.", "He left!", "Did he?"),
                    Translator.splitSentences("Dr. Smith arrived.  He left! Did he?", "en"), "en");
            expectEq(Arrays.asList("Am 3. Oktober ist Feiertag.", "Wir feiern."),
                    Translator.splitSentences("Am 3. Oktober ist Feiertag. Wir feiern.", "de"), "de");
            expectEq(Arrays.asList("Grüße aus Köln.", "Schön, \uD83D\uDE00!", "Ja."),
                    Translator.splitSentences(" Grüße aus Köln. Schön, \uD83D\uDE00! Ja.\n", ""),
                    "byte offsets of multi-byte characters");
            expectEq(Collections.<String>emptyList(), Translator.splitSentences(" \n\t ", "en"),
                    "blank");
            expectThrows(IllegalArgumentException.class, () -> Translator.splitSentences("a", "e\0n"));
            expectThrows(NullPointerException.class, () -> Translator.splitSentences(null, "en"));
            expectThrows(NullPointerException.class, () -> Translator.splitSentences("a", null));
        });

        check("close twice, use after close, isOpen", () -> {
            Translator t = Translator.load(tiny);
            expect(t.isOpen(), "open");
            t.close();
            t.close();
            expect(!t.isOpen(), "closed");
            expectThrows(IllegalStateException.class, () -> t.translate("x"));
            expectThrows(IllegalStateException.class, () -> t.getModelInfo());
            expectThrows(IllegalStateException.class,
                    () -> t.translateBatch(Collections.singletonList("x")));
        });

        check("bad model files: missing, empty, garbage, truncated", () -> {
            expectStatus(Status.IO_ERROR, () -> Translator.load("/nonexistent/model.gguf"));
            File dir = Files.createTempDirectory("mnmt-java").toFile();
            try {
                File garbage = new File(dir, "garbage.gguf");
                Files.write(garbage.toPath(), "this is not a model".getBytes(StandardCharsets.UTF_8));
                expectStatus(Status.BAD_MODEL, () -> Translator.load(garbage));
                byte[] model = Files.readAllBytes(tiny.toPath());
                File cut = new File(dir, "cut.gguf");
                Files.write(cut.toPath(), Arrays.copyOf(model, model.length / 2));
                expectStatus(Status.BAD_MODEL, () -> Translator.load(cut));
                expectStatus(Status.IO_ERROR, () -> Translator.load(dir));
            } finally {
                for (File f : dir.listFiles()) {
                    f.delete();
                }
                dir.delete();
            }
            expectStatus(Status.BAD_MODEL, () -> Translator.fromBytes(new byte[0]));
            expectStatus(Status.BAD_MODEL, () -> Translator.fromBuffer(ByteBuffer.allocateDirect(64)));
            TranslatorException e = expectStatus(Status.BAD_MODEL,
                    () -> Translator.fromBytes("GGUF but not really".getBytes(StandardCharsets.UTF_8)));
            expect(e.getMessage().startsWith("BAD_MODEL (3): "), "message: " + e.getMessage());
        });

        check("invalid arguments", () -> {
            try (Translator t = Translator.load(tiny)) {
                expectStatus(Status.INVALID_ARGUMENT,
                        () -> t.translate("a", new Options().beamSize(1000)));
                expectStatus(Status.INVALID_ARGUMENT,
                        () -> t.translateNBest("a", new Options().beamSize(2).numHypotheses(3)));
                expectStatus(Status.INVALID_ARGUMENT,
                        () -> t.translateBatch(Arrays.asList("a", "b"), new Options().numHypotheses(2)));
                expectStatus(Status.INVALID_ARGUMENT, () -> t.detokenize(new int[] {-1}));
                expectStatus(Status.INVALID_ARGUMENT, () -> t.detokenize(new int[] {1 << 30}));
                expectThrows(IllegalArgumentException.class, () -> new Options().beamSize(0));
                expectThrows(IllegalArgumentException.class, () -> new Options().numHypotheses(-1));
                expectThrows(IllegalArgumentException.class, () -> new Options().lengthPenalty(Float.NaN));
                expectThrows(IllegalArgumentException.class, () -> new Options().maxLengthA(-1f));
                expectThrows(IllegalArgumentException.class, () -> new Options().maxLengthB(-1));
                expectThrows(IllegalArgumentException.class, () -> Translator.load("a\0b"));
                expectThrows(NullPointerException.class, () -> t.translate(null));
                expectThrows(NullPointerException.class, () -> t.translate("a", null));
                expectThrows(NullPointerException.class,
                        () -> t.translateBatch(Arrays.asList("a", null)));
                expectThrows(NullPointerException.class, () -> Translator.load((String) null));
                expectThrows(IndexOutOfBoundsException.class,
                        () -> Translator.fromBytes(new byte[4], 3, 2));
                // The translator still works after all of that.
                t.translate("a");
            }
        });

        check("input too long fails, or is truncated when asked, in one-sentence mode; document mode takes it", () -> {
            try (Translator t = Translator.load(shipped)) {
                StringBuilder b = new StringBuilder();
                for (int i = 0; i < 400; i++) {
                    b.append("house ");
                }
                String longText = b.toString();
                Options oneSentence = new Options().splitSentences(false);
                expectStatus(Status.INPUT_TOO_LONG, () -> t.translate(longText, oneSentence));
                expectStatus(Status.INPUT_TOO_LONG,
                        () -> t.translateBatch(Arrays.asList("a", longText), oneSentence));
                t.translate(longText, new Options(oneSentence).truncate(true).maxOutputTokens(8));
                // Document mode (the default) accepts any length: the text is cut where it must.
                expect(!t.translate(longText).isEmpty(), "document mode translates a long text");
            }
        });

        check("16 threads share one translator; results identical to one thread", () -> {
            try (final Translator t = Translator.load(shipped)) {
                final int threads = 16;
                final int rounds = 6;
                ExecutorService pool = Executors.newFixedThreadPool(threads);
                final CountDownLatch start = new CountDownLatch(1);
                List<Future<Integer>> results = new ArrayList<>();
                for (int k = 0; k < threads; k++) {
                    final int id = k;
                    results.add(pool.submit(new Callable<Integer>() {
                        @Override
                        public Integer call() throws Exception {
                            start.await();
                            int done = 0;
                            for (int r = 0; r < rounds; r++) {
                                String[] row = SHIPPED[(id + r) % SHIPPED.length];
                                int beam = (id + r) % 3 == 0 ? 4 : 1;
                                String got;
                                if (r % 3 == 2) {
                                    got = t.translateBatch(Collections.singletonList(row[0]),
                                            new Options().beamSize(beam)).get(0);
                                } else {
                                    got = t.translate(row[0], new Options().beamSize(beam));
                                }
                                expectEq(beam == 4 ? row[2] : row[1], got, "thread " + id);
                                // Errors are per thread: a failure here must not leak elsewhere.
                                if (r == 1) {
                                    expectStatus(Status.INVALID_ARGUMENT,
                                            () -> t.translate("x", new Options().beamSize(99)));
                                }
                                done++;
                            }
                            return done;
                        }
                    }));
                }
                start.countDown();
                int total = 0;
                for (Future<Integer> f : results) {
                    total += f.get(10, TimeUnit.MINUTES);
                }
                pool.shutdown();
                expectEq(threads * rounds, total, "translations");
            }
        });

        check("close while 8 threads translate: calls before it finish, calls after it fail", () -> {
            final Translator t = Translator.load(tiny);
            final AtomicInteger ok = new AtomicInteger();
            final String want = t.translate("hello world");
            final CountDownLatch running = new CountDownLatch(8);
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<Boolean>> fs = new ArrayList<>();
            for (int k = 0; k < 8; k++) {
                fs.add(pool.submit(new Callable<Boolean>() {
                    @Override
                    public Boolean call() {
                        running.countDown();
                        // Translate until the translator is closed under us.
                        for (int r = 0; r < 1_000_000; r++) {
                            try {
                                expectEq(want, t.translate("hello world"), "translation");
                                ok.incrementAndGet();
                            } catch (IllegalStateException e) {
                                return true;
                            }
                        }
                        return false;
                    }
                }));
            }
            running.await();
            // Close only once calls are under way (the machine may be busy: wait, don't guess).
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            while (ok.get() < 16 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            expect(ok.get() >= 16, "translations ran before close");
            t.close();
            t.close();
            for (Future<Boolean> f : fs) {
                expect(f.get(10, TimeUnit.MINUTES), "a thread saw the translator closed");
            }
            pool.shutdown();
        });

        System.out.println(passed + " passed, " + failed + " failed");
        System.exit(failed == 0 ? 0 : 1);
    }

    private TranslatorTest() {}
}
