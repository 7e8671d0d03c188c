#!/usr/bin/env python3
"""Quality gate of a model file's vocabulary shortlist: BLEU with and without it, greedy and
beam 4, on line-aligned test sets, through the C command-line translator (the library as apps
use it). Also prints each run's wall time (the whole file, one process, interleaved on/off).

    tools/shortlist_gate.py [--cli build/examples/mnmt-translate] [--max-drop 0.2]
        MODEL.gguf SRC1 REF1 [SRC2 REF2 ...]

Exits 1 when any set loses more than --max-drop BLEU with the shortlist (the gate of
docs/model-format.md, "Vocabulary shortlist"). Needs sacrebleu (tools/requirements-train.txt).
"""

import argparse
import gzip
import os
import subprocess
import sys
import tempfile
import time


def read(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def translate(cli, model, src_file, beam, shortlist):
    cmd = [cli, "-m", model, "-b", str(beam), "--lines", "--truncate"]
    if not shortlist:
        cmd.append("--no-shortlist")
    cmd.append(src_file)
    t0 = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return out.rstrip("\n").split("\n"), time.perf_counter() - t0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cli", default="build/examples/mnmt-translate")
    ap.add_argument("--max-drop", type=float, default=0.2)
    ap.add_argument("model")
    ap.add_argument("pairs", nargs="+", help="SRC REF file pairs (text or .gz)")
    args = ap.parse_args(argv)
    if len(args.pairs) % 2:
        ap.error("test sets come as SRC REF pairs")
    import sacrebleu  # noqa: PLC0415

    failed = False
    print(f"{'set':<24} {'mode':<7} {'lines':>5} {'BLEU full':>9} {'BLEU SL':>8} {'delta':>6} "
          f"{'same out':>8} {'s full':>7} {'s SL':>6} {'speed-up':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for src, ref in zip(args.pairs[::2], args.pairs[1::2]):
            lines, refs = read(src), read(ref)
            if len(lines) != len(refs):
                sys.exit(f"{src} and {ref} differ in length")
            plain = os.path.join(tmp, "src.txt")
            with open(plain, "w", encoding="utf-8") as f:
                f.write("\n".join(lines) + "\n")
            name = os.path.basename(src)
            for beam in (1, 4):
                full, t_full = translate(args.cli, args.model, plain, beam, False)
                short, t_short = translate(args.cli, args.model, plain, beam, True)
                b_full = sacrebleu.corpus_bleu(full, [refs]).score
                b_short = sacrebleu.corpus_bleu(short, [refs]).score
                same = sum(a == b for a, b in zip(full, short))
                delta = b_short - b_full
                failed |= delta < -args.max_drop
                mode = "greedy" if beam == 1 else f"beam{beam}"
                print(f"{name:<24} {mode:<7} {len(lines):>5} {b_full:>9.2f} {b_short:>8.2f} {delta:>+6.2f} "
                      f"{same:>8} {t_full:>7.2f} {t_short:>6.2f} {t_full / t_short:>7.2f}x", flush=True)
    print("gate:", "FAILED" if failed else "passed", f"(BLEU loss at most {args.max_drop} on every set)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
