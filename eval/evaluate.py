#!/usr/bin/env python3
"""BLEU and chrF of a mobilenmt model file on the committed evaluation sets, through the C library.

Each set's English side goes through the C example CLI (`mnmt-translate`, linked against the static
library) with greedy search and beam 4; sacrebleu scores the detokenized, cased output against the
German reference (BLEU with its default 13a tokenization, chrF with its defaults). Prints a markdown
table and writes the hypotheses and a JSON summary to --out.

Usage: evaluate.py --model MODEL.gguf [--cli build/examples/mnmt-translate] [--out build/eval/NAME]
                   [--sets tatoeba-dev,flores-dev,newstest2014-dev,multi30k-test2016] [--beams 1,4]
"""
import argparse
import json
import os
import subprocess
import sys
import time

import sacrebleu

HERE = os.path.dirname(os.path.abspath(__file__))
SETS = ("tatoeba-dev", "flores-dev", "newstest2014-dev", "multi30k-test2016")


def read(path):
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def run_cli(cli, model, beam, src_path, hyp_path):
    """Translate one file; returns seconds. --truncate: a sentence longer than the model's limit is
    cut rather than refused, so every line gets an output and the line count stays aligned."""
    t = time.time()
    with open(src_path, "rb") as fin, open(hyp_path, "wb") as fout:
        subprocess.run([cli, "-m", model, "-b", str(beam), "--truncate"], stdin=fin, stdout=fout, check=True)
    return time.time() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--cli", default="build/examples/mnmt-translate")
    ap.add_argument("--data", default=os.path.join(HERE, "data"))
    ap.add_argument("--out", default="")
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--beams", default="1,4")
    args = ap.parse_args()
    name = os.path.splitext(os.path.basename(args.model))[0]
    out = args.out or os.path.join("build", "eval", os.path.basename(os.path.dirname(os.path.abspath(args.model))) + "-" + name)
    os.makedirs(out, exist_ok=True)

    results = []
    for s in filter(None, args.sets.split(",")):
        src = os.path.join(args.data, f"{s}.en")
        refs = read(os.path.join(args.data, f"{s}.de"))
        for beam in (int(b) for b in args.beams.split(",")):
            hyp_path = os.path.join(out, f"{s}.b{beam}.de")
            secs = run_cli(args.cli, args.model, beam, src, hyp_path)
            hyps = read(hyp_path)
            if len(hyps) != len(refs):
                sys.exit(f"{s}: {len(hyps)} outputs for {len(refs)} references")
            bleu_m, chrf_m = sacrebleu.BLEU(), sacrebleu.CHRF()
            bleu, chrf = bleu_m.corpus_score(hyps, [refs]), chrf_m.corpus_score(hyps, [refs])
            results.append({"set": s, "beam": beam, "lines": len(refs), "bleu": round(bleu.score, 2),
                            "chrf": round(chrf.score, 2), "seconds": round(secs, 1),
                            "signatures": [str(bleu_m.get_signature()), str(chrf_m.get_signature())]})
            print(f"  {s} beam {beam}: BLEU {bleu.score:.2f} chrF {chrf.score:.2f} ({secs:.1f}s)", file=sys.stderr, flush=True)

    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump({"model": args.model, "sacrebleu": sacrebleu.__version__, "results": results}, f, indent=1)
    print(f"\n{args.model} (mobilenmt C library, sacrebleu {sacrebleu.__version__}, BLEU / chrF)\n")
    beams = sorted({r["beam"] for r in results})
    print("| set | lines | " + " | ".join(f"{'greedy' if b == 1 else f'beam {b}'} BLEU | chrF" for b in beams) + " |")
    print("|---|---:|" + "---:|---:|" * len(beams))
    for s in dict.fromkeys(r["set"] for r in results):
        row = {r["beam"]: r for r in results if r["set"] == s}
        lines = next(iter(row.values()))["lines"]
        print(f"| {s} | {lines} | " + " | ".join(f"{row[b]['bleu']:.2f} | {row[b]['chrf']:.2f}" for b in beams) + " |")


if __name__ == "__main__":
    main()
