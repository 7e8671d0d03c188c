#!/usr/bin/env python3
"""Build the training data of the general-purpose English-to-German model and report what was removed.

Reads Tatoeba (CC BY 2.0 FR) and Europarl (no known restrictions) from DATA (the shared data folder
with one sub-folder per corpus) and writes OUT/train.{en,de}.gz (filtered, deduplicated, shuffled
with a fixed seed), OUT/val.{en,de}.gz (the Tatoeba dev set, for checkpoint selection) and
OUT/report.json. Multi30k is never read: its terms forbid commercial use.

Filters, applied in this order, each counted:
  empty          either side empty after whitespace normalisation
  too_long       either side longer than --max-words whitespace tokens
  identical      source equal to target (untranslated copies)
  ratio          word-count ratio above --max-ratio, when the longer side has more than 3 words
  eval_overlap   either side equal (case- and space-insensitive) to a sentence of an evaluation set
                 (Tatoeba dev, FLORES dev, newstest2014 dev), so scores are not inflated
  duplicate      exact duplicate of an earlier pair (after whitespace normalisation)

Usage: prepare_data.py --data ../shared/data --out .devdata/general
"""
import argparse
import gzip
import json
import os
import random

CORPORA = ("tatoeba-en-de", "europarl-en-de")
EVAL_SETS = (("tatoeba-en-de", "dev"), ("flores-en-de", "dev"), ("europarl-en-de", "dev"))


def read(path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def write(path, lines):
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))


def norm(s):
    return " ".join(s.split())


def key(s):
    return " ".join(s.lower().split())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="folder holding tatoeba-en-de/, europarl-en-de/, flores-en-de/")
    ap.add_argument("--out", required=True)
    ap.add_argument("--max-words", type=int, default=250)
    ap.add_argument("--max-ratio", type=float, default=3.0)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    held_out = set()
    for corpus, split in EVAL_SETS:
        for lang in ("en", "de"):
            held_out.update(key(s) for s in read(os.path.join(args.data, corpus, f"{split}.{lang}.gz")))

    seen = set()
    kept = []
    report = {}
    for corpus in CORPORA:
        en = read(os.path.join(args.data, corpus, "train.en.gz"))
        de = read(os.path.join(args.data, corpus, "train.de.gz"))
        if len(en) != len(de):
            raise SystemExit(f"{corpus}: {len(en)} English but {len(de)} German lines")
        counts = dict(read=len(en), empty=0, too_long=0, identical=0, ratio=0, eval_overlap=0, duplicate=0)
        for e, d in zip(en, de):
            e, d = norm(e), norm(d)
            ne, nd = len(e.split()), len(d.split())
            if not e or not d:
                counts["empty"] += 1
            elif ne > args.max_words or nd > args.max_words:
                counts["too_long"] += 1
            elif e == d:
                counts["identical"] += 1
            elif max(ne, nd) > 3 and max(ne, nd) > args.max_ratio * min(ne, nd):
                counts["ratio"] += 1
            elif key(e) in held_out or key(d) in held_out:
                counts["eval_overlap"] += 1
            elif (e, d) in seen:
                counts["duplicate"] += 1
            else:
                seen.add((e, d))
                kept.append((e, d))
        counts["kept"] = counts["read"] - sum(v for k, v in counts.items() if k != "read")
        report[corpus] = counts
        print(f"{corpus}: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))

    random.Random(args.seed).shuffle(kept)
    os.makedirs(args.out, exist_ok=True)
    write(os.path.join(args.out, "train.en.gz"), [e for e, _ in kept])
    write(os.path.join(args.out, "train.de.gz"), [d for _, d in kept])
    for lang in ("en", "de"):
        write(os.path.join(args.out, f"val.{lang}.gz"), read(os.path.join(args.data, "tatoeba-en-de", f"dev.{lang}.gz")))
    report["total_kept"] = len(kept)
    report["words"] = {"en": sum(len(e.split()) for e, _ in kept), "de": sum(len(d.split()) for _, d in kept)}
    report["settings"] = {"max_words": args.max_words, "max_ratio": args.max_ratio, "seed": args.seed}
    with open(os.path.join(args.out, "report.json"), "w") as f:
        json.dump(report, f, indent=1)
    print(f"kept {len(kept):,} pairs ({report['words']['en']:,} English, {report['words']['de']:,} German words) -> {args.out}")


if __name__ == "__main__":
    main()
