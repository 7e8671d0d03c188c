"""make bench-threads helpers: pick the long sentences, time CTranslate2 with 1 or 2 intra
threads, and report mobilenmt's and CTranslate2's latencies and CPU times per thread count.

  threads.py select --spm SOURCE.spm --min-tokens 25 --limit N -o OUT.txt IN.txt...
  threads.py ct2 --model DIR --spm SOURCE.spm -i SRC --threads T -b BEAM [--steps N] -j OUT.json
  threads.py report RESULT.json...

bench/threads.sh runs the rounds; each result file holds one engine configuration's per-sentence
latencies (wall clock) and CPU times (the whole process: worker threads included) of one round.
"""

import argparse
import gzip
import json
import os
import statistics
import sys
import time
from collections import defaultdict


def select(args):
    import sentencepiece

    sp = sentencepiece.SentencePieceProcessor(model_file=args.spm)
    out = []
    for path in args.inputs:
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n")
                if len(sp.encode(line)) + 1 >= args.min_tokens:  # with </s>, as the engines see it
                    out.append(line)
    out = out[: args.limit] if args.limit else out
    with open(args.output, "w", encoding="utf-8") as f:
        f.writelines(s + "\n" for s in out)
    n = [len(sp.encode(s)) + 1 for s in out]
    print(f"{len(out)} sentences of >= {args.min_tokens} tokens (median {statistics.median(n)})")


def ct2(args):
    import ctranslate2
    import sentencepiece

    sp = sentencepiece.SentencePieceProcessor(model_file=args.spm)
    with open(args.input, encoding="utf-8") as f:
        src = [line.rstrip("\n") for line in f]
    tr = ctranslate2.Translator(args.model, device="cpu", compute_type="int8", inter_threads=1,
                                intra_threads=args.threads)
    toks = [sp.encode(t, out_type=str) + ["</s>"] for t in src]
    # <pad> is the decoder's start token; like generation_config.json's bad_words_ids, it must
    # never be generated (bench/convert_ct2.py keeps it in the vocabulary).
    opts = dict(beam_size=args.beam, suppress_sequences=[["<pad>"]])
    if args.steps:
        opts.update(min_decoding_length=args.steps, max_decoding_length=args.steps)
    else:
        # The decoding length rule of mobilenmt's defaults (max_length_a 1.5, max_length_b 10).
        opts.update(max_decoding_length=256)
    tr.translate_batch(toks[:1], **opts)  # warm-up
    lat, cpu = [], []
    for t in toks:
        c0, t0 = time.process_time(), time.perf_counter()
        res = tr.translate_batch([t], **opts)
        lat.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)
        if args.steps and len(res[0].hypotheses[0]) != args.steps:
            sys.exit(f"CTranslate2 produced {len(res[0].hypotheses[0])} tokens, not {args.steps}")
    with open(args.json, "w") as f:
        json.dump({"engine": "ctranslate2", "threads": args.threads, "beam": args.beam,
                   "version": ctranslate2.__version__, "latencies_ms": lat, "cpu_latencies_ms": cpu}, f)


def report(args):
    # file names: ROUND-MODEL-ENGINE-tTHREADS-bBEAM.json
    rows = defaultdict(lambda: {"lat": [], "cpu": [], "rounds": 0})
    for path in args.results:
        base = os.path.basename(path)[: -len(".json")]
        _, model, engine, threads, beam = base.split("-")
        with open(path) as f:
            r = json.load(f)
        key = (model, int(beam[1:]), engine, int(threads[1:]))
        rows[key]["lat"] += r["latencies_ms"]
        rows[key]["cpu"] += r["cpu_latencies_ms"]
        rows[key]["rounds"] += 1
    print("| model | beam | engine | threads | rounds x sentences | latency median ms | CPU median ms "
          "| speed-up vs 1 thread (latency) | latency / CTranslate2 same threads |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|")
    for key in sorted(rows, key=lambda k: (k[0], k[1], k[2] != "mobilenmt", k[2], k[3])):
        model, beam, engine, threads = key
        r = rows[key]
        lat, cpu = statistics.median(r["lat"]), statistics.median(r["cpu"])
        one = rows.get((model, beam, engine, 1))
        speed = statistics.median(one["lat"]) / lat if one else float("nan")
        peer = rows.get((model, beam, "ct2", threads))
        vs = lat / statistics.median(peer["lat"]) if peer and engine == "mobilenmt" else None
        n = len(r["lat"]) // max(r["rounds"], 1)
        name = {"mobilenmt": "mobilenmt INT8", "ct2": "CTranslate2 INT8"}[engine]
        print(f"| {model} | {beam} | {name} | {threads} | {r['rounds']} x {n} | {lat:.2f} | {cpu:.2f} "
              f"| {speed:.2f} | {'' if vs is None else f'{vs:.2f}'} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("select")
    s.add_argument("--spm", required=True)
    s.add_argument("--min-tokens", type=int, default=25)
    s.add_argument("--limit", type=int, default=0)
    s.add_argument("-o", dest="output", required=True)
    s.add_argument("inputs", nargs="+")
    c = sub.add_parser("ct2")
    c.add_argument("--model", required=True)
    c.add_argument("--spm", required=True)
    c.add_argument("-i", dest="input", required=True)
    c.add_argument("--threads", type=int, default=1)
    c.add_argument("-b", dest="beam", type=int, default=1)
    c.add_argument("--steps", type=int, default=0, help="force exactly N decoder steps")
    c.add_argument("-j", dest="json", required=True)
    r = sub.add_parser("report")
    r.add_argument("results", nargs="+")
    args = ap.parse_args()
    {"select": select, "ct2": ct2, "report": report}[args.cmd](args)


if __name__ == "__main__":
    main()
