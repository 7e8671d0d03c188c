#!/usr/bin/env python3
"""How mobilenmt scales to the models users convert: an OPUS-MT-sized Marian model (d_model 512,
6 + 6 layers, 8 heads, FFN 2048, 58,101-word shared vocabulary, swish, tied embeddings; 74M
parameters) with random weights, decoded for exactly 20 steps by both engines, against the floor
the kernels allow.

    opus_sized.py make  OUT_DIR                 # random HF Marian model (transformers + torch)
    opus_sized.py ct2   --model CT2_DIR --hf HF_DIR -i SRC --limit N --threads T -j OUT.json
    opus_sized.py floor --hf HF_DIR -i SRC --limit N --kernels KERNELS.txt [-j OUT.json]
    opus_sized.py report RESULT.json...         # the markdown table

Forced length. CTranslate2 decodes with min_decoding_length = max_decoding_length = 20. mobilenmt
has no minimum-length option; bench/mnmt_bench.c's `--max-len 20` sets max_length_a 0 and
max_length_b 20, which caps decoding at 20 steps (the 20th step's logits are computed, then
`</s>` is forced). So that neither engine stops early, the random model's `final_logits_bias`
of `</s>` is -1e4, far below any logit random weights produce: `</s>` is never the best token
and every sentence takes exactly 20 decoder steps on both engines (the ct2 runner checks the
hypothesis lengths). The tokens are random, so BLEU means nothing here; only time does.

The floor. Per sentence of S source tokens and T = 20 steps, the INT8 GEMMs do
    encoder  S * L_enc * (4 d^2 + 2 d F)
    decoder  T * L_dec * (4 d^2 + 2 d^2 + 2 d F)  (self-attention, cross Q/O, FFN)
             + S * L_dec * 2 d^2                 (cross-attention K/V, once per sentence)
    output   T * V * d                           (the vocabulary projection)
multiply-accumulates. The compute floor is that count divided by the kernel's best measured
rate (`make bench-kernels`, the largest GMAC/s in its table); the memory floor is the weight
bytes a greedy step must stream (every decoder matrix and the output projection, INT8, once per
step, since 55 MB do not stay in cache; the encoder's once per sentence) divided by the measured
DRAM read bandwidth. The floor is the larger of the two.
"""
import argparse
import json
import os
import re
import resource
import shutil
import statistics
import sys
import time

D, LAYERS, HEADS, FFN, VOCAB, STEPS = 512, 6, 8, 2048, 58101, 20
EOS_BIAS = -1e4


def make(args):
    import torch
    from transformers import MarianConfig, MarianMTModel

    torch.manual_seed(0)
    shipped = args.tokenizer_from
    out = args.out_dir
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(shipped, "vocab.json"), encoding="utf-8") as f:
        base = json.load(f)
    # The shipped SentencePiece model and its 8,000 pieces keep their ids; the rest of the
    # 58,101-word vocabulary are placeholder pieces the tokenizer never produces (the decoder
    # still scores all of them every step, which is what is measured).
    vocab = dict(base)
    i = 0
    while len(vocab) < VOCAB:
        vocab.setdefault(f"<extra_{i}>", len(vocab))
        i += 1
    pad, eos = vocab["<pad>"], vocab["</s>"]
    cfg = MarianConfig(
        vocab_size=VOCAB, decoder_vocab_size=VOCAB, d_model=D, encoder_layers=LAYERS, decoder_layers=LAYERS,
        encoder_attention_heads=HEADS, decoder_attention_heads=HEADS, encoder_ffn_dim=FFN,
        decoder_ffn_dim=FFN, activation_function="swish", max_position_embeddings=512, scale_embedding=True,
        pad_token_id=pad, eos_token_id=eos, decoder_start_token_id=pad, forced_eos_token_id=eos,
        share_encoder_decoder_embeddings=True, tie_word_embeddings=True, bad_words_ids=[[pad]],
    )
    model = MarianMTModel(cfg).eval()
    with torch.no_grad():
        bias = model.final_logits_bias
        bias.zero_()
        bias[0, eos] = EOS_BIAS
    model.save_pretrained(out, safe_serialization=True)
    with open(os.path.join(out, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    for name in ("source.spm", "target.spm", "tokenizer_config.json"):
        shutil.copy(os.path.join(shipped, name), os.path.join(out, name))
    n = sum(p.numel() for p in model.parameters())
    print(f"wrote {out}: {n:,} parameters, </s> bias {EOS_BIAS}", file=sys.stderr)


def read_src(path, limit):
    with open(path, encoding="utf-8") as f:
        lines = [line.rstrip("\n") for line in f]
    return lines[:limit] if limit else lines


def ct2(args):
    import ctranslate2
    import sentencepiece

    src = read_src(args.input, args.limit)
    sp = sentencepiece.SentencePieceProcessor(model_file=os.path.join(args.hf, "source.spm"))
    tr = ctranslate2.Translator(args.model, device="cpu", compute_type="int8", inter_threads=1,
                                intra_threads=args.threads)
    toks = [sp.encode(t, out_type=str) + ["</s>"] for t in src]
    opts = dict(beam_size=args.beam, min_decoding_length=STEPS, max_decoding_length=STEPS,
                suppress_sequences=[["<pad>"]])
    tr.translate_batch(toks[:1], **opts)  # warm-up
    lat, cpu = [], []
    for t in toks:
        c0, t0 = time.process_time(), time.perf_counter()
        res = tr.translate_batch([t], **opts)
        lat.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)
        n = len(res[0].hypotheses[0])
        if n != STEPS:
            sys.exit(f"CTranslate2 produced {n} tokens, not {STEPS}: the forced length failed")
    write(args.json, {"engine": "ctranslate2", "name": "CTranslate2 INT8",
                      "threads": args.threads, "beam": args.beam, "version": ctranslate2.__version__,
                      "sentences": len(src), "latencies_ms": lat, "cpu_latencies_ms": cpu,
                      "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss})


def macs(s, vocab=VOCAB):
    """INT8 multiply-accumulates for one sentence of `s` source tokens (with </s>), greedy, with
    `vocab` output rows (a shortlist's candidate set instead of the vocabulary)."""
    enc = s * LAYERS * (4 * D * D + 2 * D * FFN)
    dec = STEPS * LAYERS * (6 * D * D + 2 * D * FFN) + s * LAYERS * 2 * D * D
    out = STEPS * vocab * D
    return enc, dec, out


def step_bytes(vocab=VOCAB):
    """INT8 weight bytes one greedy step streams: decoder matrices (cross K/V excluded, they are
    used once per sentence) and the output projection's `vocab` rows; rows are padded to 64
    bytes (512 is)."""
    return LAYERS * (6 * D * D + 2 * D * FFN) + vocab * D


def parse_kernels(path):
    text = open(path, encoding="utf-8").read()
    bw = float(re.search(r"read bandwidth, 1 GiB stream: ([\d.]+) GB/s", text).group(1))
    best = 0.0
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) > 6 and cells[0].isdigit():
            rates = [float(c) for c in cells[5:-2]]  # the per-ISA GMAC/s columns
            best = max(best, max(rates))
    return bw, best


def floor(args):
    import sentencepiece

    sp = sentencepiece.SentencePieceProcessor(model_file=os.path.join(args.hf, "source.spm"))
    lens = [len(sp.encode(t)) + 1 for t in read_src(args.input, args.limit)]
    bw, peak = parse_kernels(args.kernels)

    def floors(vocab):
        per = []
        for s in lens:
            e, d, o = macs(s, vocab)
            compute_ms = (e + d + o) / (peak * 1e9) * 1e3
            enc_bytes = LAYERS * (4 * D * D + 2 * D * FFN) + LAYERS * 2 * D * D
            memory_ms = (STEPS * step_bytes(vocab) + enc_bytes) / (bw * 1e9) * 1e3
            per.append((e + d + o, compute_ms, memory_ms))
        return {
            "macs_median": statistics.median(p[0] for p in per),
            "compute_floor_ms_median": statistics.median(p[1] for p in per),
            "memory_floor_ms_median": statistics.median(p[2] for p in per),
            "floor_ms_median": statistics.median(max(p[1], p[2]) for p in per),
            "step_weight_mb": step_bytes(vocab) / 1e6,
        }

    res = {
        "engine": "floor", "name": "floor", "sentences": len(lens),
        "mean_source_tokens": statistics.mean(lens), "peak_gmacs": peak, "bandwidth_gbs": bw,
        **floors(VOCAB),
    }
    if args.candidates:
        res["shortlist"] = {"candidates": args.candidates, **floors(args.candidates)}
    write(args.json, res)


def write(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1)
    print(f"wrote {path}", file=sys.stderr)


def p90(v):
    s = sorted(v)
    return s[max(0, -(-9 * len(s) // 10) - 1)]


def report(args):
    """One row per engine, name and thread count, pooling the rounds; ratios to CTranslate2 with
    one thread and to the floor (the shortlist's own floor for a shortlist run)."""
    rows, fl = {}, None
    for path in args.results:
        r = json.load(open(path, encoding="utf-8"))
        if r["engine"] == "floor":
            fl = r
            continue
        key = (r["engine"] != "mobilenmt", r["name"], r.get("threads", 1))
        row = rows.setdefault(key, {"lat": [], "cpu": []})
        row["lat"] += r["latencies_ms"]
        row["cpu"] += r["cpu_latencies_ms"]
    med = statistics.median
    ct2 = next((v for k, v in rows.items() if k[0] and k[2] == 1), None)
    ratio = lambda a, b: f"{a / b:.2f}" if b else "-"  # noqa: E731
    print("| engine | threads | sentences | latency median ms | p90 ms | CPU median ms | latency / CTranslate2 1 thread | "
          "CPU / CTranslate2 1 thread | floor ms | latency / floor | CPU / floor |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (_, name, threads), r in sorted(rows.items()):
        lat, cpu = med(r["lat"]), med(r["cpu"])
        f = fl and (fl["shortlist"] if "shortlist" in name and "shortlist" in fl else fl)
        fm = f["floor_ms_median"] if f else None
        tail = f"| {fm:.1f} | {ratio(lat, fm)} | {ratio(cpu, fm)} |" if fm else "| - | - | - |"
        print(f"| {name} | {threads} | {len(r['lat'])} | {lat:.1f} | {p90(r['lat']):.1f} | {cpu:.1f} "
              f"| {ratio(lat, ct2 and med(ct2['lat']))} | {ratio(cpu, ct2 and med(ct2['cpu']))} " + tail)
    if fl:
        print()
        for label, f, rows_out in [("full vocabulary", fl, VOCAB)] + (
                [("shortlist", fl["shortlist"], fl["shortlist"]["candidates"])] if "shortlist" in fl else []):
            print(f"Floor, {label} (median over the sentences, {fl['mean_source_tokens']:.1f} source tokens on "
                  f"average, 20 steps, {rows_out:,} output rows): {f['macs_median'] / 1e9:.2f} GMAC per sentence / "
                  f"{fl['peak_gmacs']:.1f} GMAC/s best measured kernel rate = {f['compute_floor_ms_median']:.1f} ms "
                  f"compute; {f['step_weight_mb']:.1f} MB of weights per greedy step x 20 / {fl['bandwidth_gbs']:.1f} "
                  f"GB/s measured read bandwidth = {f['memory_floor_ms_median']:.1f} ms memory; floor "
                  f"{f['floor_ms_median']:.1f} ms.")
            print()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("out_dir")
    m.add_argument("--tokenizer-from", default="models/mobilenmt-en-de")
    c = sub.add_parser("ct2")
    f = sub.add_parser("floor")
    for p in (c, f):
        p.add_argument("--hf", required=True)
        p.add_argument("-i", dest="input", required=True)
        p.add_argument("--limit", type=int, default=0)
        p.add_argument("-j", dest="json", required=True)
    c.add_argument("--model", required=True)
    c.add_argument("--threads", type=int, default=1)
    c.add_argument("-b", dest="beam", type=int, default=1)
    f.add_argument("--kernels", required=True, help="output of make bench-kernels")
    f.add_argument("--candidates", type=int, default=0,
                   help="mean candidate-set size of a shortlist run, for its floor (0: none)")
    r = sub.add_parser("report")
    r.add_argument("results", nargs="+")
    args = ap.parse_args()
    {"make": make, "ct2": ct2, "floor": floor, "report": report}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
