#!/usr/bin/env python3
"""Markup through translation, measured on FLORES dev (issue 13, measurement 4a).

Takes the first N (500) sentences of eval/data/flores-dev.en, and for each one, seeded: wraps 1-3
random word spans (1-3 words, disjoint) in inline tags (<b>, <i>, <em>, <strong>,
<a href="...&amp;...">, <span class="...">) and inserts 0-2 placeholders or URLs ({name}, {0},
%s, %d, %1$s, https://...) between words; the text itself is HTML-escaped. It translates the
tagged sentences with html=True and the plain sentences without, through the C library via the
Python binding (greedy, the library's defaults otherwise), and reports:

- well-formed: every tag of the input in the output exactly once and the nesting valid (the
  tags this script inserted are the only markup), and every placeholder/URL exactly once;
- BLEU (sacrebleu, 13a) against eval/data/flores-dev.de of the tagged output with its tags and
  inserted spans removed and entities decoded, next to the plain translation's BLEU;
- a sample of 50 tagged sentences (source, output, plain translation) written to
  OUT/sample.md for hand-checking whether each tag wraps the translation of the words it
  wrapped; that judgement is made by a person reading the sample, not by this script.

The numbers depend on the model: rerun after the model changes. Prints a markdown table and
writes OUT/summary.json, OUT/outputs.tsv and OUT/sample.md.

Usage: eval_markup.py --model MODEL.gguf [--n 500] [--seed 13] [--sample 50] [--out DIR]
"""
import argparse
import collections
import html
import json
import os
import random
import re
import sys
import time

import sacrebleu

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "python"))
import mobilenmt  # noqa: E402

TAGS = [
    ("<b>", "</b>"),
    ("<i>", "</i>"),
    ("<em>", "</em>"),
    ("<strong>", "</strong>"),
    ('<a href="https://example.com/p?id={n}&amp;lang=de" title="Link {n}">', "</a>"),
    ('<span class="hl-{n}" data-k=\'v\'>', "</span>"),
]
SPANS = ["{name}", "{0}", "%s", "%d", "%1$s", "{{count}}", "https://example.org/a/{n}?q=1", "www.example.net/{n}"]
TAG_RE = re.compile(r"<[^<>]*>")


def read(path, n):
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f][:n]


def make_case(sentence, rng, n):
    """The tagged HTML source, its tags and its inserted spans."""
    words = sentence.split(" ")
    k = rng.randint(1, min(3, len(words)))
    # Disjoint word spans: pick start positions, then lengths that do not run into the next.
    starts = sorted(rng.sample(range(len(words)), k))
    spans = []
    for j, s in enumerate(starts):
        limit = (starts[j + 1] if j + 1 < len(starts) else len(words)) - s
        spans.append((s, s + rng.randint(1, min(3, limit))))
    opens, closes = collections.defaultdict(list), collections.defaultdict(list)
    tags = []
    for s, e in spans:
        o, c = rng.choice(TAGS)
        o = o.replace("{n}", str(n))
        opens[s].append(o)
        closes[e - 1].append(c)
        tags += [o, c]
    inserts = collections.defaultdict(list)
    placed = []
    for _ in range(rng.randint(0, 2)):
        sp = rng.choice(SPANS).replace("{n}", str(n))
        inserts[rng.randint(0, len(words))].append(sp)
        placed.append(sp)
    out = []
    for i, w in enumerate(words):
        out.extend(inserts.get(i, []))
        out.append("".join(opens[i]) + html.escape(w, quote=False) + "".join(closes[i]))
    out.extend(inserts.get(len(words), []))
    return " ".join(out), tags, placed


def well_formed(src_tags, out, spans):
    """(tags once, nesting valid, spans once) for one output."""
    found = TAG_RE.findall(out)
    tags_once = collections.Counter(found) == collections.Counter(src_tags)
    stack, nested = [], True
    for t in found:
        if t.startswith("</"):
            name = t[2:-1]
            if not stack or stack.pop() != name:
                nested = False
        else:
            stack.append(re.match(r"<([a-z]+)", t).group(1))
    nested = nested and not stack
    text = html.unescape(TAG_RE.sub("", out))
    spans_once = all(text.count(s) == spans.count(s) for s in spans)
    return tags_once, nested, spans_once


def strip(out, spans):
    """The output's text: tags and the inserted spans removed, entities decoded, spaces joined."""
    text = html.unescape(TAG_RE.sub("", out))
    for s in sorted(set(spans), key=len, reverse=True):
        text = text.replace(s, " ")
    return " ".join(text.split())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", default=os.path.join(ROOT, "eval", "data"))
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--sample", type=int, default=50)
    ap.add_argument("--out", default=os.path.join("build", "eval-markup"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    src = read(os.path.join(args.data, "flores-dev.en"), args.n)
    refs = read(os.path.join(args.data, "flores-dev.de"), args.n)
    rng = random.Random(args.seed)
    cases = [make_case(s, rng, i) for i, s in enumerate(src)]

    t = mobilenmt.Translator(args.model)
    t0 = time.time()
    plain = t.translate(src)
    t1 = time.time()
    tagged = t.translate([c[0] for c in cases], html=True)
    t2 = time.time()

    ok = collections.Counter()
    bad = []
    for i, ((page, tags, spans), out) in enumerate(zip(cases, tagged)):
        tags_once, nested, spans_once = well_formed(tags, out, spans)
        ok["tags_once"] += tags_once
        ok["nested"] += nested
        ok["spans_once"] += spans_once
        ok["all"] += tags_once and nested and spans_once
        if not (tags_once and nested and spans_once):
            bad.append(i)
    stripped = [strip(o, c[2]) for o, c in zip(tagged, cases)]
    bleu_plain = sacrebleu.corpus_bleu(plain, [refs]).score
    bleu_tagged = sacrebleu.corpus_bleu(stripped, [refs]).score
    n = len(cases)
    summary = {
        "model": args.model,
        "sentences": n,
        "seed": args.seed,
        "tags": sum(len(c[1]) // 2 for c in cases),
        "spans": sum(len(c[2]) for c in cases),
        "well_formed_pct": 100.0 * ok["all"] / n,
        "tags_once_pct": 100.0 * ok["tags_once"] / n,
        "nested_pct": 100.0 * ok["nested"] / n,
        "spans_once_pct": 100.0 * ok["spans_once"] / n,
        "bleu_plain": round(bleu_plain, 2),
        "bleu_tagged_stripped": round(bleu_tagged, 2),
        "bleu_delta": round(bleu_tagged - bleu_plain, 2),
        "seconds_plain": round(t1 - t0, 2),
        "seconds_html": round(t2 - t1, 2),
        "failures": bad[:20],
    }
    with open(os.path.join(args.out, "summary.json"), "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2)
    with open(os.path.join(args.out, "outputs.tsv"), "w", encoding="utf-8") as f:
        for (page, _, _), out, p in zip(cases, tagged, plain):
            f.write(f"{page}\t{out}\t{p}\n")
    sample = random.Random(args.seed + 1).sample(range(n), min(args.sample, n))
    with open(os.path.join(args.out, "sample.md"), "w", encoding="utf-8") as f:
        f.write("# Tagged FLORES sentences for hand-checking\n\n")
        f.write("For each tag: does it wrap the translation of the words it wrapped?\n\n")
        for i in sorted(sample):
            f.write(f"## {i}\n\n- source: `{cases[i][0]}`\n- output: `{tagged[i]}`\n- plain:  `{plain[i]}`\n\n")

    print("| measure | value |\n|---|---|")
    for k in ("sentences", "tags", "spans", "well_formed_pct", "tags_once_pct", "nested_pct",
              "spans_once_pct", "bleu_plain", "bleu_tagged_stripped", "bleu_delta",
              "seconds_plain", "seconds_html"):
        print(f"| {k} | {summary[k]} |")
    print(f"\nsample for hand-checking: {os.path.join(args.out, 'sample.md')}")
    return 0 if ok["all"] == n else 1


if __name__ == "__main__":
    sys.exit(main())
