#!/usr/bin/env python3
"""Build a vocabulary shortlist from a parallel corpus (stored in the model file by convert.py).

A shortlist gives, for every source token, the target tokens likely to appear in a translation
of a sentence that contains it, plus target tokens that are always allowed (the most frequent
ones). At run time the decoder computes logits only for the union over the sentence's source
tokens. Layout and validation rules: docs/model-format.md, "Vocabulary shortlist".

Method: IBM Model 1 (Brown et al., 1993) on the token ids the model itself sees (SentencePiece
pieces mapped through vocab.json), with a NULL source token, a few EM iterations from uniform.
Each source token keeps its `top_k` targets by the translation probability t(target | source)
above `min_prob`, plus, when the vocabulary is shared, itself (names, numbers and punctuation
are copied). This is Bergamot's lexical shortlist (fast_align's IBM-2-like model, top-k of
p(t|s), plus the most frequent targets) without its alignment tool: Model 1 gives the same
lexical table up to the position prior, which only sharpens alignments and barely changes a
top-k list, and it is a few numpy lines. Co-occurrence counts alone rank frequent targets
(articles, punctuation) first for every source token; EM explains those away by the tokens
that really produce them.

The corpus can be a reference corpus or, better for a distilled or small model, the model's own
translations of the training sources: the shortlist then covers what the decoder generates.

    shortlist.py coverage HF_DIR TRAIN_SRC TRAIN_TGT TEST_SRC HYP [HYP...] [--k 10,20,50] ...

measures average candidate-set sizes and the share of hypothesis tokens inside the set for a
few settings (see --help). Needs numpy; reading text needs sentencepiece (build and coverage).
"""
import argparse
import gzip
import json
import os
import sys
import time

import numpy as np

SHORTLIST_VERSION = 1


# ---------------------------------------------------------------------------------------------
# reading a corpus as model ids


def read_lines(path, limit=0):
    opener = gzip.open if path.endswith(".gz") else open
    out = []
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            out.append(line.rstrip("\n"))
            if limit and len(out) >= limit:
                break
    return out


class Encoder:
    """Text to Marian ids, as the engine's tokenizer does (pieces through vocab.json, unknown
    pieces to <unk>; no </s>)."""

    def __init__(self, hf_dir, side):
        try:
            import sentencepiece  # noqa: PLC0415 - only needed for text input
        except ImportError as e:  # pragma: no cover - explained to the user
            raise SystemExit("reading text needs the sentencepiece package (tools/requirements-train.txt)") from e
        spm = os.path.join(hf_dir, f"{side}.spm")
        self.sp = sentencepiece.SentencePieceProcessor(model_file=spm)
        vocab_file = "vocab.json"
        if side == "target" and os.path.exists(os.path.join(hf_dir, "target_vocab.json")):
            vocab_file = "target_vocab.json"
        with open(os.path.join(hf_dir, vocab_file), encoding="utf-8") as f:
            self.vocab = json.load(f)
        self.unk = self.vocab["<unk>"]
        self.size = len(self.vocab)

    def encode(self, lines):
        v, unk = self.vocab, self.unk
        return [np.array([v.get(p, unk) for p in pieces], dtype=np.int64)
                for pieces in self.sp.encode(lines, out_type=str)]


# ---------------------------------------------------------------------------------------------
# IBM Model 1


def ibm1(src, tgt, v_src, v_tgt, iterations=5):
    """EM for t(target | source) over sentence pairs of id arrays. A NULL token (id v_src) is
    added to every source sentence. Returns (source ids, target ids, probabilities) of every
    pair that co-occurs, sorted by (source, target)."""
    if len(src) != len(tgt):
        raise ValueError(f"{len(src)} source and {len(tgt)} target sentences")
    keys, groups = [], []
    g = 0
    for s, t in zip(src, tgt):
        if len(t) == 0:
            continue
        s = np.append(s, v_src)  # NULL
        # every (source i, target j) pair; the group is the target position (sentence, j).
        keys.append((s[:, None] * v_tgt + t[None, :]).ravel())
        groups.append(np.broadcast_to(np.arange(g, g + len(t))[None, :], (len(s), len(t))).ravel())
        g += len(t)
    if not keys:
        raise ValueError("the corpus has no target tokens")
    keys = np.concatenate(keys)
    groups = np.concatenate(groups)
    uniq, pair = np.unique(keys, return_inverse=True)
    src_of = uniq // v_tgt
    prob = np.ones(len(uniq))  # uniform start: the first E-step counts fractional co-occurrence
    for _ in range(iterations):
        p = prob[pair]
        denom = np.bincount(groups, weights=p, minlength=g)
        count = np.bincount(pair, weights=p / denom[groups], minlength=len(uniq))
        total = np.bincount(src_of, weights=count, minlength=v_src + 1)
        prob = count / total[src_of]
    return src_of, uniq % v_tgt, prob


# ---------------------------------------------------------------------------------------------
# the shortlist


def build(src_ids, tgt_ids, prob, v_src, v_tgt, top_k, min_prob, frequent, copy, forbidden):
    """Per source token (0..v_src-1) its `top_k` targets by probability (>= min_prob), plus
    itself when `copy` (shared vocabulary); `frequent` is the always-allowed list. Forbidden
    ids are dropped everywhere. Returns (offsets, targets, frequent) as numpy arrays, every
    list sorted by id without duplicates."""
    forbidden = np.asarray(sorted(set(forbidden)), dtype=np.int64)
    keep = (src_ids < v_src) & (prob >= min_prob) & ~np.isin(tgt_ids, forbidden)
    s, t, p = src_ids[keep], tgt_ids[keep], prob[keep]
    # rank within each source token by descending probability (ties: lower id first)
    order = np.lexsort((t, -p, s))
    s, t = s[order], t[order]
    starts = np.searchsorted(s, np.arange(v_src))
    rank = np.arange(len(s)) - starts[s]
    s, t = s[rank < top_k], t[rank < top_k]
    if copy:
        ids = np.arange(v_src)
        ok = (ids < v_tgt) & ~np.isin(ids, forbidden)
        s = np.concatenate([s, ids[ok]])
        t = np.concatenate([t, ids[ok]])
    pairs = np.unique(s * v_tgt + t)  # sorted by (source, target), duplicates gone
    s, t = pairs // v_tgt, pairs % v_tgt
    offsets = np.zeros(v_src + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(np.bincount(s, minlength=v_src))
    freq = np.setdiff1d(np.unique(np.asarray(frequent, dtype=np.int64)), forbidden)
    return offsets, t, freq


def most_frequent(tgt, v_tgt, n, always=()):
    """The `n` most frequent target ids in the corpus, plus `always`."""
    counts = np.bincount(np.concatenate(tgt) if tgt else np.zeros(0, np.int64), minlength=v_tgt)
    top = np.argsort(-counts, kind="stable")[:n]
    return np.union1d(top[counts[top] > 0], np.asarray(list(always), dtype=np.int64))


def make(src, tgt, v_src, v_tgt, top_k=50, frequent_n=100, min_prob=1e-3, iterations=5, copy=True,
         eos=0, unk=1, forbidden=()):
    """Everything from id arrays: Model 1, the lists and the frequent set (with </s> and <unk>)."""
    s, t, p = ibm1(src, tgt, v_src, v_tgt, iterations)
    freq = most_frequent(tgt, v_tgt, frequent_n, always=(eos, unk))
    return build(s, t, p, v_src, v_tgt, top_k, min_prob, freq, copy, forbidden)


def check(offsets, targets, frequent, v_src, v_tgt):
    """The rules the engine validates at load (docs/model-format.md), checked before writing."""
    assert len(offsets) == v_src + 1 and offsets[0] == 0 and offsets[-1] == len(targets)
    assert np.all(np.diff(offsets) >= 0)
    assert len(frequent) > 0 and np.all(np.diff(frequent) > 0) and frequent[-1] < v_tgt
    if len(targets):
        assert targets.min() >= 0 and targets.max() < v_tgt
        same = np.repeat(np.arange(v_src), np.diff(offsets))
        step = np.diff(targets)
        assert np.all((step > 0) | (np.diff(same) > 0)), "lists must be strictly increasing"


def add_to_gguf(writer, offsets, targets, frequent, v_src, v_tgt, method=""):
    """Writes the shortlist keys (u16 ids when the target vocabulary allows, else u32)."""
    import gguf  # noqa: PLC0415 - convert.py's dependency; not needed to build or measure

    check(offsets, targets, frequent, v_src, v_tgt)
    if len(targets) == 0:
        raise ValueError("the shortlist is empty (GGUF arrays cannot be empty)")
    u = gguf.GGUFValueType
    ids = u.UINT16 if v_tgt <= 65536 else u.UINT32
    writer.add_uint32("shortlist.version", SHORTLIST_VERSION)
    writer.add_key_value("shortlist.offsets", offsets.astype(np.uint32).tolist(), u.ARRAY, sub_type=u.UINT32)
    writer.add_key_value("shortlist.targets", targets.tolist(), u.ARRAY, sub_type=ids)
    writer.add_key_value("shortlist.frequent", frequent.tolist(), u.ARRAY, sub_type=ids)
    if method:
        writer.add_string("shortlist.method", method)
    return 4 * (v_src + 1) + (2 if ids == u.UINT16 else 4) * (len(targets) + len(frequent))


def from_corpus(hf_dir, src_path, tgt_path, v_src, v_tgt, eos, forbidden, top_k=50, frequent_n=100,
                min_prob=1e-3, iterations=5, limit=0):
    """Reads and encodes a parallel corpus, then `make`; returns (offsets, targets, frequent, method)."""
    src_enc, tgt_enc = Encoder(hf_dir, "source"), Encoder(hf_dir, "target")
    src = src_enc.encode(read_lines(src_path, limit))
    tgt = tgt_enc.encode(read_lines(tgt_path, limit))
    copy = src_enc.vocab == tgt_enc.vocab
    off, tg, fr = make(src, tgt, v_src, v_tgt, top_k, frequent_n, min_prob, iterations, copy,
                       eos=eos, unk=tgt_enc.unk, forbidden=forbidden)
    corpus = f"{os.path.basename(src_path)}+{os.path.basename(tgt_path)} ({len(src)} pairs)"
    return off, tg, fr, describe(top_k, frequent_n, min_prob, iterations, copy, corpus)


def describe(top_k, frequent_n, min_prob, iterations, copy, corpus):
    return (f"ibm1 iterations={iterations} top_k={top_k} min_prob={min_prob:g} frequent={frequent_n} "
            f"copy={'yes' if copy else 'no'} corpus={corpus}")


def candidate_set(offsets, targets, frequent, eos, forbidden, src):
    """The engine's candidate set of one sentence (Shortlist::candidates), as a sorted array."""
    parts = [frequent, [eos]] + [targets[offsets[s]:offsets[s + 1]] for s in src]
    return np.setdiff1d(np.unique(np.concatenate(parts)), forbidden)


# ---------------------------------------------------------------------------------------------
# command line


def coverage(args):
    src_enc = Encoder(args.hf_dir, "source")
    tgt_enc = Encoder(args.hf_dir, "target")
    with open(os.path.join(args.hf_dir, "config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    eos, pad = cfg["eos_token_id"], cfg["pad_token_id"]
    t0 = time.time()
    train_src = src_enc.encode(read_lines(args.train_src, args.limit))
    train_tgt = tgt_enc.encode(read_lines(args.train_tgt, args.limit))
    test_src = src_enc.encode(read_lines(args.test_src))
    hyps = {os.path.basename(h): tgt_enc.encode(read_lines(h)) for h in args.hyp}
    v_src, v_tgt = src_enc.size, tgt_enc.size
    s, t, p = ibm1(train_src, train_tgt, v_src, v_tgt, args.iterations)
    print(f"# coverage: Model 1 on {len(train_src)} pairs ({args.train_tgt}), {args.iterations} iterations, "
          f"{len(s)} co-occurring pairs, {time.time() - t0:.1f} s; {len(test_src)} test sentences")
    print()
    names = list(hyps)
    print("| top_k | frequent | copy | entries | bytes | mean set | max set | "
          + " | ".join(f"{n}: tokens in set | {n}: sentences fully in set" for n in names) + " |")
    print("|" + "---:|" * (7 + 2 * len(names)))
    for k in args.k:
        for n in args.frequent:
            for copy in (True, False) if args.both_copy else (True,):
                freq = most_frequent(train_tgt, v_tgt, n, always=(eos, tgt_enc.unk))
                off, tg, fr = build(s, t, p, v_src, v_tgt, k, args.min_prob, freq, copy, [pad])
                size = 4 * (v_src + 1) + (2 if v_tgt <= 65536 else 4) * (len(tg) + len(fr))
                sets = [candidate_set(off, tg, fr, eos, [pad], x) for x in test_src]
                cells = []
                for name in names:
                    inside = total = full = 0
                    for cs, h in zip(sets, hyps[name]):
                        hit = np.isin(np.append(h, eos), cs)
                        inside += hit.sum()
                        total += len(hit)
                        full += bool(hit.all())
                    cells += [f"{100 * inside / total:.2f}%", f"{100 * full / len(sets):.1f}%"]
                lens = [len(x) for x in sets]
                print(f"| {k} | {n} | {'yes' if copy else 'no'} | {len(tg):,} | {size:,} | {np.mean(lens):.0f} | "
                      f"{max(lens)} | " + " | ".join(cells) + " |")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("coverage", help="candidate-set size and coverage of hypotheses for several settings")
    c.add_argument("hf_dir")
    c.add_argument("train_src")
    c.add_argument("train_tgt")
    c.add_argument("test_src")
    c.add_argument("hyp", nargs="+", help="target-side files line-aligned with test_src (references, model output)")
    ints = lambda s: [int(x) for x in s.split(",")]  # noqa: E731
    c.add_argument("--k", type=ints, default=[10, 20, 30, 50, 100])
    c.add_argument("--frequent", type=ints, default=[100])
    c.add_argument("--min-prob", type=float, default=1e-3)
    c.add_argument("--iterations", type=int, default=5)
    c.add_argument("--limit", type=int, default=0, help="use the first N training pairs")
    c.add_argument("--both-copy", action="store_true", help="also without the copy candidates")
    args = ap.parse_args(argv)
    if args.cmd == "coverage":
        coverage(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
