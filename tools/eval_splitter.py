#!/usr/bin/env python3
"""Boundary precision and recall of mobilenmt.split_sentences on paragraphs built from dev sets.

The dev sets have one sentence per line. Consecutive lines are joined with a space into
paragraphs of 3, 4, 5, 6, 3, ... sentences; the joins are the gold boundaries, and the
boundaries the splitter finds inside a paragraph are compared with them:

    precision = correct boundaries / boundaries found
    recall    = correct boundaries / gold boundaries

A line that does not end in sentence-final punctuation (a headline such as "Gutach: Increased
safety for pedestrians") ends its paragraph: in a real document it stands on a line of its own,
and no splitter can find a boundary that has no mark. Such lines are counted and reported.

Many dev-set lines hold more than one sentence (FLORES: "... the final rounds. I am here to
win."). Candidate boundaries inside a line were reviewed by hand and listed, with a verdict, in
tools/eval_splitter_reviewed.tsv (every boundary the splitter found inside a line, and every
full stop, "!" or "?" followed by a space and a capital or digit that it did not split): a
listed "yes" is a gold boundary too, found or not; any other boundary found inside a line counts
as wrong (so a rule change that adds one is an error until reviewed).
`--show N` prints up to N errors per set; `--list-inline` prints every boundary found inside a
line in the file's format, for review.

Data: eval/data/{flores-dev,newstest2014}.{en,de} when present, else the gzipped dev sets in
../shared/data (flores-en-de/dev.*.gz; europarl-en-de/dev.*.gz, which is newstest2014).

    .venv/bin/python tools/eval_splitter.py [--show 20] [--min 0.99] [--held-out]

--held-out adds the first 3,000 lines of Europarl (train), which the rules were not tuned on;
its boundaries inside lines are not reviewed, so its precision is a lower bound.

Needs the built library (`make build`, or MNMT_LIBRARY).
"""

from __future__ import annotations

import argparse
import gzip
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "python"))

import mobilenmt  # noqa: E402

SETS = {
    "flores-dev": ["eval/data/flores-dev.{lang}", "../shared/data/flores-en-de/dev.{lang}.gz"],
    "newstest2014": [
        "eval/data/newstest2014.{lang}",
        "../shared/data/europarl-en-de/dev.{lang}.gz",
    ],
}
# Not used while writing the rules: a check that they generalise. Its boundaries inside lines are
# not reviewed, so every one counts as wrong and its precision is a lower bound.
HELD_OUT = {
    "europarl-train-3k": ["../shared/data/europarl-en-de/train.{lang}.gz"],
}
HELD_OUT_LINES = 3000
FINAL = ".!?…"
CLOSERS = "\"')]}”“’‘»«›‹"
SIZES = [3, 4, 5, 6]


def read_lines(name: str, lang: str) -> tuple[list[str], str] | None:
    for pattern in SETS.get(name) or HELD_OUT[name]:
        path = ROOT / pattern.format(lang=lang)
        if path.exists():
            opener = gzip.open if path.suffix == ".gz" else open
            with opener(path, "rt", encoding="utf-8") as f:
                lines = [line.strip() for line in f]
            lines = [line for line in lines if line]
            if name in HELD_OUT:
                lines = lines[:HELD_OUT_LINES]
            return lines, str(path)
    return None


def has_final_mark(line: str) -> bool:
    return line.rstrip(CLOSERS)[-1:] in FINAL


def paragraphs(lines: list[str]) -> tuple[list[list[str]], int]:
    """Groups lines into paragraphs; returns them and the number of unmarked lines."""
    out, current, unmarked, k = [], [], 0, 0
    for line in lines:
        current.append(line)
        marked = has_final_mark(line)
        unmarked += not marked
        if not marked or len(current) == SIZES[k % len(SIZES)]:
            out.append(current)
            current, k = [], k + 1
    if current:
        out.append(current)
    return out, unmarked


REVIEWED = ROOT / "tools" / "eval_splitter_reviewed.tsv"


def read_reviewed() -> dict:
    """(set, lang, line index) -> {byte offset in the line: True if a real boundary}."""
    out: dict = {}
    with open(REVIEWED, encoding="utf-8") as f:
        for row in f:
            if row.startswith("#") or not row.strip():
                continue
            name, lang, line, offset, verdict = row.rstrip("\n").split("\t")[:5]
            out.setdefault((name, lang, int(line)), {})[int(offset)] = verdict == "yes"
    return out


def boundaries(text: str, lang: str) -> list[int]:
    """Byte offsets where the splitter ends a sentence, except at the end."""
    data, pos, out = text.encode(), 0, []
    for piece in mobilenmt.split_sentences(text, lang=lang)[:-1]:
        pos = data.index(piece.encode(), pos) + len(piece.encode())
        out.append(pos)
    return out


def list_inline(name: str, lang: str, lines: list[str]) -> None:
    for i, line in enumerate(lines):
        data = line.encode()
        for b in boundaries(line, lang):
            left = data[max(0, b - 30) : b].decode("utf-8", "ignore")
            right = data[b : b + 25].decode("utf-8", "ignore")
            print(f"{name}\t{lang}\t{i}\t{b}\t?\t{left}||{right}")


def evaluate(name: str, lines: list[str], lang: str, show: int, reviewed: dict) -> dict:
    paras, unmarked = paragraphs(lines)
    found = correct = gold_total = 0
    errors = []
    index = 0
    for para in paras:
        text = " ".join(para)
        gold, pos = set(), 0
        for k, sentence in enumerate(para):
            for offset, real in reviewed.get((name, lang, index + k), {}).items():
                if real:
                    gold.add(pos + offset)
            pos += len(sentence.encode())
            if k + 1 < len(para):
                gold.add(pos)
            pos += 1
        index += len(para)
        data = text.encode()
        predicted = set(boundaries(text, lang))
        found += len(predicted)
        gold_total += len(gold)
        correct += len(gold & predicted)
        for b in sorted(predicted - gold):
            errors.append(("extra", data[max(0, b - 60) : b + 40].decode("utf-8", "replace")))
        for b in sorted(gold - predicted):
            errors.append(("missed", data[max(0, b - 60) : b + 40].decode("utf-8", "replace")))
    for kind, context in errors[:show]:
        print(f"  {kind:6} ...{context}...")
    return {
        "lines": len(lines),
        "paragraphs": len(paras),
        "unmarked": unmarked,
        "gold": gold_total,
        "found": found,
        "correct": correct,
        "precision": correct / found if found else 1.0,
        "recall": correct / gold_total if gold_total else 1.0,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--show", type=int, default=0, help="print up to N errors per set")
    ap.add_argument("--min", type=float, default=0.0, help="fail if any P or R is below this")
    ap.add_argument("--list-inline", action="store_true", help="print boundaries inside lines")
    ap.add_argument("--held-out", action="store_true", help="also measure the held-out set")
    args = ap.parse_args()
    reviewed = read_reviewed()
    rows, ok = [], True
    for lang in ("en", "de"):
        for name in list(SETS) + (list(HELD_OUT) if args.held_out else []):
            found = read_lines(name, lang)
            if found is None:
                places = SETS.get(name) or HELD_OUT[name]
                print(f"{name}.{lang}: no data (looked in {', '.join(places)})")
                ok = False
                continue
            lines, path = found
            if args.list_inline:
                list_inline(name, lang, lines)
                continue
            if args.show:
                print(f"{name}.{lang} ({path}):")
            r = evaluate(name, lines, lang, args.show, reviewed)
            rows.append((name, lang, r))
            if name in SETS:
                ok &= r["precision"] >= args.min and r["recall"] >= args.min
    if args.list_inline:
        return 0
    print()
    print("| set | lang | lines | paragraphs | unmarked lines | gold boundaries | found | "
          "correct | precision | recall |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, lang, r in rows:
        print(f"| {name} | {lang} | {r['lines']} | {r['paragraphs']} | {r['unmarked']} | "
              f"{r['gold']} | {r['found']} | {r['correct']} | {100 * r['precision']:.2f}% | "
              f"{100 * r['recall']:.2f}% |")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
