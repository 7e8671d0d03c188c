// The binding as Kotlin code sees it: `use {}` through Closeable, options through their
// bean properties, getters as properties, exceptions with their status. `make test-kotlin`
// compiles and runs it (Debian's kotlinc; not part of CI: the package is about 290 MB) on the
// captions model, models/mobilenmt-en-de-captions, whose translations these are.
package org.mobilenmt

import kotlin.system.exitProcess

private fun check(cond: Boolean, what: () -> String) {
    if (!cond) {
        println("FAILED ${what()}")
        exitProcess(1)
    }
}

fun main(args: Array<String>) {
    val model = args[0]
    val opened = Translator.load(model).use { t ->
        check(t.translate("Two dogs are playing in the snow.") == "Zwei Hunde spielen im Schnee.") { "greedy" }
        val best = t.translateNBest(
            "A man is riding a bicycle down the street.",
            Options().apply { beamSize = 4; numHypotheses = 3 }
        )
        check(best[0].text == "Ein Mann fährt auf einem Fahrrad die Straße entlang.") { "n-best: $best" }
        check(best.zipWithNext().all { (a, b) -> a.score >= b.score }) { "n-best order: $best" }
        check(t.modelInfo.sourceLang == "en" && t.modelInfo.targetLang == "de") { "info: ${t.modelInfo}" }
        val batch = t.translateBatch(listOf("Two dogs are playing in the snow.", ""), Options().apply { truncate = true })
        check(batch.size == 2 && batch[0] == "Zwei Hunde spielen im Schnee.") { "batch: $batch" }
        t
    }
    check(!opened.isOpen) { "use {} closed the translator" }
    val status = try {
        Translator.load("/nonexistent/model.gguf")
        null
    } catch (e: TranslatorException) {
        e.status
    }
    check(status == Status.IO_ERROR) { "status $status" }
    println("kotlin usage: ok")
}
