#!/usr/bin/env python3
"""Sequence-level knowledge distillation: translate the training sources with a teacher (beam search)
and write a training folder for the student.

Reads DATA/train.{en,de}.gz and DATA/val.{en,de}.gz (the output of tools/prepare_data.py) and a
trained teacher (a Hugging Face Marian directory written by tools/train.py). The sources are
translated in chunks of --chunk lines; each finished chunk is written to OUT/chunks/ at once, so a
run stopped by its wall-clock budget (--max-minutes) loses at most one chunk and a rerun with the
same arguments continues where it stopped.

After every run, finished or not, OUT/train.{en,de}.gz holds the student's training data: every
original pair, plus (with --mix, the default) a distilled pair for every source translated so far,
or (with --distilled-only) only the distilled pairs. Teacher outputs that are empty, identical to
the source, or whose word-count ratio to the source exceeds 3 are dropped and counted.
OUT/val.{en,de}.gz is a copy of DATA's; OUT/report.json says how much was distilled.

Example (GPU):
    python tools/distill.py --teacher build/kd/teacher/hf --data .devdata/general --out build/kd/distilled \
        --max-minutes 10 --beams 4
"""
import argparse
import gzip
import json
import os
import shutil
import sys
import time

import torch
from transformers import MarianMTModel, MarianTokenizer


def read(path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def write(path, lines):
    with gzip.open(path + ".tmp", "wt", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))
    os.replace(path + ".tmp", path)


def translate(model, tok, lines, beams, batch_tokens, max_len, device):
    """Beam-search translations of `lines`, batched by length; returned in input order."""
    ids = tok(lines, add_special_tokens=True, truncation=True, max_length=max_len)["input_ids"]
    order = sorted(range(len(lines)), key=lambda i: len(ids[i]))
    out = [""] * len(lines)
    i = 0
    while i < len(order):
        width = len(ids[order[i]])
        j = i
        # A batch holds about batch_tokens source tokens; beams multiply the decoder's work.
        while j < len(order) and (j - i + 1) * max(width, len(ids[order[j]])) * beams <= batch_tokens:
            width = max(width, len(ids[order[j]]))
            j += 1
        j = max(j, i + 1)
        idx = order[i:j]
        enc = tok.pad({"input_ids": [ids[k] for k in idx]}, return_tensors="pt").to(device)
        with torch.no_grad(), torch.autocast(device_type=device.type, dtype=torch.bfloat16,
                                             enabled=device.type == "cuda"):
            gen = model.generate(**enc, num_beams=beams, max_new_tokens=min(max_len, 2 * width + 10))
        for k, text in zip(idx, tok.batch_decode(gen, skip_special_tokens=True)):
            out[k] = text
        i = j
    return out


def keep(src, hyp, max_ratio=3.0):
    ns, nh = len(src.split()), len(hyp.split())
    if not hyp.strip() or hyp.strip() == src.strip():
        return False
    return not (max(ns, nh) > 3 and max(ns, nh) > max_ratio * min(ns, nh))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--teacher", required=True, help="Hugging Face Marian directory of the teacher")
    ap.add_argument("--data", required=True, help="folder with train.{en,de}.gz and val.{en,de}.gz")
    ap.add_argument("--out", required=True)
    ap.add_argument("--beams", type=int, default=4)
    ap.add_argument("--chunk", type=int, default=4096, help="source lines per resumable chunk")
    ap.add_argument("--batch-tokens", type=int, default=32768, help="source tokens x beams per batch")
    ap.add_argument("--max-len", type=int, default=254)
    ap.add_argument("--max-minutes", type=float, default=0, help="wall-clock budget (0 = none)")
    ap.add_argument("--max-lines", type=int, default=0, help="distil only the first N sources (tests)")
    mix = ap.add_mutually_exclusive_group()
    mix.add_argument("--mix", dest="mix", action="store_true", default=True,
                     help="student data = original pairs + distilled pairs (default)")
    mix.add_argument("--distilled-only", dest="mix", action="store_false")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args()

    t0 = time.time()
    deadline = t0 + args.max_minutes * 60 if args.max_minutes else float("inf")
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    chunks_dir = os.path.join(args.out, "chunks")
    os.makedirs(chunks_dir, exist_ok=True)

    src = read(os.path.join(args.data, "train.en.gz"))
    ref = read(os.path.join(args.data, "train.de.gz"))
    if args.max_lines:
        src, ref = src[: args.max_lines], ref[: args.max_lines]
    tok = MarianTokenizer.from_pretrained(args.teacher)
    model = MarianMTModel.from_pretrained(args.teacher, dtype=torch.float32).to(device).eval()

    n_chunks = (len(src) + args.chunk - 1) // args.chunk
    done_lines = 0
    for c in range(n_chunks):
        path = os.path.join(chunks_dir, f"{c:05d}.de")
        if os.path.exists(path):
            continue
        if time.time() > deadline:
            break
        t = time.time()
        lines = src[c * args.chunk : (c + 1) * args.chunk]
        hyps = translate(model, tok, lines, args.beams, args.batch_tokens, args.max_len, device)
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            f.write("".join(h.replace("\n", " ") + "\n" for h in hyps))
        os.replace(path + ".tmp", path)
        done_lines += len(lines)
        print(f"chunk {c + 1}/{n_chunks}: {len(lines)} lines in {time.time() - t:.1f}s "
              f"({len(lines) / max(time.time() - t, 1e-9):.1f} lines/s)", flush=True)

    # Assemble the student's data from every finished chunk, this run's and earlier runs'.
    distilled, dropped, covered = [], 0, 0
    for c in range(n_chunks):
        path = os.path.join(chunks_dir, f"{c:05d}.de")
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as f:
            hyps = [line.rstrip("\n") for line in f]
        lines = src[c * args.chunk : (c + 1) * args.chunk]
        covered += len(lines)
        for s, h in zip(lines, hyps):
            if keep(s, h):
                distilled.append((s, h))
            else:
                dropped += 1
    pairs = (list(zip(src, ref)) if args.mix else []) + distilled
    write(os.path.join(args.out, "train.en.gz"), [s for s, _ in pairs])
    write(os.path.join(args.out, "train.de.gz"), [t for _, t in pairs])
    for lang in ("en", "de"):
        shutil.copy(os.path.join(args.data, f"val.{lang}.gz"), os.path.join(args.out, f"val.{lang}.gz"))
    report = {"sources": len(src), "distilled": covered, "kept": len(distilled), "dropped": dropped,
              "mix": args.mix, "student_pairs": len(pairs), "beams": args.beams, "teacher": args.teacher,
              "complete": covered == len(src), "seconds_this_run": round(time.time() - t0, 1)}
    with open(os.path.join(args.out, "report.json"), "w") as f:
        json.dump(report, f, indent=1)
    print(json.dumps(report), flush=True)
    if covered < len(src):
        print(f"distilled {covered}/{len(src)} sources; rerun with the same arguments to continue", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
