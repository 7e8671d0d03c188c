#!/usr/bin/env python3
"""Benchmark a peer engine on one test set, one thread: CTranslate2 or PyTorch (transformers).

Measures what bench/mnmt_bench.c measures for mobilenmt, the same way, in its own process:

1. imports the engine, reads ru_maxrss (the interpreter's baseline, reported separately), loads
   the model and translates the first sentence once, untimed (warm-up);
2. batch 1: each sentence text to text (SentencePiece tokenization and detokenization included),
   timed one by one, wall clock and thread CPU time; `--limit N` times only the first N sentences;
3. throughput: all sentences in input order, in batches of `--batch` (default 32);
4. writes the hypotheses (batch-1 ones; with `--limit`, the batched ones, which then cover every
   sentence) and a JSON result with the raw latencies (bench/report.py computes the statistics).

    peers.py ct2   --model build/bench/ct2-int8 --compute-type int8 --hf models/mobilenmt-en-de -i SRC -o HYP -j OUT.json -b 4
    peers.py torch --hf models/mobilenmt-en-de -i SRC -o HYP -j OUT.json -b 4 --limit 200
"""
import argparse
import json
import os
import resource
import sys
import time


def peak_rss_kb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux


def proc_status_kb(key):
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


class Ct2Engine:
    """CTranslate2 with SentencePiece: the pieces in, `</s>` appended, as MarianTokenizer does."""

    def __init__(self, args):
        import ctranslate2
        import sentencepiece

        self.ct2, self.spm = ctranslate2, sentencepiece
        self.args = args

    def load(self):
        a = self.args
        self.src = self.spm.SentencePieceProcessor(model_file=os.path.join(a.hf, "source.spm"))
        self.tgt = self.spm.SentencePieceProcessor(model_file=os.path.join(a.hf, "target.spm"))
        self.translator = self.ct2.Translator(a.model, device="cpu", compute_type=a.compute_type,
                                              inter_threads=1, intra_threads=1)
        self.model_bytes = sum(os.path.getsize(os.path.join(a.model, n)) for n in os.listdir(a.model))
        self.dtype = a.compute_type
        # bench/convert_ct2.py keeps <pad> (the decoder's start token); like generation_config.json's
        # bad_words_ids, it must never be generated. The stock conversion has no <pad> at all.
        with open(os.path.join(a.model, "shared_vocabulary.json"), encoding="utf-8") as f:
            has_pad = "<pad>" in json.load(f)
        self.suppress = [["<pad>"]] if has_pad else None

    def translate(self, texts):
        toks = [self.src.encode(t, out_type=str) + ["</s>"] for t in texts]
        res = self.translator.translate_batch(
            toks, beam_size=self.args.beam, max_batch_size=len(toks), max_decoding_length=256,
            suppress_sequences=self.suppress)
        # MarianTokenizer.decode(skip_special_tokens=True) drops <unk>; do the same.
        return [self.tgt.decode([p for p in r.hypotheses[0] if p != "<unk>"]) for r in res]


class TorchEngine:
    """Hugging Face `MarianMTModel.generate`, f32, one thread."""

    def __init__(self, args):
        import torch
        from transformers import MarianMTModel, MarianTokenizer

        torch.set_num_threads(1)
        torch.set_num_interop_threads(1)
        self.torch, self.model_cls, self.tok_cls = torch, MarianMTModel, MarianTokenizer
        self.args = args

    def load(self):
        a = self.args
        self.tok = self.tok_cls.from_pretrained(a.hf)
        self.model = self.model_cls.from_pretrained(a.hf, dtype=self.torch.float32).eval()
        self.model_bytes = os.path.getsize(os.path.join(a.hf, "model.safetensors"))
        self.dtype = "float32"

    def translate(self, texts):
        with self.torch.inference_mode():
            enc = self.tok(texts, return_tensors="pt", padding=True)
            out = self.model.generate(**enc, num_beams=self.args.beam, do_sample=False)
        return self.tok.batch_decode(out, skip_special_tokens=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("engine", choices=("ct2", "torch"))
    ap.add_argument("--model", help="CTranslate2 model folder (ct2)")
    ap.add_argument("--compute-type", default="int8", help="CTranslate2 compute type: int8 or float32 (ct2)")
    ap.add_argument("--hf", required=True, help="Hugging Face Marian folder (tokenizer; the model for torch)")
    ap.add_argument("-i", dest="input", required=True)
    ap.add_argument("-o", dest="output", required=True)
    ap.add_argument("-j", dest="json", required=True)
    ap.add_argument("-b", dest="beam", type=int, default=1)
    ap.add_argument("--limit", type=int, default=0, help="time batch 1 on the first N sentences only")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--name", default="")
    args = ap.parse_args()
    if args.engine == "ct2" and not args.model:
        ap.error("ct2 needs --model")

    with open(args.input, encoding="utf-8") as f:
        src = [line.rstrip("\n") for line in f]
    engine = (Ct2Engine if args.engine == "ct2" else TorchEngine)(args)
    baseline_kb = peak_rss_kb()

    t0 = time.perf_counter()
    engine.load()
    load_ms = (time.perf_counter() - t0) * 1e3
    rss_load_kb = peak_rss_kb()
    engine.translate(src[:1])  # warm-up, untimed

    n_timed = min(args.limit, len(src)) if args.limit else len(src)
    lat, cpu, hyp1 = [], [], []
    for text in src[:n_timed]:
        c0 = time.process_time()
        t0 = time.perf_counter()
        hyp1 += engine.translate([text])
        lat.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)
    rss_batch1_kb = peak_rss_kb()

    hypb = []
    c0 = time.process_time()
    t0 = time.perf_counter()
    for i in range(0, len(src), args.batch):
        hypb += engine.translate(src[i : i + args.batch])
    batch_s = time.perf_counter() - t0
    batch_cpu_s = time.process_time() - c0
    rss_peak_kb = peak_rss_kb()

    mismatches = sum(a != b for a, b in zip(hyp1, hypb))
    scored = hyp1 if n_timed == len(src) else hypb
    with open(args.output, "w", encoding="utf-8") as f:
        for h in scored:
            f.write(h.replace("\n", " ").replace("\r", " ") + "\n")

    result = {
        "engine": "ctranslate2" if args.engine == "ct2" else "pytorch",
        "name": args.name or args.engine,
        "model": args.model or args.hf,
        "dtype": engine.dtype,
        "version": (engine.ct2.__version__ if args.engine == "ct2" else engine.torch.__version__),
        "beam": args.beam,
        "threads": 1,
        "sentences": len(src),
        "latency_sentences": n_timed,
        "hypotheses_from": "batch1" if n_timed == len(src) else f"batch{args.batch}",
        "model_bytes": engine.model_bytes,
        "load_ms": load_ms,
        "batch_size": args.batch,
        "batch_seconds": batch_s,
        "batch_cpu_seconds": batch_cpu_s,
        "throughput_sps": len(src) / batch_s,
        "batch_mismatches": mismatches,
        "baseline_rss_kb": baseline_kb,
        "rss_after_load_kb": rss_load_kb,
        "peak_rss_batch1_kb": rss_batch1_kb,
        "peak_rss_kb": rss_peak_kb,
        "rss_file_kb": proc_status_kb("RssFile"),
        "rss_anon_kb": proc_status_kb("RssAnon"),
        "latencies_ms": lat,
        "cpu_latencies_ms": cpu,
    }
    with open(args.json, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
    print(f"{result['name']} beam {args.beam}: {n_timed} timed, batch-{args.batch} "
          f"{result['throughput_sps']:.1f} sent/s, peak RSS {rss_peak_kb} kB "
          f"(baseline {baseline_kb} kB), {mismatches} batch mismatches", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
