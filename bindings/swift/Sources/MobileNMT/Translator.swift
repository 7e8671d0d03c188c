// The Swift face of the mobilenmt C API, mirroring the Java binding (org.mobilenmt.Translator).
// UNTESTED: written without a Swift toolchain (see docs/mobile.md).

import CMobileNMT
import Foundation

/// A library status (`mnmt_status`), with its C value.
public enum Status: Int32 {
    case ok = 0
    case invalidArgument = 1
    case ioError = 2
    case badModel = 3
    case unsupportedModel = 4
    case invalidUTF8 = 5
    case inputTooLong = 6
    case bufferTooSmall = 7
    case outOfMemory = 8
    case internalError = 9
    /// A value this binding does not know (a newer library): treat it as a general failure.
    case unknown = -1
}

/// A failed call: the status and the library's detailed message (`mnmt_last_error()`).
public struct TranslatorError: Error, CustomStringConvertible {
    public let status: Status
    /// The C value, also for statuses this binding does not know.
    public let code: Int32
    public let message: String

    public var description: String { "\(status) (\(code)): \(message)" }

    /// Reads `mnmt_last_error()` at once, on the failing thread, before any other call.
    init(_ s: mnmt_status) {
        code = Int32(bitPattern: s.rawValue)
        status = Status(rawValue: code) ?? .unknown
        message = String(cString: mnmt_last_error())
    }

    init(_ status: Status, _ message: String) {
        self.status = status
        code = status.rawValue
        self.message = message
    }
}

/// Options of a translation call (`mnmt_options`); the defaults are the library's.
public struct Options {
    /// Beam width; 1 = greedy, at most the translator's beam limit (8).
    public var beamSize: Int
    /// Hypotheses `translateNBest` returns, 1...beamSize.
    public var numHypotheses: Int
    /// Scores are `sum(log p) / length ^ lengthPenalty`.
    public var lengthPenalty: Float
    /// Hard cap on generated tokens including `</s>`; 0 = the translator's limit.
    public var maxOutputTokens: Int
    /// Output cap `maxLengthA * sourceTokens + maxLengthB`.
    public var maxLengthA: Float
    public var maxLengthB: Int
    /// Truncate inputs longer than the limit (256 tokens) instead of failing.
    public var truncate: Bool

    public init(beamSize: Int = 1, numHypotheses: Int = 1, lengthPenalty: Float = 1.0,
                maxOutputTokens: Int = 0, maxLengthA: Float = 1.5, maxLengthB: Int = 10,
                truncate: Bool = false) {
        self.beamSize = beamSize
        self.numHypotheses = numHypotheses
        self.lengthPenalty = lengthPenalty
        self.maxOutputTokens = maxOutputTokens
        self.maxLengthA = maxLengthA
        self.maxLengthB = maxLengthB
        self.truncate = truncate
    }

    func cValue() throws -> mnmt_options {
        func u32(_ v: Int, _ name: String) throws -> UInt32 {
            guard v >= 0, let x = UInt32(exactly: v) else {
                throw TranslatorError(.invalidArgument, "\(name) must be in 0...\(UInt32.max), got \(v)")
            }
            return x
        }
        var o = mnmt_options_default()
        o.beam_size = try u32(beamSize, "beamSize")
        o.num_hypotheses = try u32(numHypotheses, "numHypotheses")
        o.length_penalty = lengthPenalty
        o.max_output_tokens = try u32(maxOutputTokens, "maxOutputTokens")
        o.max_length_a = maxLengthA
        o.max_length_b = try u32(maxLengthB, "maxLengthB")
        o.truncate = truncate ? 1 : 0
        return o
    }
}

/// One entry of an n-best list.
public struct Hypothesis {
    public let text: String
    /// `sum(log p) / length ^ lengthPenalty`: higher is better, at most 0.
    public let score: Float
}

/// Facts about a loaded model (`mnmt_model_info`).
public struct ModelInfo {
    public let vocabSize: Int
    public let decoderVocabSize: Int
    public let dModel: Int
    public let encoderLayers: Int
    public let decoderLayers: Int
    public let encoderHeads: Int
    public let decoderHeads: Int
    public let encoderFfnDim: Int
    public let decoderFfnDim: Int
    public let sharedEmbeddings: Bool
    public let tiedOutput: Bool
    public let fileSize: UInt64
    public let parameterCount: UInt64
    public let dtype: String
    public let activation: String
    public let name: String
    public let sourceLang: String
    public let targetLang: String

    init(_ i: mnmt_model_info) {
        vocabSize = Int(i.vocab_size)
        decoderVocabSize = Int(i.decoder_vocab_size)
        dModel = Int(i.d_model)
        encoderLayers = Int(i.encoder_layers)
        decoderLayers = Int(i.decoder_layers)
        encoderHeads = Int(i.encoder_heads)
        decoderHeads = Int(i.decoder_heads)
        encoderFfnDim = Int(i.encoder_ffn_dim)
        decoderFfnDim = Int(i.decoder_ffn_dim)
        sharedEmbeddings = i.shared_embeddings != 0
        tiedOutput = i.tied_output != 0
        fileSize = i.file_size
        parameterCount = i.parameter_count
        dtype = String(cString: i.dtype)
        activation = String(cString: i.activation)
        name = String(cString: i.name)
        sourceLang = String(cString: i.source_lang)
        targetLang = String(cString: i.target_lang)
    }
}

/// Texts (and scores) the library's callbacks deliver, by index.
private final class Results {
    var texts: [String?]
    var scores: [Float]
    var count = 0

    init(capacity: Int) {
        texts = Array(repeating: nil, count: capacity)
        scores = Array(repeating: 0, count: capacity)
    }

    static func from(_ p: UnsafeMutableRawPointer?) -> Results {
        Unmanaged<Results>.fromOpaque(p!).takeUnretainedValue()
    }

    func set(_ i: Int, _ text: UnsafePointer<CChar>?, _ len: Int, _ score: Float) {
        guard i < texts.count else { return }
        if let t = text, len > 0 {
            texts[i] = String(decoding: UnsafeRawBufferPointer(start: t, count: len), as: UTF8.self)
        } else {
            texts[i] = ""
        }
        scores[i] = score
        count = max(count, i + 1)
    }
}

/// A loaded model, ready to translate (`mnmt_translator`).
///
/// Thread safety: one instance may be used from any number of threads at once. `close()` waits
/// for calls in progress; calls after it throw `.invalidArgument` ("the translator is closed").
/// The native translator is also freed when the last reference goes away.
public final class Translator {
    private var handle: OpaquePointer?
    // A heap-allocated lock: pthread objects must not move, which Swift properties may.
    private let lock: UnsafeMutablePointer<pthread_rwlock_t>

    private init(handle: OpaquePointer) {
        self.handle = handle
        lock = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)
        lock.initialize(to: pthread_rwlock_t())
        pthread_rwlock_init(lock, nil)
    }

    deinit {
        close()
        pthread_rwlock_destroy(lock)
        lock.deinitialize(count: 1)
        lock.deallocate()
    }

    /// Loads a model file (memory-mapped; it must not change while the translator lives).
    public convenience init(path: String) throws {
        var h: OpaquePointer?
        let s = mnmt_load(path, &h)
        guard s == MNMT_OK, let handle = h else { throw TranslatorError(s) }
        self.init(handle: handle)
    }

    /// Loads a model from the bytes of a model file (copied; `data` may be freed afterwards).
    public convenience init(data: Data) throws {
        var h: OpaquePointer?
        let s = data.withUnsafeBytes { raw in
            mnmt_load_from_memory(raw.bindMemory(to: UInt8.self).baseAddress, raw.count, &h)
        }
        guard s == MNMT_OK, let handle = h else { throw TranslatorError(s) }
        self.init(handle: handle)
    }

    /// Frees the native translator once calls in progress have returned; safe to call again.
    public func close() {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        if let h = handle {
            mnmt_free(h)
            handle = nil
        }
    }

    private func withHandle<R>(_ body: (OpaquePointer) throws -> R) throws -> R {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        guard let h = handle else { throw TranslatorError(.invalidArgument, "the translator is closed") }
        return try body(h)
    }

    /// Translates one text.
    public func translate(_ text: String, options: Options = Options()) throws -> String {
        return try translateBatch([text], options: options)[0]
    }

    /// Translates many texts together; the results, in input order, equal one call per text.
    public func translateBatch(_ texts: [String], options: Options = Options()) throws -> [String] {
        if texts.isEmpty { return [] }
        var opts = try options.cValue()
        var joined = [UInt8]()
        var offsets = [0]
        for t in texts {
            joined.append(contentsOf: t.utf8)
            offsets.append(joined.count)
        }
        let results = Results(capacity: texts.count)
        try withHandle { h in
            let s: mnmt_status = joined.withUnsafeBufferPointer { buf in
                let base = UnsafeRawPointer(buf.baseAddress)?.assumingMemoryBound(to: CChar.self)
                let ptrs: [UnsafePointer<CChar>?] = (0..<texts.count).map { i in base.map { $0 + offsets[i] } }
                let lens: [Int] = (0..<texts.count).map { offsets[$0 + 1] - offsets[$0] }
                return mnmt_translate_batch(h, ptrs, lens, texts.count, &opts, { user, index, text, len in
                    Results.from(user).set(index, text, len, 0)
                }, Unmanaged.passUnretained(results).toOpaque())
            }
            guard s == MNMT_OK else { throw TranslatorError(s) }
        }
        return results.texts.map { $0 ?? "" }
    }

    /// The `options.numHypotheses` best translations with their scores, best first (use
    /// `beamSize >= numHypotheses`); fewer when the search finished fewer distinct ones.
    public func translateNBest(_ text: String, options: Options) throws -> [Hypothesis] {
        var opts = try options.cValue()
        var src = text
        let results = Results(capacity: max(options.numHypotheses, 0))
        try withHandle { h in
            let s: mnmt_status = src.withUTF8 { buf in
                let p = UnsafeRawPointer(buf.baseAddress)?.assumingMemoryBound(to: CChar.self)
                return mnmt_translate_nbest(h, p, buf.count, &opts, { user, rank, text, len, score in
                    Results.from(user).set(rank, text, len, score)
                }, Unmanaged.passUnretained(results).toOpaque())
            }
            guard s == MNMT_OK else { throw TranslatorError(s) }
        }
        return (0..<results.count).map { Hypothesis(text: results.texts[$0] ?? "", score: results.scores[$0]) }
    }

    /// The source token ids of `text`, ending with `</s>`.
    public func tokenize(_ text: String) throws -> [Int32] {
        var src = text
        return try withHandle { h in
            try src.withUTF8 { buf -> [Int32] in
                let p = UnsafeRawPointer(buf.baseAddress)?.assumingMemoryBound(to: CChar.self)
                var n = 0
                var s = mnmt_tokenize(h, p, buf.count, nil, 0, &n)
                guard s == MNMT_BUFFER_TOO_SMALL else { throw TranslatorError(s) }
                let cap = n  // not `n` itself: it is also passed inout below
                var ids = [Int32](repeating: 0, count: cap)
                s = mnmt_tokenize(h, p, buf.count, &ids, cap, &n)
                guard s == MNMT_OK else { throw TranslatorError(s) }
                return ids
            }
        }
    }

    /// The text of target token ids (special tokens dropped).
    public func detokenize(_ ids: [Int32]) throws -> String {
        return try withHandle { h in
            var len = 0
            var s = mnmt_detokenize(h, ids, ids.count, nil, 0, &len)
            guard s == MNMT_BUFFER_TOO_SMALL else { throw TranslatorError(s) }
            let cap = len + 1
            var out = [CChar](repeating: 0, count: cap)
            s = mnmt_detokenize(h, ids, ids.count, &out, cap, &len)
            guard s == MNMT_OK else { throw TranslatorError(s) }
            return String(cString: out)
        }
    }

    /// Facts about the loaded model.
    public func modelInfo() throws -> ModelInfo {
        return try withHandle { h in
            var info = mnmt_model_info()
            info.struct_size = UInt32(MemoryLayout<mnmt_model_info>.size)
            let s = mnmt_get_model_info(h, &info)
            guard s == MNMT_OK else { throw TranslatorError(s) }
            return ModelInfo(info)
        }
    }

    /// Splits text into sentences (`mnmt_split_sentences`; needs no model): rules for written
    /// English ("en") and German ("de"), language-independent ones for any other tag.
    public static func splitSentences(_ text: String, lang: String) throws -> [String] {
        var src = text
        return try src.withUTF8 { buf -> [String] in
            let p = UnsafeRawPointer(buf.baseAddress)?.assumingMemoryBound(to: CChar.self)
            var n = 0
            var s = mnmt_split_sentences(p, buf.count, lang, nil, 0, &n)
            if s == MNMT_OK { return [] }
            guard s == MNMT_BUFFER_TOO_SMALL else { throw TranslatorError(s) }
            let cap = n
            var spans = [mnmt_span](repeating: mnmt_span(), count: cap)
            s = mnmt_split_sentences(p, buf.count, lang, &spans, cap, &n)
            guard s == MNMT_OK else { throw TranslatorError(s) }
            return spans.prefix(n).map { String(decoding: buf[$0.offset..<($0.offset + $0.len)], as: UTF8.self) }
        }
    }

    /// The library version, e.g. "0.1.0".
    public static var version: String { String(cString: mnmt_version()) }

    /// The INT8 kernel set in use, e.g. "aarch64-dotprod".
    public static var kernelName: String { String(cString: mnmt_kernel_name()) }
}
