/*
 * JNI glue between org.mobilenmt.Translator and the mobilenmt C API (include/mobilenmt.h).
 *
 * Written against the public header only, so it builds with any C compiler that can reach
 * jni.h (the host JDK, or the Android NDK) and links either libmobilenmt.a or libmobilenmt.so.
 *
 * Rules kept throughout:
 * - Text crosses as UTF-8 bytes (byte[] converted by Java's own UTF-8 codec): JNI's
 *   NewStringUTF/GetStringUTFChars speak modified UTF-8, which mangles NUL and every character
 *   outside the BMP.
 * - A library failure becomes a pending org.mobilenmt.TranslatorException built from the status
 *   and mnmt_last_error(), read at once on the failing thread (the text is only valid until the
 *   next mnmt_* call on it).
 * - Library callbacks only record results; a JNI failure inside one (an OutOfMemoryError) sets
 *   a flag and makes the remaining callbacks return at once, since no JNI call may be made with
 *   an exception pending and nothing may unwind through the library.
 */

#include <jni.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mobilenmt.h"
#include "org_mobilenmt_Translator.h"

/* Global references taken in JNI_OnLoad. */
static jclass g_exception_class;
static jmethodID g_exception_ctor;
static jclass g_byte_array_class;

JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM *vm, void *reserved) {
    JNIEnv *env;
    jclass local;
    (void)reserved;
    if ((*vm)->GetEnv(vm, (void **)&env, JNI_VERSION_1_6) != JNI_OK) return JNI_ERR;
    /* The header this file was compiled against must describe the library it runs with. */
    if (mnmt_abi_version() != MNMT_ABI_VERSION) return JNI_ERR;
    local = (*env)->FindClass(env, "org/mobilenmt/TranslatorException");
    if (local == NULL) return JNI_ERR;
    g_exception_class = (jclass)(*env)->NewGlobalRef(env, local);
    (*env)->DeleteLocalRef(env, local);
    if (g_exception_class == NULL) return JNI_ERR;
    g_exception_ctor = (*env)->GetMethodID(env, g_exception_class, "<init>", "(I[B)V");
    if (g_exception_ctor == NULL) return JNI_ERR;
    local = (*env)->FindClass(env, "[B");
    if (local == NULL) return JNI_ERR;
    g_byte_array_class = (jclass)(*env)->NewGlobalRef(env, local);
    (*env)->DeleteLocalRef(env, local);
    if (g_byte_array_class == NULL) return JNI_ERR;
    return JNI_VERSION_1_6;
}

JNIEXPORT void JNICALL JNI_OnUnload(JavaVM *vm, void *reserved) {
    JNIEnv *env;
    (void)reserved;
    if ((*vm)->GetEnv(vm, (void **)&env, JNI_VERSION_1_6) != JNI_OK) return;
    (*env)->DeleteGlobalRef(env, g_exception_class);
    (*env)->DeleteGlobalRef(env, g_byte_array_class);
}

/* A new byte[] holding `len` bytes of `data`, or NULL with an OutOfMemoryError pending. */
static jbyteArray new_bytes(JNIEnv *env, const char *data, size_t len) {
    jbyteArray b;
    if (len > (size_t)INT32_MAX) {
        jclass oom = (*env)->FindClass(env, "java/lang/OutOfMemoryError");
        if (oom != NULL) (*env)->ThrowNew(env, oom, "text longer than 2 GiB");
        return NULL;
    }
    b = (*env)->NewByteArray(env, (jsize)len);
    if (b != NULL && len > 0) (*env)->SetByteArrayRegion(env, b, 0, (jsize)len, (const jbyte *)data);
    return b;
}

/* Leaves a TranslatorException(status, mnmt_last_error()) pending. Call right after the
 * failing mnmt_* call, before any other on this thread. */
static void throw_status(JNIEnv *env, mnmt_status status) {
    const char *msg = mnmt_last_error();
    jbyteArray detail = new_bytes(env, msg, strlen(msg));
    jobject ex;
    if (detail == NULL) return;
    ex = (*env)->NewObject(env, g_exception_class, g_exception_ctor, (jint)status, detail);
    if (ex != NULL) (*env)->Throw(env, (jthrowable)ex);
}

/* The handle as a pointer; Java never passes 0 (it checks for a closed translator first). */
static mnmt_translator *translator(jlong handle) {
    return (mnmt_translator *)(intptr_t)handle;
}

static jlong handle_of(mnmt_translator *t) {
    return (jlong)(intptr_t)t;
}

/* Java ints are signed: the Options setters reject negatives, and a value that still slips
 * through maps to one the library refuses rather than wrapping to a small valid one. */
static uint32_t u32_arg(jint v) {
    return v < 0 ? UINT32_MAX : (uint32_t)v;
}

/* Bits of the `flags` argument; Translator.flags() in Java packs them. */
enum { FLAG_TRUNCATE = 1, FLAG_SPLIT_SENTENCES = 2, FLAG_SHORTLIST = 4, FLAG_PROTECT_SPANS = 8 };

static mnmt_options options_of(jint beam, jint nhyp, jfloat lp, jint max_out, jfloat len_a,
                               jint len_b, jint flags) {
    mnmt_options o = mnmt_options_default();
    o.beam_size = u32_arg(beam);
    o.num_hypotheses = u32_arg(nhyp);
    o.length_penalty = lp;
    o.max_output_tokens = u32_arg(max_out);
    o.max_length_a = len_a;
    o.max_length_b = u32_arg(len_b);
    o.truncate = (flags & FLAG_TRUNCATE) ? 1u : 0u;
    o.split_sentences = (flags & FLAG_SPLIT_SENTENCES) ? 1u : 0u;
    o.shortlist = (flags & FLAG_SHORTLIST) ? 1u : 0u;
    o.protect_spans = (flags & FLAG_PROTECT_SPANS) ? 1u : 0u;
    return o;
}

JNIEXPORT jlong JNICALL Java_org_mobilenmt_Translator_nativeLoad(JNIEnv *env, jclass cls,
                                                                 jbyteArray path) {
    jsize len = (*env)->GetArrayLength(env, path);
    char *cpath = malloc((size_t)len + 1);
    mnmt_translator *t = NULL;
    mnmt_status s;
    (void)cls;
    if (cpath == NULL) {
        jclass oom = (*env)->FindClass(env, "java/lang/OutOfMemoryError");
        if (oom != NULL) (*env)->ThrowNew(env, oom, "path");
        return 0;
    }
    (*env)->GetByteArrayRegion(env, path, 0, len, (jbyte *)cpath);
    cpath[len] = '\0';
    s = mnmt_load(cpath, &t);
    free(cpath);
    if (s != MNMT_OK) {
        throw_status(env, s);
        return 0;
    }
    return handle_of(t);
}

JNIEXPORT jlong JNICALL Java_org_mobilenmt_Translator_nativeLoadFromArray(JNIEnv *env, jclass cls,
                                                                          jbyteArray data,
                                                                          jint offset, jint length) {
    mnmt_translator *t = NULL;
    mnmt_status s;
    jbyte *bytes;
    (void)cls;
    /* Not a critical region: loading validates the whole model and builds a workspace, too
     * long to hold off the garbage collector. ART usually hands out large arrays in place (they
     * live in its non-moving large-object space); HotSpot copies. */
    bytes = (*env)->GetByteArrayElements(env, data, NULL);
    if (bytes == NULL) return 0;
    s = mnmt_load_from_memory((const uint8_t *)bytes + offset, (size_t)length, &t);
    (*env)->ReleaseByteArrayElements(env, data, bytes, JNI_ABORT);
    if (s != MNMT_OK) {
        throw_status(env, s);
        return 0;
    }
    return handle_of(t);
}

JNIEXPORT jlong JNICALL Java_org_mobilenmt_Translator_nativeLoadFromDirect(JNIEnv *env, jclass cls,
                                                                           jobject buffer,
                                                                           jint offset,
                                                                           jint length) {
    mnmt_translator *t = NULL;
    mnmt_status s;
    const uint8_t *base = (*env)->GetDirectBufferAddress(env, buffer);
    (void)cls;
    if (base == NULL && length > 0) {
        jclass iae = (*env)->FindClass(env, "java/lang/IllegalArgumentException");
        if (iae != NULL) (*env)->ThrowNew(env, iae, "the buffer's memory is not accessible");
        return 0;
    }
    s = mnmt_load_from_memory(base == NULL ? NULL : base + offset, (size_t)length, &t);
    if (s != MNMT_OK) {
        throw_status(env, s);
        return 0;
    }
    return handle_of(t);
}

JNIEXPORT void JNICALL Java_org_mobilenmt_Translator_nativeFree(JNIEnv *env, jclass cls,
                                                                jlong handle) {
    (void)env;
    (void)cls;
    mnmt_free(translator(handle));
}

/* Where the library's callbacks put their texts. */
struct collect {
    JNIEnv *env;
    jobjectArray out;
    size_t cap;
    size_t count;
    jfloat *scores; /* n-best only */
    int failed;     /* a Java exception is pending: record nothing more */
};

static void collect_text(struct collect *c, size_t index, const char *text, size_t len) {
    jbyteArray b;
    if (c->failed || index >= c->cap) return;
    b = new_bytes(c->env, text, len);
    if (b == NULL) {
        c->failed = 1;
        return;
    }
    (*c->env)->SetObjectArrayElement(c->env, c->out, (jsize)index, b);
    (*c->env)->DeleteLocalRef(c->env, b);
    if (index + 1 > c->count) c->count = index + 1;
}

static void on_batch(void *user_data, size_t index, const char *text, size_t len) {
    collect_text(user_data, index, text, len);
}

static void on_nbest(void *user_data, size_t rank, const char *text, size_t len, float score) {
    struct collect *c = user_data;
    if (!c->failed && rank < c->cap) c->scores[rank] = score;
    collect_text(c, rank, text, len);
}

JNIEXPORT jobjectArray JNICALL Java_org_mobilenmt_Translator_nativeTranslateBatch(
    JNIEnv *env, jclass cls, jlong handle, jbyteArray joined, jintArray offsets, jint beam,
    jint nhyp, jfloat lp, jint max_out, jfloat len_a, jint len_b, jint flags) {
    mnmt_options opts = options_of(beam, nhyp, lp, max_out, len_a, len_b, flags);
    jsize n = (*env)->GetArrayLength(env, offsets) - 1;
    struct collect c;
    const char **texts;
    size_t *lens;
    jint *off;
    jbyte *bytes;
    mnmt_status s;
    jsize i;
    (void)cls;
    memset(&c, 0, sizeof c);
    c.env = env;
    c.cap = (size_t)n;
    c.out = (*env)->NewObjectArray(env, n, g_byte_array_class, NULL);
    if (c.out == NULL) return NULL;
    texts = malloc(sizeof *texts * (size_t)n + 1);
    lens = malloc(sizeof *lens * (size_t)n + 1);
    off = (*env)->GetIntArrayElements(env, offsets, NULL);
    /* Not a critical region: the callback allocates Java arrays while the bytes are held. */
    bytes = (*env)->GetByteArrayElements(env, joined, NULL);
    if (texts == NULL || lens == NULL || off == NULL || bytes == NULL) {
        if (!(*env)->ExceptionCheck(env)) {
            jclass oom = (*env)->FindClass(env, "java/lang/OutOfMemoryError");
            if (oom != NULL) (*env)->ThrowNew(env, oom, "translate batch");
        }
        c.failed = 1;
    } else {
        for (i = 0; i < n; i++) {
            texts[i] = (const char *)bytes + off[i];
            lens[i] = (size_t)(off[i + 1] - off[i]);
        }
        s = mnmt_translate_batch(translator(handle), texts, lens, (size_t)n, &opts, on_batch, &c);
        if (s != MNMT_OK && !c.failed) {
            throw_status(env, s);
            c.failed = 1;
        }
    }
    if (bytes != NULL) (*env)->ReleaseByteArrayElements(env, joined, bytes, JNI_ABORT);
    if (off != NULL) (*env)->ReleaseIntArrayElements(env, offsets, off, JNI_ABORT);
    free(texts);
    free(lens);
    return c.failed ? NULL : c.out;
}

JNIEXPORT jobjectArray JNICALL Java_org_mobilenmt_Translator_nativeTranslateNBest(
    JNIEnv *env, jclass cls, jlong handle, jbyteArray text, jint beam, jint nhyp, jfloat lp,
    jint max_out, jfloat len_a, jint len_b, jint flags, jfloatArray scores) {
    mnmt_options opts = options_of(beam, nhyp, lp, max_out, len_a, len_b, flags);
    jsize n = (*env)->GetArrayLength(env, scores);
    jsize len = (*env)->GetArrayLength(env, text);
    struct collect c;
    jobjectArray shrunk;
    jbyte *bytes;
    mnmt_status s;
    size_t i;
    (void)cls;
    memset(&c, 0, sizeof c);
    c.env = env;
    c.cap = (size_t)n;
    c.out = (*env)->NewObjectArray(env, n, g_byte_array_class, NULL);
    if (c.out == NULL) return NULL;
    c.scores = (*env)->GetFloatArrayElements(env, scores, NULL);
    bytes = (*env)->GetByteArrayElements(env, text, NULL);
    if (c.scores == NULL || bytes == NULL) {
        c.failed = 1;
    } else {
        s = mnmt_translate_nbest(translator(handle), (const char *)bytes, (size_t)len, &opts,
                                 on_nbest, &c);
        if (s != MNMT_OK && !c.failed) {
            throw_status(env, s);
            c.failed = 1;
        }
    }
    if (bytes != NULL) (*env)->ReleaseByteArrayElements(env, text, bytes, JNI_ABORT);
    if (c.scores != NULL) {
        (*env)->ReleaseFloatArrayElements(env, scores, c.scores, c.failed ? JNI_ABORT : 0);
    }
    if (c.failed) return NULL;
    if (c.count == (size_t)n) return c.out;
    /* Fewer hypotheses than asked for: return exactly those. */
    shrunk = (*env)->NewObjectArray(env, (jsize)c.count, g_byte_array_class, NULL);
    if (shrunk == NULL) return NULL;
    for (i = 0; i < c.count; i++) {
        jobject e = (*env)->GetObjectArrayElement(env, c.out, (jsize)i);
        (*env)->SetObjectArrayElement(env, shrunk, (jsize)i, e);
        (*env)->DeleteLocalRef(env, e);
    }
    return shrunk;
}

JNIEXPORT jintArray JNICALL Java_org_mobilenmt_Translator_nativeTokenize(JNIEnv *env, jclass cls,
                                                                         jlong handle,
                                                                         jbyteArray text) {
    jsize len = (*env)->GetArrayLength(env, text);
    jbyte *bytes = (*env)->GetByteArrayElements(env, text, NULL);
    jintArray result = NULL;
    int32_t *ids = NULL;
    size_t n = 0;
    mnmt_status s;
    (void)cls;
    if (bytes == NULL) return NULL;
    /* Ask for the count, then fill; tokenizing is cheap next to translating. */
    s = mnmt_tokenize(translator(handle), (const char *)bytes, (size_t)len, NULL, 0, &n);
    if (s == MNMT_BUFFER_TOO_SMALL) {
        ids = malloc(sizeof *ids * (n == 0 ? 1 : n));
        s = ids == NULL ? MNMT_OUT_OF_MEMORY
                        : mnmt_tokenize(translator(handle), (const char *)bytes, (size_t)len, ids,
                                        n, &n);
    }
    (*env)->ReleaseByteArrayElements(env, text, bytes, JNI_ABORT);
    if (s != MNMT_OK) {
        throw_status(env, s);
    } else {
        result = (*env)->NewIntArray(env, (jsize)n);
        if (result != NULL) (*env)->SetIntArrayRegion(env, result, 0, (jsize)n, (const jint *)ids);
    }
    free(ids);
    return result;
}

JNIEXPORT jbyteArray JNICALL Java_org_mobilenmt_Translator_nativeDetokenize(JNIEnv *env,
                                                                            jclass cls,
                                                                            jlong handle,
                                                                            jintArray ids) {
    jsize n = (*env)->GetArrayLength(env, ids);
    jint *v = (*env)->GetIntArrayElements(env, ids, NULL);
    jbyteArray result = NULL;
    char *out = NULL;
    size_t len = 0;
    mnmt_status s;
    (void)cls;
    if (v == NULL) return NULL;
    s = mnmt_detokenize(translator(handle), (const int32_t *)v, (size_t)n, NULL, 0, &len);
    if (s == MNMT_BUFFER_TOO_SMALL) {
        out = malloc(len + 1);
        s = out == NULL ? MNMT_OUT_OF_MEMORY
                        : mnmt_detokenize(translator(handle), (const int32_t *)v, (size_t)n, out,
                                          len + 1, &len);
    }
    (*env)->ReleaseIntArrayElements(env, ids, v, JNI_ABORT);
    if (s != MNMT_OK) {
        throw_status(env, s);
    } else {
        result = new_bytes(env, out, len);
    }
    free(out);
    return result;
}

JNIEXPORT jobjectArray JNICALL Java_org_mobilenmt_Translator_nativeInfo(JNIEnv *env, jclass cls,
                                                                        jlong handle,
                                                                        jlongArray numbers) {
    mnmt_model_info info;
    jlong n[13];
    const char *strings[5];
    jobjectArray result;
    mnmt_status s;
    int i;
    (void)cls;
    memset(&info, 0, sizeof info);
    info.struct_size = (uint32_t)sizeof info;
    s = mnmt_get_model_info(translator(handle), &info);
    if (s != MNMT_OK) {
        throw_status(env, s);
        return NULL;
    }
    n[0] = info.vocab_size;
    n[1] = info.decoder_vocab_size;
    n[2] = info.d_model;
    n[3] = info.encoder_layers;
    n[4] = info.decoder_layers;
    n[5] = info.encoder_heads;
    n[6] = info.decoder_heads;
    n[7] = info.encoder_ffn_dim;
    n[8] = info.decoder_ffn_dim;
    n[9] = info.shared_embeddings;
    n[10] = info.tied_output;
    n[11] = (jlong)info.file_size;
    n[12] = (jlong)info.parameter_count;
    (*env)->SetLongArrayRegion(env, numbers, 0, 13, n);
    strings[0] = info.dtype;
    strings[1] = info.activation;
    strings[2] = info.name;
    strings[3] = info.source_lang;
    strings[4] = info.target_lang;
    result = (*env)->NewObjectArray(env, 5, g_byte_array_class, NULL);
    if (result == NULL) return NULL;
    for (i = 0; i < 5; i++) {
        jbyteArray b = new_bytes(env, strings[i], strlen(strings[i]));
        if (b == NULL) return NULL;
        (*env)->SetObjectArrayElement(env, result, i, b);
        (*env)->DeleteLocalRef(env, b);
    }
    return result;
}

JNIEXPORT jlongArray JNICALL Java_org_mobilenmt_Translator_nativeSplitSentences(JNIEnv *env,
                                                                                jclass cls,
                                                                                jbyteArray text,
                                                                                jbyteArray lang) {
    jsize len = (*env)->GetArrayLength(env, text);
    jsize lang_len = (*env)->GetArrayLength(env, lang);
    char *tag = malloc((size_t)lang_len + 1);
    jbyte *bytes = (*env)->GetByteArrayElements(env, text, NULL);
    mnmt_span *spans = NULL;
    jlong *flat = NULL;
    jlongArray result = NULL;
    size_t n = 0, i;
    mnmt_status s;
    (void)cls;
    if (tag == NULL || bytes == NULL) {
        if (!(*env)->ExceptionCheck(env)) {
            jclass oom = (*env)->FindClass(env, "java/lang/OutOfMemoryError");
            if (oom != NULL) (*env)->ThrowNew(env, oom, "split sentences");
        }
        if (bytes != NULL) (*env)->ReleaseByteArrayElements(env, text, bytes, JNI_ABORT);
        free(tag);
        return NULL;
    }
    (*env)->GetByteArrayRegion(env, lang, 0, lang_len, (jbyte *)tag);
    tag[lang_len] = '\0';
    /* Ask for the count, then fill. */
    s = mnmt_split_sentences((const char *)bytes, (size_t)len, tag, NULL, 0, &n);
    if (s == MNMT_BUFFER_TOO_SMALL) {
        spans = malloc(sizeof *spans * n);
        flat = malloc(sizeof *flat * 2 * n);
        s = spans == NULL || flat == NULL
                ? MNMT_OUT_OF_MEMORY
                : mnmt_split_sentences((const char *)bytes, (size_t)len, tag, spans, n, &n);
    }
    (*env)->ReleaseByteArrayElements(env, text, bytes, JNI_ABORT);
    free(tag);
    if (s != MNMT_OK) {
        throw_status(env, s);
    } else {
        for (i = 0; i < n; i++) {
            flat[2 * i] = (jlong)spans[i].offset;
            flat[2 * i + 1] = (jlong)spans[i].len;
        }
        result = (*env)->NewLongArray(env, (jsize)(2 * n));
        if (result != NULL && n > 0) (*env)->SetLongArrayRegion(env, result, 0, (jsize)(2 * n), flat);
    }
    free(spans);
    free(flat);
    return result;
}

/* The version and kernel names are ASCII, for which modified UTF-8 is plain UTF-8. */
JNIEXPORT jstring JNICALL Java_org_mobilenmt_Translator_nativeVersion(JNIEnv *env, jclass cls) {
    (void)cls;
    return (*env)->NewStringUTF(env, mnmt_version());
}

JNIEXPORT jstring JNICALL Java_org_mobilenmt_Translator_nativeKernelName(JNIEnv *env, jclass cls) {
    (void)cls;
    return (*env)->NewStringUTF(env, mnmt_kernel_name());
}

JNIEXPORT void JNICALL Java_org_mobilenmt_Translator_nativeDefaultOptions(JNIEnv *env, jclass cls,
                                                                         jintArray ints,
                                                                         jfloatArray floats) {
    mnmt_options o = mnmt_options_default();
    jint i[8];
    jfloat f[2];
    (void)cls;
    i[0] = (jint)o.beam_size;
    i[1] = (jint)o.num_hypotheses;
    i[2] = (jint)o.max_output_tokens;
    i[3] = (jint)o.max_length_b;
    i[4] = (jint)o.truncate;
    i[5] = (jint)o.split_sentences;
    i[6] = (jint)o.shortlist;
    i[7] = (jint)o.protect_spans;
    f[0] = o.length_penalty;
    f[1] = o.max_length_a;
    (*env)->SetIntArrayRegion(env, ints, 0, 8, i);
    (*env)->SetFloatArrayRegion(env, floats, 0, 2, f);
}
