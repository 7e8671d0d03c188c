#!/usr/bin/env python3
"""Writes the fuzz seed corpora from the committed fixtures (stdlib only).

fuzz/corpus/<target>/ gets: gguf: the fixture model files and a few truncated prefixes; spm: the
SentencePiece models; tokenizer/translate: the golden source sentences and the tokenizer test
cases, each behind the selector byte the target reads first; text: those sentences joined into
paragraphs, and hand-written documents with abbreviations, lists and blank lines; tables: crafted
normalization rules, pieces and vocabulary entries (the layout `fuzz_targets/tables.rs` reads)
before a sentence; html: hand-written pages with every tag kind and malformed markup, and
golden sentences with tags. Existing corpus files are kept, so libFuzzer's own findings accumulate across
runs.
"""
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
CORPUS = ROOT / "fuzz" / "corpus"
FIXTURES = ["tiny-swish", "tiny-relu-untied"]


TEXT_SEEDS = [
    "  Dr. Smith met J. R. R. Tolkien on Jan. 5, e.g. at 3.5 p.m. \"Why?\" he asked!\n\nNew...",
    "1. Am 3. Oktober kam z. B. Hr. Müller bzw. Nr. 5. Die Zahl stieg auf 25. „Ja.“ Gut.\n- x",
    "Visit https://www.example.com/a.html?x=1. Mail info@example.org. 你好。再见！\r\n👍\n",
    "Er sagte […] danach (...) Ende. Der XXVIII. Bericht; und: aber, oder — so.\t\n\n  ",
]


HTML_SEEDS = [
    "<!DOCTYPE html><html><head><title>Two dogs</title><style>p>b{}</style></head><body>\n"
    "<p>Two <b>dogs</b> are <a href=\"/x?a=1&amp;b=2\" title='t'>playing</a> in the snow.</p>\n"
    "<ul><li>A man.<li>A <i>woman</i> reads.</ul><br><img src=x alt=\"a>b\"><hr/>\n"
    "<pre>keep <b>this</b></pre><code>x()</code><span translate=\"no\">Name</span>\n"
    "<!-- c --><![CDATA[ a < b ]]><?pi x?><script>if (a<b) {}</script></body></html>",
    "Tom &amp; Jerry &lt;3 &nbsp;&#169;&#xA9;&unknown;&#xD800;&#0; & < > </i> <b>open <i>mis</b> nest</i>",
    "<?xml version=\"1.0\"?><doc><s id=\"1\">A man <x/>rides.</s><s>Two dogs.</s></doc>",
    "<table><tr><td>One. <b>Two. Three</b> four.</td><th>Five</th></tr></table><p>x<br>y</p>",
]


def put(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


def texts():
    out = []
    for fx in FIXTURES:
        golden = json.loads((DATA / fx / "golden.json").read_text(encoding="utf-8"))
        out += [s["src"] for s in golden["sentences"]]
    cases = DATA / "tokenizer" / "cases.tsv"
    if cases.exists():
        for line in cases.read_text(encoding="utf-8").splitlines():
            cols = line.split("\t")
            if len(cols) >= 4:
                try:
                    out.append(json.loads(cols[3]))
                except ValueError:
                    pass
    return out


def main():
    for fx in FIXTURES:
        for f in ["model-int8.gguf", "model-f32.gguf"]:
            p = DATA / fx / f
            if p.exists():
                b = p.read_bytes()
                put("gguf", f"{fx}-{f}", b)
                for cut in (24, 256, 4096):
                    put("gguf", f"{fx}-{f}-{cut}", b[:cut])
        for f in ["source.spm", "target.spm"]:
            p = DATA / fx / f
            if p.exists():
                put("spm", f"{fx}-{f}", p.read_bytes())
    for i, t in enumerate(texts()):
        b = t.encode("utf-8")
        for sel in range(6):
            put("tokenizer", f"text-{i}-{sel}", bytes([sel]) + b)
        put("translate", f"text-{i}", bytes([i % 256]) + b)
    all_texts = texts()
    for i in range(0, len(all_texts), 4):
        para = " ".join(all_texts[i : i + 4]).encode("utf-8")
        put("text", f"para-{i}", bytes([i % 256]) + para)
    for i, doc in enumerate(TEXT_SEEDS):
        for sel in (0, 1, 2, 0x31, 0xF2):
            put("text", f"doc-{i}-{sel}", bytes([sel]) + doc.encode("utf-8"))
    for i, page in enumerate(HTML_SEEDS):
        for sel in (0, 1, 2, 3, 5, 7):
            put("html", f"page-{i}-{sel}", bytes([sel]) + page.encode("utf-8"))
    for i, t in enumerate(all_texts[:8]):
        words = t.split(" ")
        page = " ".join(f"<b>{w}</b>" if k % 3 == 1 else w for k, w in enumerate(words))
        put("html", f"text-{i}", bytes([i % 4]) + f"<p>{page}</p>".encode("utf-8"))
    ids = b"".join(n.to_bytes(4, "little") for n in (8, 31, 6, 44, 0, 1, 2, 999, 70000))
    put("tokenizer", "ids-0", bytes([4]) + ids)
    put("tokenizer", "ids-1", bytes([5]) + ids)
    sentence = "Two dogs </s> play <unk> in the snow.".encode("utf-8")
    rule = lambda b, rep: bytes([b, len(rep)]) + rep
    put("tables", "plain", bytes([0]) + sentence)
    put("tables", "rules", bytes([1, 2]) + rule(ord("a"), "ä".encode()) + rule(ord(" "), b"  ") + sentence)
    put("tables", "long-rule", bytes([1, 1]) + rule(ord("o"), b"x" * 64) + sentence)
    piece = b"aaaaaaaaaaaaaaaa"
    put("tables", "piece", bytes([4]) + len(piece).to_bytes(2, "little") + piece + bytes([1]) + sentence)
    special = b"<s>"
    put("tables", "vocab", bytes([16, 0]) + len(special).to_bytes(2, "little") + special + sentence)


if __name__ == "__main__":
    main()
