#!/usr/bin/env python3
"""Encode throughput of Python `sentencepiece` (and MarianTokenizer) on Multi30k lines.

Writes the lines it measured to --write-lines so that the Rust side (`cargo bench --bench
tokenizer -- FILE`) encodes exactly the same text; `make bench-tokenizer` runs both.
MB/s counts input UTF-8 bytes, single thread, best of --passes passes.

Usage: bench_tokenizer.py [--data ../shared/data/multi30k] [--model tests/data/tiny-swish]
       [--files train.en,train.de] [--write-lines target/bench-tokenizer-lines.txt]
"""
import argparse
import gzip
import os
import time
import warnings

import sentencepiece as spm


def best_rate(nbytes, passes, fn):
    fn()
    best = 0.0
    for _ in range(passes):
        t = time.perf_counter()
        fn()
        best = max(best, nbytes / 1e6 / (time.perf_counter() - t))
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="../shared/data/multi30k")
    ap.add_argument("--model", default="tests/data/tiny-swish")
    ap.add_argument("--files", default="train.en,train.de")
    ap.add_argument("--write-lines", default="target/bench-tokenizer-lines.txt")
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--marian", action="store_true", help="also time MarianTokenizer (slow)")
    args = ap.parse_args()

    lines = []
    for name in args.files.split(","):
        with gzip.open(os.path.join(args.data, f"{name}.gz"), "rt", encoding="utf-8") as f:
            lines.extend(line.rstrip("\n") for line in f)
    nbytes = sum(len(line.encode("utf-8")) for line in lines)
    os.makedirs(os.path.dirname(args.write_lines) or ".", exist_ok=True)
    with open(args.write_lines, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")

    sp = spm.SentencePieceProcessor(model_file=os.path.join(args.model, "source.spm"))
    per_line = best_rate(nbytes, args.passes, lambda: [sp.encode(line) for line in lines])
    batch = best_rate(nbytes, args.passes, lambda: sp.encode(lines, num_threads=1))
    print(f"python sentencepiece {spm.__version__}: {len(lines)} lines, {nbytes / 1e6:.2f} MB, model {args.model}")
    print(f"python sp.encode(line) per line:         {per_line:8.2f} MB/s")
    print(f"python sp.encode(lines, num_threads=1):  {batch:8.2f} MB/s")
    if args.marian:
        warnings.filterwarnings("ignore")
        from transformers import MarianTokenizer

        tok = MarianTokenizer(
            os.path.join(args.model, "source.spm"),
            os.path.join(args.model, "target.spm"),
            os.path.join(args.model, "vocab.json"),
        )
        marian = best_rate(nbytes, 1, lambda: [tok(line)["input_ids"] for line in lines])
        print(f"python MarianTokenizer(line) per line:   {marian:8.2f} MB/s")
    print(f"lines written to {args.write_lines}")


if __name__ == "__main__":
    main()
