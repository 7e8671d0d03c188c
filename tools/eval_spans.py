#!/usr/bin/env python3
"""Protected spans on real-looking UI strings and chat messages (issue 13, measurement 4b).

Translates every line of eval/ui-strings.en through the C library (the Python binding), with
protected spans on and off, greedy and beam 4, and checks that each span listed for the line in
eval/ui-strings.spans (hand-checked: one line per input, spans separated by tabs) comes back
verbatim as many times as the input has it (once, unless the input repeats it). Prints the share
of lines with every span preserved per setting and the lines that lost one, and writes the
greedy outputs next to the input (eval/ui-strings.de with spans on, eval/ui-strings.nospans.de
with spans off) unless --no-write.

Then what the model should see in place of a span (--inserted N, default 300; 0 skips it): the
first N sentences of a set with references (eval/data/multi30k-test2016, the shipped model's
domain) get one span each (a placeholder, a URL, an e-mail address or an emoji, at a random word
boundary, seeded), and are translated greedy (a) with the span removed (the library's way), (b)
as they are, spans off, and (c) with the span replaced by a word the model might copy ("X"),
spans off. BLEU against the references of the output without the span (without the copied
word for (c)), next to the plain sentences' BLEU, says how much each way disturbs the rest of
the translation; for (c) also how often the word came through exactly once.

    make eval-spans                          # the shipped model
    make eval-spans EVAL_MODEL=path.gguf     # any model file

Runs from a clone: MNMT_LIBRARY names the built library (the make target sets it). Exits 1 when
a line loses a span with spans on.
"""

import argparse
import random
import sys
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))

import mobilenmt  # noqa: E402


def lost_spans(src: str, out: str, spans: Sequence[str]) -> List[str]:
    """The spans whose count in ``out`` differs from their count in ``src``."""
    return [s for s in dict.fromkeys(spans) if out.count(s) != src.count(s)]


INSERTED = ["{name}", "%s", "%1$d", "{{count}}", "https://example.com/a?b=1", "www.example.de",
            "info@example.org", "😀", "👍🏽", "🇩🇪"]


def strip_once(out: str, piece: str) -> str:
    """``out`` without one occurrence of ``piece``, spaces joined."""
    i = out.find(piece)
    if i < 0:
        return out
    return " ".join((out[:i] + " " + out[i + len(piece):]).split())


def model_input(t: "mobilenmt.Translator", src_path: Path, ref_path: Path, n: int) -> None:
    import sacrebleu

    srcs = src_path.read_text(encoding="utf-8").splitlines()[:n]
    refs = ref_path.read_text(encoding="utf-8").splitlines()[:n]
    rng = random.Random(13)
    spans, marked = [], []
    for s in srcs:
        words = s.split(" ")
        at = rng.randrange(len(words) + 1)
        span = rng.choice(INSERTED)
        spans.append(span)
        marked.append(" ".join(words[:at] + [span] + words[at:]))
    plain = t.translate(srcs)
    removed = t.translate(marked)
    raw = t.translate(marked, protect_spans=False)
    subst_src = [m.replace(sp, "X") for m, sp in zip(marked, spans)]
    subst = t.translate(subst_src, protect_spans=False)
    copied = sum(o.split().count("X") == 1 for o in subst)

    def bleu(hyps: List[str]) -> float:
        return float(sacrebleu.corpus_bleu(hyps, [refs]).score)

    print(f"\nwhat the model sees in place of a span: {n} sentences of {src_path.stem}, one span each")
    print(f"  plain sentences (no span)            BLEU {bleu(plain):5.1f}")
    print(f"  (a) span removed, put back (default) BLEU {bleu([strip_once(o, sp) for o, sp in zip(removed, spans)]):5.1f}"
          f"  span kept: {sum(o.count(sp) == 1 for o, sp in zip(removed, spans))}/{n}")
    print(f"  (b) span seen by the model (off)     BLEU {bleu([strip_once(o, sp) for o, sp in zip(raw, spans)]):5.1f}"
          f"  span kept: {sum(o.count(sp) == 1 for o, sp in zip(raw, spans))}/{n}")
    print(f"  (c) span replaced by \"X\" (off)       BLEU {bleu([strip_once(o, 'X') for o in subst]):5.1f}"
          f"  \"X\" copied once: {copied}/{n}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(ROOT / "models/mobilenmt-en-de/model-int8.gguf"))
    ap.add_argument("--input", default=str(ROOT / "eval/ui-strings.en"))
    ap.add_argument("--spans", default=str(ROOT / "eval/ui-strings.spans"))
    ap.add_argument("--no-write", action="store_true", help="do not rewrite the .de outputs")
    ap.add_argument("--inserted", type=int, default=300, help="sentences for the model-input comparison")
    ap.add_argument("--set", default=str(ROOT / "eval/data/multi30k-test2016"))
    args = ap.parse_args()

    lines = Path(args.input).read_text(encoding="utf-8").splitlines()
    spans = [l.split("\t") if l else [] for l in Path(args.spans).read_text(encoding="utf-8").splitlines()]
    if len(spans) != len(lines):
        print(f"{args.spans}: {len(spans)} lines for {len(lines)} inputs", file=sys.stderr)
        return 2
    for i, (src, want) in enumerate(zip(lines, spans)):
        missing = [s for s in want if s not in src]
        if missing:
            print(f"line {i + 1}: listed spans not in the input: {missing}", file=sys.stderr)
            return 2

    n_spans = sum(len(s) for s in spans)
    print(f"{Path(args.input).name}: {len(lines)} lines, {n_spans} spans; model {Path(args.model).name}")
    outputs: Dict[Tuple[bool, int], List[str]] = {}
    failed_on = 0
    with mobilenmt.Translator(args.model) as t:
        print(f"{'spans':<6} {'search':<7} {'lines with every span':>22} {'spans kept':>12}")
        for protect in (True, False):
            for beam in (1, 4):
                outs = [t.translate(l, protect_spans=protect, beam_size=beam) for l in lines]
                outputs[(protect, beam)] = outs
                bad = [
                    (i, lost_spans(src, out, want))
                    for i, (src, out, want) in enumerate(zip(lines, outs, spans))
                    if lost_spans(src, out, want)
                ]
                kept = n_spans - sum(
                    len([s for s in want if out.count(s) != src.count(s)])
                    for src, out, want in zip(lines, outs, spans)
                )
                ok = len(lines) - len(bad)
                name = "on" if protect else "off"
                search = "greedy" if beam == 1 else f"beam {beam}"
                print(
                    f"{name:<6} {search:<7} {ok:>10}/{len(lines)} ({100 * ok / len(lines):5.1f}%)"
                    f" {kept:>5}/{n_spans} ({100 * kept / n_spans:5.1f}%)"
                )
                if protect:
                    failed_on += len(bad)
                    for i, lost in bad:
                        print(f"  LOST line {i + 1}: {lost}: {outs[i]}")
        if args.inserted > 0:
            model_input(t, Path(args.set + ".en"), Path(args.set + ".de"), args.inserted)
    if not args.no_write:
        base = Path(args.input).with_suffix("")
        for protect, suffix in ((True, ".de"), (False, ".nospans.de")):
            path = base.parent / (base.name + suffix)
            path.write_text("\n".join(outputs[(protect, 1)]) + "\n", encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 1 if failed_on else 0


if __name__ == "__main__":
    sys.exit(main())
