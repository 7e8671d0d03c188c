#!/usr/bin/env python3
"""Build the test fixtures: tiny trained Marian models, their model files and golden outputs.

For each fixture (tiny-swish: tied embeddings, joint vocabulary, 2 + 1 layers, swish;
tiny-relu-untied: separate vocabularies, untied embeddings, 1 + 2 layers, relu) this script
1. trains it on Multi30k with tools/train.py (or takes an already trained Hugging Face directory
   with --from DIR/<name>/hf),
2. copies the Hugging Face directory (f16 safetensors) into tests/data/<name>/,
3. converts it to model-f32.gguf and model-int8.gguf with tools/convert.py,
4. writes golden.json and logits.f32 from `transformers` on CPU in float32: source ids, greedy and
   beam-4 outputs (ids, text, scores, 4-best) and per-step logits for a few sentences.

The weights are stored as f16 and the goldens are computed from those f16 values upcast to f32,
which is exactly what the converter produces, so the f32 model file must reproduce them.

Dev-only (needs torch + transformers, see tools/requirements-train.txt). CI uses the committed
outputs and never runs this.

Usage: tools/make_fixtures.py --data ../shared/data/multi30k [--from DIR] [--train-minutes 9]
"""
import argparse
import gzip
import json
import os
import shutil
import struct
import subprocess
import sys

import torch
from transformers import MarianMTModel, MarianTokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FIXTURES = ("tiny-swish", "tiny-relu-untied")
HF_FILES = ("config.json", "generation_config.json", "model.safetensors", "source.spm", "target.spm",
            "vocab.json", "target_vocab.json", "tokenizer_config.json")
MAX_NEW_TOKENS = 64
EXTRA_SOURCES = [
    "",
    "A dog.",
    "Two men are playing soccer in the park while a woman with a red umbrella watches them from a bench "
    "next to a small white dog.",
    "The café's owner, Zoë, sells crème brûlée — 3 € each!",
]


def read_lines(path, n):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [next(f).rstrip("\n") for _ in range(n)]


def load_tokenizer(d):
    tv = os.path.join(d, "target_vocab.json")
    kw = dict(separate_vocabs=True, target_vocab_file=tv) if os.path.exists(tv) else {}
    return MarianTokenizer(os.path.join(d, "source.spm"), os.path.join(d, "target.spm"),
                           os.path.join(d, "vocab.json"), **kw)


def strip_start(seq, start, pad):
    """Generated ids without the decoder start token and without trailing padding."""
    ids = list(seq[1:])
    while ids and ids[-1] == pad:
        ids.pop()
    return ids


def goldens(d, name, sources, n_logits):
    torch.manual_seed(0)
    tok = load_tokenizer(d)
    model = MarianMTModel.from_pretrained(d, dtype=torch.float32).eval()
    cfg = model.config
    pad, eos, start = cfg.pad_token_id, cfg.eos_token_id, cfg.decoder_start_token_id
    common = dict(max_new_tokens=MAX_NEW_TOKENS, bad_words_ids=[[pad]], forced_eos_token_id=eos,
                  decoder_start_token_id=start, eos_token_id=eos, pad_token_id=pad, do_sample=False)
    greedy_kw = dict(common, num_beams=1)
    beam_kw = dict(common, num_beams=4, num_return_sequences=4, length_penalty=1.0, early_stopping=False)
    out = {"model": name, "transformers": __import__("transformers").__version__,
           "generation": {"greedy": greedy_kw, "beam4": beam_kw}, "sentences": [], "logits": []}
    logits_blob = []
    with torch.no_grad():
        for i, src in enumerate(sources):
            enc = tok([src], return_tensors="pt")
            src_ids = enc["input_ids"][0].tolist()
            g = model.generate(**enc, **greedy_kw)
            greedy_ids = strip_start(g[0].tolist(), start, pad)
            b = model.generate(**enc, **beam_kw, output_scores=True, return_dict_in_generate=True)
            nbest = []
            for seq, score in zip(b.sequences, b.sequences_scores):
                ids = strip_start(seq.tolist(), start, pad)
                nbest.append({"ids": ids, "text": tok.decode(ids, skip_special_tokens=True),
                              "score": float(score)})
            out["sentences"].append({
                "src": src, "src_ids": src_ids,
                "greedy_ids": greedy_ids, "greedy_text": tok.decode(greedy_ids, skip_special_tokens=True),
                "beam4_ids": nbest[0]["ids"], "beam4_text": nbest[0]["text"], "beam4_score": nbest[0]["score"],
                "nbest": nbest,
            })
            if i < n_logits:
                dec_in = [start] + greedy_ids[:-1] if greedy_ids else [start]
                logits = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"],
                               decoder_input_ids=torch.tensor([dec_in])).logits[0]
                out["logits"].append({"src_ids": src_ids, "decoder_input_ids": dec_in,
                                      "shape": list(logits.shape), "offset": len(logits_blob)})
                logits_blob.extend(logits.flatten().tolist())
    with open(os.path.join(d, "golden.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
    with open(os.path.join(d, "logits.f32"), "wb") as f:
        f.write(struct.pack(f"<{len(logits_blob)}f", *logits_blob))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="Multi30k folder")
    ap.add_argument("--from", dest="src", help="folder holding already trained <fixture>/hf directories")
    ap.add_argument("--train-minutes", type=float, default=9.0)
    ap.add_argument("--sentences", type=int, default=24, help="test_2016_flickr lines used for goldens")
    ap.add_argument("--logits", type=int, default=3, help="sentences with per-step logits")
    ap.add_argument("--only", choices=FIXTURES)
    args = ap.parse_args()
    sources = read_lines(os.path.join(args.data, "test_2016_flickr.en.gz"), args.sentences) + EXTRA_SOURCES
    for name in [args.only] if args.only else FIXTURES:
        dest = os.path.join(ROOT, "tests", "data", name)
        if args.src:
            hf = os.path.join(args.src, name, "hf")
        else:
            work = os.path.join(ROOT, "build", "fixtures", name)
            subprocess.run([sys.executable, os.path.join(HERE, "train.py"), "--data", args.data, "--vocab", dest,
                            "--out", work, "--preset", name, "--max-minutes", str(args.train_minutes)], check=True)
            hf = os.path.join(work, "hf")
        for f in HF_FILES:
            if os.path.exists(os.path.join(hf, f)):
                shutil.copy(os.path.join(hf, f), os.path.join(dest, f))
        for dtype in ("f32", "int8"):
            subprocess.run([sys.executable, os.path.join(HERE, "convert.py"), dest,
                            os.path.join(dest, f"model-{dtype}.gguf"), "--dtype", dtype, "--name", name,
                            "--source-lang", "en", "--target-lang", "de"], check=True, stdout=subprocess.DEVNULL)
        g = goldens(dest, name, sources, args.logits)
        print(f"{name}: {len(g['sentences'])} golden sentences; e.g. {g['sentences'][0]['src']!r} -> "
              f"{g['sentences'][0]['greedy_text']!r} / {g['sentences'][0]['beam4_text']!r}")


if __name__ == "__main__":
    main()
