#!/usr/bin/env python3
"""Document mode, measured: speed of one call for a whole document against one call per
sentence, and the quality of paragraphs translated in one call against the same sentences
translated one by one (and against the whole paragraph given to the model as one sentence).

    python bench/documents.py [--model models/mobilenmt-en-de/model-int8.gguf]
                              [--data DIR] [--repeat 3]

Data: the FLORES dev set, English source and German reference, one sentence a line, read from
eval/data/flores-dev.{en,de} (committed in the repository), or from DIR/dev.{en,de}.gz when
--data DIR is given.

(a) Speed: a document of the first 1,000 sentences (FLORES dev has 997; it wraps around; or the
lines of --speed-text, e.g. eval/data/multi30k-test2016.en, with --speed-only to skip (b)), in
paragraphs of 5 sentences separated by blank lines, translated by one mnmt_translate call in
document mode, against 1,000 mnmt_translate calls with split_sentences=0. Wall time, median of
--repeat runs each, both in this process; sentences/second and the ratio.

(b) Quality: consecutive paragraphs of 3, 4, 5, 6, 3, ... sentences of FLORES dev. BLEU
(sacrebleu, paragraph against the reference sentences joined with spaces) of (1) each paragraph
in one document-mode call, (2) its sentences one call each, joined with spaces, and (3) the
whole paragraph as one sentence (split_sentences=0, truncate=1: the behaviour before document
mode). The shipped model was trained on image captions, so absolute BLEU on FLORES (news,
wiki) is low; what matters is that (1) and (2) agree within 0.5.

Greedy search; the library is found as the Python package finds it (MNMT_LIBRARY or
target/release: build it with `cargo build --release`).
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import time
from typing import Optional
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "python"))

import mobilenmt  # noqa: E402


def read_lines(path: Path) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def load(data: Optional[Path]) -> tuple[list[str], list[str]]:
    if data is None:
        local = ROOT / "eval" / "data"
        return read_lines(local / "flores-dev.en"), read_lines(local / "flores-dev.de")
    return read_lines(data / "dev.en.gz"), read_lines(data / "dev.de.gz")


def timed(f) -> float:
    start = time.perf_counter()
    f()
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=str(ROOT / "models/mobilenmt-en-de/model-int8.gguf"))
    ap.add_argument("--data", help="read DIR/dev.{en,de}.gz instead of eval/data/flores-dev.*")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sentences", type=int, default=1000)
    ap.add_argument("--speed-text", help="(a) on the lines of this file instead of FLORES dev "
                    "(e.g. eval/data/multi30k-test2016.en, in the captions model's domain)")
    ap.add_argument("--speed-only", action="store_true", help="skip (b)")
    ap.add_argument("--hyps", help="also write the (b) translations to this folder")
    ap.add_argument("--score", help="only score the translations --hyps wrote to this folder")
    args = ap.parse_args()
    if args.score:
        return score(Path(args.score))

    src, ref = load(Path(args.data) if args.data else None) if not (args.speed_text and args.speed_only) else ([], [])
    assert len(src) == len(ref), "source and reference differ in length"
    tr = mobilenmt.Translator(args.model)
    print(f"model {Path(args.model).name}, {len(src)} FLORES dev sentences, "
          f"kernels {mobilenmt.kernel_name()}")

    # (a) speed
    n = args.sentences
    pool = read_lines(Path(args.speed_text)) if args.speed_text else src
    pool = [p for p in pool if p.strip()]
    sents = [pool[i % len(pool)] for i in range(n)]
    paras = [" ".join(sents[i : i + 5]) for i in range(0, n, 5)]
    doc = "\n\n".join(paras) + "\n"
    tr.translate(doc)  # warm-up: the workspace grows once
    doc_t = [timed(lambda: tr.translate(doc)) for _ in range(args.repeat)]
    one_t = [
        timed(lambda: [tr.translate(s, split_sentences=False) for s in sents])
        for _ in range(args.repeat)
    ]
    d, o = statistics.median(doc_t), statistics.median(one_t)
    print(f"(a) {n} sentences: one document call {d:.2f} s ({n / d:.1f} sentences/s); "
          f"{n} calls of one sentence {o:.2f} s ({n / o:.1f} sentences/s); "
          f"speed-up {o / d:.2f}x (medians of {args.repeat})", flush=True)
    if args.speed_only:
        return 0

    # (b) quality
    groups, i, k = [], 0, 0
    while i < len(src):
        size = 3 + k % 4
        groups.append((i, min(i + size, len(src))))
        i += size
        k += 1
    para_src = [" ".join(src[a:b]) for a, b in groups]
    para_ref = [" ".join(ref[a:b]) for a, b in groups]
    in_one = tr.translate(para_src)
    sent_out = tr.translate(src, split_sentences=False)
    by_sentence = [" ".join(sent_out[a:b]) for a, b in groups]
    one_shot = tr.translate(para_src, split_sentences=False, truncate=True)
    if args.hyps:
        out = Path(args.hyps)
        out.mkdir(parents=True, exist_ok=True)
        for name, lines in [("ref", para_ref), ("document", in_one), ("sentences", by_sentence),
                            ("one-shot", one_shot)]:
            (out / f"{name}.txt").write_text("".join(x + "\n" for x in lines), encoding="utf-8")
    return report(para_ref, in_one, by_sentence, one_shot)


def score(folder: Path) -> int:
    read = lambda name: (folder / f"{name}.txt").read_text(encoding="utf-8").split("\n")[:-1]
    return report(read("ref"), read("document"), read("sentences"), read("one-shot"))


def report(para_ref, in_one, by_sentence, one_shot) -> int:
    import sacrebleu

    groups = para_ref
    scores = {
        name: sacrebleu.corpus_bleu(hyp, [para_ref]).score
        for name, hyp in [("document", in_one), ("sentences", by_sentence), ("one-shot", one_shot)]
    }
    same = sum(a == b for a, b in zip(in_one, by_sentence))
    print(f"(b) {len(groups)} paragraphs of 3-6 sentences: BLEU document mode "
          f"{scores['document']:.2f}, sentence by sentence {scores['sentences']:.2f} "
          f"(difference {scores['document'] - scores['sentences']:+.2f}; {same} of "
          f"{len(groups)} paragraphs identical), whole paragraph as one sentence "
          f"{scores['one-shot']:.2f}")
    ok = abs(scores["document"] - scores["sentences"]) <= 0.5
    print("within 0.5 BLEU:", "yes" if ok else "NO")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
