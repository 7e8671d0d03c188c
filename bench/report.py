#!/usr/bin/env python3
"""Collect the results of `make bench` into BENCHMARKS.md and a chart (docs/bench.png).

Reads the JSON files of bench/mnmt_bench.c and bench/peers.py, scores each engine's hypotheses
with sacrebleu (BLEU and chrF, detokenized, cased, against the German references), computes the
latency statistics the same way for every engine, and the ratios mobilenmt / CTranslate2 pair by
pair (same dtype, same beam, same run).

    report.py --results build/bench/results --hyp build/bench/hyp --ref build/bench/test.de \
        --out BENCHMARKS.md --chart docs/bench.png
"""
import argparse
import datetime
import glob
import json
import math
import os
import platform
import re
import struct
import sys

ENGINES = ["mobilenmt-int8", "mobilenmt-f32", "ct2-int8", "ct2-f32", "pytorch-f32", "ct2-int8-stock"]
LABELS = {
    "mobilenmt-int8": "mobilenmt INT8",
    "mobilenmt-f32": "mobilenmt f32",
    "ct2-int8": "CTranslate2 INT8",
    "ct2-f32": "CTranslate2 f32",
    "pytorch-f32": "PyTorch f32",
    "ct2-int8-stock": "CTranslate2 INT8, stock converter",
}
PAIRS = [("mobilenmt-int8", "ct2-int8"), ("mobilenmt-f32", "ct2-f32")]


def percentile(values, q):
    """Nearest-rank percentile: the smallest value with at least q% of the values at or below it."""
    s = sorted(values)
    if not s:
        return float("nan")
    return s[max(0, math.ceil(q / 100 * len(s)) - 1)]


def median(values):
    s = sorted(values)
    n = len(s)
    if n == 0:
        return float("nan")
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def mb(kb):
    return kb / 1024


def cpu_info():
    model, cores = platform.processor() or "unknown", os.cpu_count()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return model, cores


def load(args):
    import sacrebleu

    with open(args.ref, encoding="utf-8") as f:
        refs = [line.rstrip("\n") for line in f]
    rows = {}
    for path in sorted(glob.glob(os.path.join(args.results, "*.json"))):
        with open(path, encoding="utf-8") as f:
            r = json.load(f)
        hyp_path = os.path.join(args.hyp, f"{r['name']}.b{r['beam']}.de")
        with open(hyp_path, encoding="utf-8") as f:
            hyps = [line.rstrip("\n") for line in f]
        if len(hyps) != len(refs):
            sys.exit(f"{hyp_path}: {len(hyps)} lines, the references have {len(refs)}")
        r["bleu"] = sacrebleu.corpus_bleu(hyps, [refs]).score
        r["chrf"] = sacrebleu.corpus_chrf(hyps, [refs]).score
        r["lat_med"] = median(r["latencies_ms"])
        r["lat_p90"] = percentile(r["latencies_ms"], 90)
        r["cpu_med"] = median(r["cpu_latencies_ms"])
        r["cpu_p90"] = percentile(r["cpu_latencies_ms"], 90)
        r["batch_cpu_sps"] = r["sentences"] / r["batch_cpu_seconds"]
        rows[(r["name"], r["beam"])] = r
    if not rows:
        sys.exit(f"no results in {args.results}")
    return rows, len(refs), sacrebleu.__version__


def fmt(x, nd=1):
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:,.{nd}f}"


def write_chart(rows, beams, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = {"mobilenmt-int8": "#d62728", "mobilenmt-f32": "#ff9896", "ct2-int8": "#1f77b4",
              "ct2-f32": "#aec7e8", "pytorch-f32": "#7f7f7f", "ct2-int8-stock": "#17becf"}
    markers = {1: "o", 4: "s"}
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 6.2), gridspec_kw={"width_ratios": [1, 1.1]})
    for (name, beam), r in sorted(rows.items()):
        ax1.scatter(r["lat_med"], r["bleu"], color=colors.get(name, "black"), marker=markers.get(beam, "^"),
                    s=60, label=f"{LABELS.get(name, name)}, beam {beam}", edgecolor="black", linewidth=0.5)
    ax1.set_xscale("log")
    ax1.set_xlabel("median latency per sentence, batch 1, 1 thread (ms, log scale)")
    ax1.set_ylabel("BLEU, Multi30k test_2016_flickr")
    ax1.set_title("Latency vs BLEU (up and left is better)")
    ax1.grid(True, which="both", alpha=0.3)
    ax1.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3)

    labels, total, base, cols = [], [], [], []
    for n in ENGINES:
        for beam in beams:
            r = rows.get((n, beam))
            if r is None:
                continue
            labels.append(f"{LABELS.get(n, n)}, beam {beam}")
            total.append(mb(r["peak_rss_batch1_kb"]))
            base.append(mb(r["baseline_rss_kb"]))
            cols.append(colors.get(n, "black"))
    ys = list(range(len(labels)))[::-1]
    ax2.barh(ys, total, color=cols, edgecolor="black", linewidth=0.5)
    ax2.barh(ys, base, fill=False, hatch="//", edgecolor="black", linewidth=0.5,
             label="Python interpreter baseline (included)")
    for y, t in zip(ys, total):
        ax2.text(t * 1.05, y, f"{t:.1f}", va="center", fontsize=7)
    ax2.axvline(15, color="green", linestyle="--", linewidth=1, label="15 MB target")
    ax2.set_yticks(ys)
    ax2.set_yticklabels(labels, fontsize=7)
    ax2.set_xscale("log")
    ax2.set_xlim(5, max(total) * 2)
    ax2.set_xlabel("peak RSS translating the whole test set at batch 1 (MB, log scale)")
    ax2.set_title("Peak resident memory, each engine in its own process")
    ax2.grid(True, axis="x", which="both", alpha=0.3)
    ax2.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fig.savefig(path, dpi=110)


def kernel_summary(path):
    """The header and the M = 1 and M = 4 rows of docs/kernels.md's table for the shapes this
    model has (every kernel column, whatever ISAs the table was measured with), or None."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return None
    keep = {(256, 256), (1024, 256), (256, 1024), (8192, 256)}
    header, rows = None, []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[:3] == ["M", "N", "K"]:
            header = cells
            continue
        if header is None or len(cells) != len(header):
            continue
        if not all(re.fullmatch(r"[0-9.]+", c) for c in cells[:3]):
            continue
        m, n, k = int(cells[0]), int(cells[1]), int(cells[2])
        if m in (1, 4) and (n, k) in keep:
            rows.append(cells)
    if header is None or not rows:
        return None
    cols = [0, 1, 2] + [i for i, h in enumerate(header)
                        if h.endswith("GMAC/s") and not h.startswith(("W ", "roofline"))]
    cols += [i for i, h in enumerate(header) if h.startswith("roofline") or h == "bound"]
    return [header[i] for i in cols], [[r[i] for i in cols] for r in rows]


def section_from(path, new_heading):
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().strip().splitlines()
    except OSError:
        return []
    if lines and lines[0].startswith("#"):
        lines = lines[1:]
    return [new_heading, ""] + [ln for ln in lines] + [""]


def parameters(hf_dir):
    """Parameter count of a Hugging Face directory: the tensors of its model.safetensors header."""
    with open(os.path.join(hf_dir, "model.safetensors"), "rb") as f:
        header = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
    return sum(math.prod(v["shape"]) for k, v in header.items() if k != "__metadata__")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", required=True)
    ap.add_argument("--hyp", required=True)
    ap.add_argument("--ref", required=True)
    ap.add_argument("--out", default="BENCHMARKS.md")
    ap.add_argument("--chart", default="docs/bench.png")
    ap.add_argument("--torch-limit", type=int, default=0)
    ap.add_argument("--date", default=datetime.date.today().isoformat())
    ap.add_argument("--model", default="models/mobilenmt-en-de", help="the Hugging Face directory benchmarked")
    args = ap.parse_args()
    model = args.model.rstrip("/")

    rows, n_ref, sb_version = load(args)
    beams = sorted({b for _, b in rows})
    cpu, cores = cpu_info()
    any_r = next(iter(rows.values()))
    versions = {r["engine"]: r.get("version", "") for r in rows.values()}
    kernels = next((r.get("kernels") for r in rows.values() if r.get("kernels")), "?")

    L = []
    L += ["# Benchmarks", ""]
    L += [f"MobileNMT's claims, measured: the model `{model}` ({parameters(model) / 1e6:.1f}M parameters) "
          "translating Multi30k `test_2016_flickr` (1,000 English sentences to German) with mobilenmt, "
          "CTranslate2 and PyTorch, on one CPU thread. Generated by `make bench` "
          "(`bench/report.py`); do not edit by hand.", ""]
    L += ["![latency vs BLEU, and peak memory](docs/bench.png)", ""]
    L += ["## Machine", ""]
    L += [f"- CPU: {cpu}, {cores} cores visible (a shared VM); every engine runs on one thread, "
          "one engine at a time.",
          f"- Date: {args.date}; {platform.system()} {platform.release()}, {platform.machine()}.",
          f"- mobilenmt {versions.get('mobilenmt', '?')} (kernels: `{kernels}`), "
          f"CTranslate2 {versions.get('ctranslate2', '?')}, PyTorch {versions.get('pytorch', '?')} "
          f"with transformers 5.17.0, sacrebleu {sb_version}.", ""]

    L += ["## Results", ""]
    L += ["BLEU and chrF: sacrebleu defaults (13a tokenization, cased) on detokenized output, "
          f"all {n_ref:,} sentences. Latency: one sentence per call, text in and text out "
          "(SentencePiece included for every engine), wall clock; median and p90 (nearest rank). "
          "CPU ms: the same calls' process CPU time (all threads; every engine runs one compute thread). Throughput: all sentences in input order, "
          "batches of 32. Peak RSS: `getrusage` `ru_maxrss` of the engine's own process after "
          "translating the whole test set one sentence at a time; \"+ batch\" after the batch-32 "
          "pass as well; for Python engines the interpreter's baseline (after imports, before "
          "loading the model) is given separately and included in the peak.", ""]
    L += ["| engine | beam | BLEU | chrF | latency median ms | p90 ms | CPU median ms | "
          "batch-32 sent/s | peak RSS MB | + batch MB | baseline MB | model file MB |",
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for beam in beams:
        for n in ENGINES:
            r = rows.get((n, beam))
            if r is None:
                continue
            timed = "" if r["latency_sentences"] == r["sentences"] else f" ({r['latency_sentences']} sent.)"
            L.append(f"| {LABELS[n]} | {beam} | {fmt(r['bleu'], 2)} | {fmt(r['chrf'], 2)} | "
                     f"{fmt(r['lat_med'], 2)}{timed} | {fmt(r['lat_p90'], 2)} | {fmt(r['cpu_med'], 2)} | "
                     f"{fmt(r['throughput_sps'])} | {fmt(mb(r['peak_rss_batch1_kb']))} | "
                     f"{fmt(mb(r['peak_rss_kb']))} | "
                     f"{fmt(mb(r['baseline_rss_kb'])) if r['baseline_rss_kb'] else '-'} | "
                     f"{fmt(r['model_bytes'] / 1e6, 2)} |")
    L.append("")

    L += ["### mobilenmt / CTranslate2, pair by pair", ""]
    L += ["Same dtype, same beam, same run. Below 1 means mobilenmt is faster or smaller. \"RSS net\" "
          "subtracts the Python interpreter's baseline from CTranslate2's peak (mobilenmt's C "
          "program has none to subtract).", ""]
    L += ["| pair | beam | latency median | latency p90 | CPU median | throughput (CT2 / ours) | "
          "peak RSS | peak RSS net | model file |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    ratios = {}
    for beam in beams:
        for ours, theirs in PAIRS:
            a, b = rows.get((ours, beam)), rows.get((theirs, beam))
            if a is None or b is None:
                continue
            net = b["peak_rss_batch1_kb"] - b["baseline_rss_kb"]
            rr = {
                "lat": a["lat_med"] / b["lat_med"], "p90": a["lat_p90"] / b["lat_p90"],
                "cpu": a["cpu_med"] / b["cpu_med"], "thr": b["throughput_sps"] / a["throughput_sps"],
                "rss": a["peak_rss_batch1_kb"] / b["peak_rss_batch1_kb"],
                "rss_net": a["peak_rss_batch1_kb"] / net if net > 0 else float("nan"),
                "size": a["model_bytes"] / b["model_bytes"],
            }
            ratios[(ours, beam)] = rr
            L.append(f"| {LABELS[ours]} / {LABELS[theirs]} | {beam} | {rr['lat']:.2f} | {rr['p90']:.2f} | "
                     f"{rr['cpu']:.2f} | {rr['thr']:.2f} | {rr['rss']:.2f} | {fmt(rr['rss_net'], 2)} | "
                     f"{rr['size']:.2f} |")
    L.append("")

    L += ["### Against the targets of the issue", ""]
    checks = []
    int8_b = [rows[("mobilenmt-int8", b)] for b in beams if ("mobilenmt-int8", b) in rows]
    for b in beams:
        ours, pt = rows.get(("mobilenmt-int8", b)), rows.get(("pytorch-f32", b))
        if ours:
            checks.append((f"INT8 BLEU >= 30 (aim 35), beam {b}", f"{ours['bleu']:.2f}", ours["bleu"] >= 30))
        if ours and pt:
            d = ours["bleu"] - pt["bleu"]
            checks.append((f"INT8 BLEU within 0.5 of PyTorch f32, beam {b}",
                           f"{ours['bleu']:.2f} vs {pt['bleu']:.2f} ({d:+.2f})", abs(d) <= 0.5 or d > 0))
        rr = ratios.get(("mobilenmt-int8", b))
        if rr:
            checks.append((f"latency <= 1/2 of CTranslate2 INT8 (aim 1/3), beam {b}",
                           f"{rr['lat']:.2f}x (CPU time {rr['cpu']:.2f}x)", rr["lat"] <= 0.5))
    if int8_b:
        peak = max(r["peak_rss_batch1_kb"] for r in int8_b)
        checks.append(("peak RSS of the C program translating the whole test set <= 15 MB",
                       f"{mb(peak):.1f} MB (batch 1; with the batch-32 pass "
                       f"{mb(max(r['peak_rss_kb'] for r in int8_b)):.1f} MB)", mb(peak) <= 15))
        size = int8_b[0]["model_bytes"]
        checks.append(("model file <= 10 MB", f"{size:,} bytes ({size / 1e6:.2f} MB, "
                       f"{size / 2**20:.2f} MiB)", size <= 10e6))
    L += ["| target | measured | met |", "|---|---|---|"]
    for what, val, ok in checks:
        L.append(f"| {what} | {val} | {'yes' if ok else 'no'} |")
    L.append("")

    mism = [f"{LABELS.get(r['name'], r['name'])} beam {r['beam']}: {r['batch_mismatches']}"
            for r in rows.values() if r.get("batch_mismatches")]
    L += ["### Notes", ""]
    L += [f"- Every engine translated all {n_ref:,} sentences at batch 1 and scored those, except "
          "where the latency column names fewer sentences: PyTorch was timed at batch 1 on the first "
          f"{args.torch_limit or n_ref} sentences only (one thread, `generate` is slow), and its BLEU and "
          "chrF are those of the batch-32 pass over all sentences.",
          "- Decoding settings: mobilenmt defaults (length penalty 1.0, at most 1.5 x source + 10 "
          "tokens); CTranslate2 `translate_batch` with `max_decoding_length=256` (length penalty 1.0); "
          "PyTorch `generate` with the model's generation_config.json (length penalty 1.0, "
          "`<pad>` banned) and `num_beams` set.",
          "- The model files: mobilenmt's INT8 file is the shipped `model-int8.gguf`; its f32 file "
          "(`tools/convert.py --dtype f32`), the CTranslate2 models and PyTorch all come from the same "
          "f16 `model.safetensors`. PyTorch's size is that file (f16 on disk, f32 in memory).",
          "- CTranslate2 models are converted by `bench/convert_ct2.py` (`--quantization int8 / float32`), "
          "CTranslate2's transformers converter with one change: the stock Marian loader assumes "
          "OPUS-MT's all-zero `<pad>` embedding, drops `<pad>` and starts the decoder from a zero "
          "vector, but `MarianMTModel` starts it from the `<pad>` embedding, which is not zero in this "
          "model; the bench's loader keeps it (and bans `<pad>` from the output, as "
          "generation_config.json does). The row \"stock converter\" is `ct2-transformers-converter "
          "--quantization int8` as shipped, greedy, for comparison.",
          "- mobilenmt's peak RSS includes the model file's mapped pages (the whole file is touched "
          "while translating) as well as the heap; at the end of each run the C program also "
          "recorded RssFile / RssAnon: " + ", ".join(
              f"{LABELS.get(r['name'], r['name'])} beam {r['beam']}: {mb(r['rss_file_kb']):.1f} / "
              f"{mb(r['rss_anon_kb']):.1f} MB" for r in int8_b) + ".",
          "- Batch results equal the batch-1 results for every engine"
          + ("" if not mism else ", except (sentences differing): " + "; ".join(mism)) + ".",
          "- The build machine is shared by other jobs, so wall-clock latencies include waiting for "
          "the CPU; the CPU-time column is the steadier comparison, and small differences mean "
          "little. Engines ran one after another, never in parallel. Load average when this report "
          "was written (1, 5, 15 min): " + ", ".join(f"{x:.1f}" for x in os.getloadavg())
          + f" on {cores} cores.",
          ""]

    L += ["### Reproduce", "", "```sh",
          "make bench                 # bench/run.sh: venv, conversions, all engines, this file",
          "# the pieces, by hand (after make build):",
          f"bench/.venv/bin/python tools/convert.py {model} build/bench/model-f32.gguf --dtype f32",
          f"bench/.venv/bin/python bench/convert_ct2.py {model} build/bench/ct2-int8 "
          "--quantization int8",
          f"build/bench/mnmt-bench -m {model}/model-int8.gguf -i build/bench/test.en -b 4 "
          "--name mobilenmt-int8 -o build/bench/hyp/mobilenmt-int8.b4.de -j build/bench/results/mobilenmt-int8.b4.json",
          "bench/.venv/bin/python bench/peers.py ct2 --model build/bench/ct2-int8 --compute-type int8 "
          f"--hf {model} -i build/bench/test.en -b 4 --name ct2-int8 "
          "-o build/bench/hyp/ct2-int8.b4.de -j build/bench/results/ct2-int8.b4.json",
          f"bench/.venv/bin/python bench/peers.py torch --hf {model} -i build/bench/test.en "
          f"-b 4 --limit {args.torch_limit or n_ref} --name pytorch-f32 "
          "-o build/bench/hyp/pytorch-f32.b4.de -j build/bench/results/pytorch-f32.b4.json",
          "bench/.venv/bin/python bench/report.py --results build/bench/results --hyp build/bench/hyp "
          f"--ref build/bench/test.de --model {model} --out BENCHMARKS.md --chart docs/bench.png",
          "```", "",
          "Variables: `BENCH_MODEL` (the Hugging Face directory with its `model-int8.gguf`, default "
          "`models/mobilenmt-en-de`), `BENCH_SRC`, `BENCH_REF` (the test set, default "
          "`eval/data/multi30k-test2016.en`, `.de`), `TORCH_LIMIT` "
          f"(default 200), `BEAMS` (default `1 4`). Training the model: [docs/training.md](docs/training.md).",
          ""]

    L += section_from("docs/bench-tokenizer.md", "## Tokenizer")
    ks = kernel_summary("docs/kernels.md")
    if ks:
        L += ["## INT8 kernels", ""]
        L += ["Single-thread GEMM rates from `make bench-kernels` (full table, method and roofline: "
              "[docs/kernels.md](docs/kernels.md)), for the shapes of this model (d_model 256, "
              "FFN 1024; the vocabulary projection, N = 8000, is closest to N = 8192). M = 1 is greedy decoding "
              "(one row per step), M = 4 is beam 4.", ""]
        names, rows = ks
        L += ["| " + " | ".join(names) + " |",
              "|" + "|".join("---" if i < 3 or i == len(names) - 1 else "---:" for i in range(len(names))) + "|"]
        for c in rows:
            L.append("| " + " | ".join(c) + " |")
        L.append("")
    elif os.path.exists("docs/kernels.md"):
        L += ["## INT8 kernels", "", "See [docs/kernels.md](docs/kernels.md).", ""]
    L += section_from("docs/bench-speed.md", "## OPUS-MT-sized model, worker pool, vocabulary shortlist")

    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(L).rstrip() + "\n")
    write_chart(rows, beams, args.chart)
    print(f"wrote {args.out} and {args.chart} ({len(rows)} runs, {any_r['sentences']} sentences)", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
