#!/usr/bin/env python3
"""Write the golden translations of the shipped model that tests/common/shipped.rs holds.

For every line of --sentences (default examples/demo.txt, the lines `make demo` translates) it runs
Hugging Face `transformers` on CPU in float32 on the shipped weights (the f16 safetensors upcast,
exactly what the converter reads), greedy and beam 4 with the engine's settings (length penalty 1,
no early stopping, <pad> never generated, </s> forced at the limit), and writes one line
`source<TAB>greedy<TAB>beam 4` per sentence to --out.

Dev-only (needs torch + transformers, tools/requirements-train.txt); CI reads the committed file.

Usage: make_shipped_golden.py [--model models/mobilenmt-en-de] [--sentences examples/demo.txt]
                              [--out tests/data/shipped_model.tsv]
"""
import argparse
import os

import torch
from transformers import MarianMTModel, MarianTokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_NEW_TOKENS = 64


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "mobilenmt-en-de"))
    ap.add_argument("--sentences", default=os.path.join(ROOT, "examples", "demo.txt"))
    ap.add_argument("--out", default=os.path.join(ROOT, "tests", "data", "shipped_model.tsv"))
    args = ap.parse_args()
    torch.manual_seed(0)
    tok = MarianTokenizer.from_pretrained(args.model)
    model = MarianMTModel.from_pretrained(args.model, dtype=torch.float32).eval()
    cfg = model.config
    common = dict(max_new_tokens=MAX_NEW_TOKENS, bad_words_ids=[[cfg.pad_token_id]], forced_eos_token_id=cfg.eos_token_id,
                  decoder_start_token_id=cfg.decoder_start_token_id, eos_token_id=cfg.eos_token_id,
                  pad_token_id=cfg.pad_token_id, do_sample=False, length_penalty=1.0, early_stopping=False)
    with open(args.sentences, encoding="utf-8") as f:
        sources = [line.rstrip("\n") for line in f if line.strip()]
    rows = []
    with torch.no_grad():
        for src in sources:
            enc = tok([src], return_tensors="pt")
            outs = [tok.decode(model.generate(**enc, **common, num_beams=b)[0], skip_special_tokens=True)
                    for b in (1, 4)]
            if any("\t" in s for s in [src] + outs):
                raise SystemExit(f"a tab in {src!r} or its translation")
            rows.append("\t".join([src] + outs))
            print(rows[-1])
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
