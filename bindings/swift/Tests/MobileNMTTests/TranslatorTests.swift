// UNTESTED (no Swift toolchain where this was written): the Java tests' main cases, for
// `swift test` on a Mac (MOBILENMT_SYSTEM_LIBRARY=1 after `make install`, or the XCFramework).
import Foundation
import MobileNMT
import XCTest

final class TranslatorTests: XCTestCase {
    /// The captions English-German model in this repository: the translations below are its
    /// own (hand-checked, as in the Rust tests), and unlike the default model it is never replaced.
    static let model = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("models/mobilenmt-en-de-captions/model-int8.gguf").path

    func testTranslatesAsTheRustTests() throws {
        let t = try Translator(path: Self.model)
        XCTAssertEqual(try t.translate("Two dogs are playing in the snow."), "Zwei Hunde spielen im Schnee.")
        XCTAssertEqual(try t.translate("A man is riding a bicycle down the street.", options: Options(beamSize: 4)),
                       "Ein Mann fährt auf einem Fahrrad die Straße entlang.")
        let batch = try t.translateBatch(["Two dogs are playing in the snow.", ""])
        XCTAssertEqual(batch[0], "Zwei Hunde spielen im Schnee.")
        XCTAssertEqual(batch[1], try t.translate(""))
        let nbest = try t.translateNBest("Two dogs are playing in the snow.", options: Options(beamSize: 4, numHypotheses: 3))
        XCTAssertEqual(nbest.first?.text, "Zwei Hunde spielen im Schnee.")
        XCTAssertEqual(try t.modelInfo().targetLang, "de")
        t.close()
        t.close()
        XCTAssertThrowsError(try t.translate("x"))
    }

    func testLoadsFromData() throws {
        let t = try Translator(data: try Data(contentsOf: URL(fileURLWithPath: Self.model)))
        XCTAssertEqual(try t.translate("Two dogs are playing in the snow."), "Zwei Hunde spielen im Schnee.")
    }

    func testErrorsCarryStatusAndMessage() throws {
        XCTAssertThrowsError(try Translator(path: "/nonexistent.gguf")) { e in
            XCTAssertEqual((e as? TranslatorError)?.status, .ioError)
        }
        XCTAssertThrowsError(try Translator(data: Data("not a model".utf8))) { e in
            XCTAssertEqual((e as? TranslatorError)?.status, .badModel)
            XCTAssertFalse((e as? TranslatorError)?.message.isEmpty ?? true)
        }
        let t = try Translator(path: Self.model)
        XCTAssertThrowsError(try t.translate("x", options: Options(beamSize: 1000))) { e in
            XCTAssertEqual((e as? TranslatorError)?.status, .invalidArgument)
        }
    }

    func testManyThreadsShareOneTranslator() throws {
        let t = try Translator(path: Self.model)
        let want = try t.translate("Two dogs are playing in the snow.")
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            XCTAssertEqual(try? t.translate("Two dogs are playing in the snow."), want)
        }
    }
}
