#!/usr/bin/env python3
"""Train a Marian (Hugging Face `MarianMTModel`) English-to-German model.

The recipe follows MobileNMT's model principles: a small shared SentencePiece vocabulary, a narrow
model, a deep encoder and a shallow decoder. Post-norm Transformers this deep need a gentle start,
so the learning rate warms up over thousands of steps (inverse square-root decay after).

Features: token-bucketed batches, label smoothing, AdamW, bf16 autocast on CUDA, gradient
clipping, validation loss at every epoch end (and every `--val-every` steps, for runs whose epochs
are long), best-on-validation and averaging of the last N validated snapshots (the better of the
two on validation is kept), resumable from `OUT/last.pt` (also in the middle of an epoch, and with
a changed `--lr`/`--warmup`), deterministic seeds, a log in `OUT/train.log` with throughput and
optional sample translations (`--samples`: a model that ignores its encoder shows at once), and a
wall-clock budget (`--max-minutes`).

The result is a Hugging Face Marian directory (config.json, model.safetensors, source.spm,
target.spm, vocab.json[, target_vocab.json], tokenizer_config.json, generation_config.json) that
`tools/convert.py` turns into a mobilenmt model file.

Example (the captions model; docs/training.md has the full recipe):
    python tools/train.py --data ../shared/data/multi30k --vocab models/mobilenmt-en-de-captions \
        --out build/train-demo --preset demo
"""
import argparse
import copy
import gzip
import json
import math
import os
import random
import shutil
import sys
import time

import torch
from transformers import MarianConfig, MarianMTModel, MarianTokenizer

PRESETS = {
    # The shipped MobileNMT-style model: 8k shared vocabulary, d_model 256, 6 + 2 layers.
    "demo": dict(d_model=256, enc_layers=6, dec_layers=2, heads=4, enc_ffn=1024, dec_ffn=1024,
                 activation="swish", tied=True, dropout=0.2, lr=7e-4, warmup=1500, batch_tokens=4096,
                 epochs=200, average=5),
    # The distillation teacher (about 6x the student's size): d_model 512, 6 + 6 layers. Meant for a
    # GPU; bigger batches than the student, so a shorter warm-up in steps.
    "teacher": dict(d_model=512, enc_layers=6, dec_layers=6, heads=8, enc_ffn=2048, dec_ffn=2048,
                    activation="swish", tied=True, dropout=0.1, lr=5e-4, warmup=2500, batch_tokens=8192,
                    epochs=200, average=5),
    # Test fixtures: tiny, different depths and activations, one with untied embeddings.
    "tiny-swish": dict(d_model=64, enc_layers=2, dec_layers=1, heads=4, enc_ffn=128, dec_ffn=128,
                       activation="swish", tied=True, dropout=0.1, lr=2e-3, warmup=400,
                       batch_tokens=4096, epochs=200, average=3),
    "tiny-relu-untied": dict(d_model=48, enc_layers=1, dec_layers=2, heads=2, enc_ffn=96, dec_ffn=128,
                             activation="relu", tied=False, dropout=0.1, lr=2e-3, warmup=400,
                             batch_tokens=4096, epochs=200, average=3),
}


def log(out_dir, msg):
    line = f"[{time.strftime('%H:%M:%S')}] {msg}"
    print(line, flush=True)
    with open(os.path.join(out_dir, "train.log"), "a", encoding="utf-8") as f:
        f.write(line + "\n")


def read_lines(path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def load_tokenizer(vocab_dir):
    separate = os.path.exists(os.path.join(vocab_dir, "target_vocab.json"))
    kwargs = dict(separate_vocabs=True, target_vocab_file=os.path.join(vocab_dir, "target_vocab.json")) if separate else {}
    return MarianTokenizer(
        os.path.join(vocab_dir, "source.spm"), os.path.join(vocab_dir, "target.spm"),
        os.path.join(vocab_dir, "vocab.json"), **kwargs), separate


def encode_corpus(tok, src_lines, tgt_lines, max_len):
    src = tok(src_lines, add_special_tokens=True)["input_ids"]
    tgt = tok(text_target=tgt_lines, add_special_tokens=True)["input_ids"]
    pairs = [(s, t) for s, t in zip(src, tgt) if len(s) <= max_len and len(t) <= max_len]
    return pairs


def batches(pairs, batch_tokens, rng, shuffle=True):
    """Length-bucketed batches holding about `batch_tokens` (padded) target+source tokens."""
    order = sorted(range(len(pairs)), key=lambda i: (len(pairs[i][0]), len(pairs[i][1]), i))
    out, cur, width = [], [], 0
    for i in order:
        w = max(width, len(pairs[i][0]), len(pairs[i][1]))
        if cur and w * (len(cur) + 1) > batch_tokens:
            out.append(cur)
            cur, w = [], max(len(pairs[i][0]), len(pairs[i][1]))
        cur.append(i)
        width = w
    if cur:
        out.append(cur)
    if shuffle:
        rng.shuffle(out)
    return out


def collate(pairs, idx, pad, start, device):
    src = [pairs[i][0] for i in idx]
    tgt = [pairs[i][1] for i in idx]
    s_len = max(map(len, src))
    t_len = max(map(len, tgt))
    input_ids = torch.full((len(idx), s_len), pad, dtype=torch.long)
    attn = torch.zeros((len(idx), s_len), dtype=torch.long)
    labels = torch.full((len(idx), t_len), -100, dtype=torch.long)
    dec_in = torch.full((len(idx), t_len), pad, dtype=torch.long)
    for r, (s, t) in enumerate(zip(src, tgt)):
        input_ids[r, : len(s)] = torch.tensor(s)
        attn[r, : len(s)] = 1
        labels[r, : len(t)] = torch.tensor(t)
        dec_in[r, 0] = start
        dec_in[r, 1 : len(t)] = torch.tensor(t[:-1])
    return (input_ids.to(device), attn.to(device), dec_in.to(device), labels.to(device))


def smoothed_loss(logits, labels, eps):
    lprobs = torch.log_softmax(logits.float(), dim=-1)
    mask = labels != -100
    tgt = labels.clamp(min=0)
    nll = -lprobs.gather(-1, tgt.unsqueeze(-1)).squeeze(-1)
    smooth = -lprobs.mean(dim=-1)
    loss = ((1.0 - eps) * nll + eps * smooth)[mask].sum()
    return loss, nll[mask].sum(), int(mask.sum())


def evaluate(model, pairs, args, device, pad, start):
    model.eval()
    tot_nll, tot_tok = 0.0, 0
    with torch.no_grad():
        for idx in batches(pairs, args.batch_tokens * 2, None, shuffle=False):
            ids, attn, dec_in, labels = collate(pairs, idx, pad, start, device)
            with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
                logits = model(input_ids=ids, attention_mask=attn, decoder_input_ids=dec_in).logits
            _, nll, n = smoothed_loss(logits, labels, 0.0)
            tot_nll += float(nll)
            tot_tok += n
    model.train()
    return tot_nll / max(tot_tok, 1)


def build_model(args, tok, separate):
    vocab_size = len(tok.encoder)
    dec_vocab = len(tok.target_encoder) if separate else vocab_size
    pad = tok.pad_token_id
    cfg = MarianConfig(
        vocab_size=vocab_size, decoder_vocab_size=dec_vocab, d_model=args.d_model,
        encoder_layers=args.enc_layers, decoder_layers=args.dec_layers,
        encoder_attention_heads=args.heads, decoder_attention_heads=args.heads,
        encoder_ffn_dim=args.enc_ffn, decoder_ffn_dim=args.dec_ffn,
        activation_function=args.activation, max_position_embeddings=args.max_positions,
        dropout=args.dropout, attention_dropout=0.0, activation_dropout=0.0,
        scale_embedding=True, pad_token_id=pad, eos_token_id=tok.eos_token_id,
        decoder_start_token_id=pad, forced_eos_token_id=tok.eos_token_id,
        share_encoder_decoder_embeddings=args.tied, tie_word_embeddings=True,
        num_beams=4, max_length=args.max_positions, bad_words_ids=[[pad]],
    )
    return MarianMTModel(cfg)


def sample(model, tok, lines, device):
    """Greedy translations of a few lines: different sources must give different outputs (a model
    that ignores its encoder writes the same sentence for all of them)."""
    model.eval()
    with torch.no_grad():
        enc = tok(lines, return_tensors="pt", padding=True).to(device)
        out = model.generate(**enc, num_beams=1, max_new_tokens=48)
    model.train()
    return tok.batch_decode(out, skip_special_tokens=True)


def average_states(states):
    avg = copy.deepcopy(states[0])
    for k in avg:
        if avg[k].is_floating_point():
            avg[k] = sum(s[k].float() for s in states) / len(states)
    return avg


def save_hf(model, tok_dir, out_dir, dtype):
    os.makedirs(out_dir, exist_ok=True)
    m = copy.deepcopy(model).cpu()
    if dtype == "f16":
        m = m.half()
    m.save_pretrained(out_dir, safe_serialization=True)
    for name in ("source.spm", "target.spm", "vocab.json", "target_vocab.json"):
        if os.path.exists(os.path.join(tok_dir, name)):
            shutil.copy(os.path.join(tok_dir, name), os.path.join(out_dir, name))
    tc = {"source_lang": "en", "target_lang": "de", "model_max_length": 512,
          "separate_vocabs": os.path.exists(os.path.join(tok_dir, "target_vocab.json")),
          "tokenizer_class": "MarianTokenizer"}
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w") as f:
        json.dump(tc, f, indent=2)
    # What OPUS-MT models ship: beam 4, never generate <pad>, force </s> at the length limit.
    cfg = model.config
    gen = {"bad_words_ids": [[cfg.pad_token_id]], "decoder_start_token_id": cfg.decoder_start_token_id,
           "eos_token_id": cfg.eos_token_id, "forced_eos_token_id": cfg.eos_token_id, "max_length": 512,
           "num_beams": 4, "pad_token_id": cfg.pad_token_id}
    with open(os.path.join(out_dir, "generation_config.json"), "w") as f:
        json.dump(gen, f, indent=2)


def train(args):
    os.makedirs(args.out, exist_ok=True)
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    tok, separate = load_tokenizer(args.vocab)
    pad, start = tok.pad_token_id, tok.pad_token_id

    t0 = time.time()
    train_pairs = encode_corpus(tok, read_lines(os.path.join(args.data, "train.en.gz")),
                                read_lines(os.path.join(args.data, "train.de.gz")), args.max_positions - 2)
    val_pairs = encode_corpus(tok, read_lines(os.path.join(args.data, "val.en.gz")),
                              read_lines(os.path.join(args.data, "val.de.gz")), args.max_positions - 2)
    val_src = read_lines(os.path.join(args.data, "val.en.gz"))
    if args.max_train_lines:
        train_pairs = train_pairs[: args.max_train_lines]
    log(args.out, f"data: {len(train_pairs)} train / {len(val_pairs)} val pairs, tokenized in {time.time() - t0:.1f}s")

    model = build_model(args, tok, separate)
    if args.init_from:
        # Continue from a trained Hugging Face directory (same architecture), e.g. to train longer.
        model.load_state_dict(MarianMTModel.from_pretrained(args.init_from, dtype=torch.float32).state_dict())
        log(args.out, f"initialised from {args.init_from}")
    model = model.to(device)
    n_params = sum(p.numel() for p in model.parameters())
    log(args.out, f"model: {n_params / 1e6:.2f}M parameters, {vars(args)}")
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.98), eps=1e-9, weight_decay=0.0001)
    def lr_factor(step):
        return min((step + 1) / args.warmup, math.sqrt(args.warmup / (step + 1)))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor)

    state = {"epoch": 0, "step": 0, "best_val": float("inf"), "history": []}
    recent = []  # (epoch, cpu state dict) of the last `average` epochs
    best_state = None
    last_path = os.path.join(args.out, "last.pt")
    if args.resume and os.path.exists(last_path):
        ck = torch.load(last_path, map_location="cpu", weights_only=False)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        sched.load_state_dict(ck["sched"])
        state, recent, best_state = ck["state"], ck["recent"], ck["best_state"]
        random.setstate(ck["py_rng"])
        torch.set_rng_state(ck["torch_rng"])
        # The schedule follows this run's --lr and --warmup (the step count carries on), so a run
        # can be continued with a different schedule; the checkpoint's own peak would win otherwise.
        sched.base_lrs = [args.lr for _ in sched.base_lrs]
        for group in opt.param_groups:
            group["initial_lr"], group["lr"] = args.lr, args.lr * lr_factor(sched.last_epoch)
        sched._last_lr = [group["lr"] for group in opt.param_groups]
        log(args.out, f"resumed at epoch {state['epoch']}, step {state['step']}, lr now {sched.get_last_lr()[0]:.2e}")

    deadline = t0 + args.max_minutes * 60 if args.max_minutes else float("inf")
    state.setdefault("pos", 0)
    seg_t, seg_loss, seg_tok = time.time(), 0.0, 0

    def checkpoint():
        """Validate, snapshot for averaging, log, and save everything `--resume` needs."""
        nonlocal recent, best_state, seg_t, seg_loss, seg_tok
        val = evaluate(model, val_pairs, args, device, pad, start)
        snap = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
        recent = (recent + [snap])[-args.average:]
        if val < state["best_val"]:
            state["best_val"], best_state = val, snap
        secs = time.time() - seg_t
        state["history"].append((state["epoch"], state["step"], seg_loss / max(seg_tok, 1), val))
        log(args.out, f"epoch {state['epoch']} (+{state['pos']} batches) step {state['step']} "
                      f"train {seg_loss / max(seg_tok, 1):.3f} val_nll {val:.3f} ppl {math.exp(val):.2f} "
                      f"lr {sched.get_last_lr()[0]:.2e} {secs:.1f}s {seg_tok / max(secs, 1e-9):.0f} tgt tok/s")
        if args.samples:
            for src_text, hyp in zip(val_src[: args.samples], sample(model, tok, val_src[: args.samples], device)):
                log(args.out, f"  sample: {src_text!r} -> {hyp!r}")
        if args.checkpoint_every and len(state["history"]) % args.checkpoint_every == 0:
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                        "state": state, "recent": recent, "best_state": best_state,
                        "py_rng": random.getstate(), "torch_rng": torch.get_rng_state()}, last_path + ".tmp")
            os.replace(last_path + ".tmp", last_path)
        seg_t, seg_loss, seg_tok = time.time(), 0.0, 0

    model.train()
    while state["epoch"] < args.epochs and time.time() < deadline:
        # The order of an epoch depends only on the seed and the epoch number, so a run resumed in
        # the middle of an epoch continues with the batches it had not seen.
        order = batches(train_pairs, args.batch_tokens, random.Random(args.seed + state["epoch"]))
        for idx in order[state["pos"]:]:
            ids, attn, dec_in, labels = collate(train_pairs, idx, pad, start, device)
            with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
                logits = model(input_ids=ids, attention_mask=attn, decoder_input_ids=dec_in).logits
            loss, _, n = smoothed_loss(logits, labels, args.label_smoothing)
            opt.zero_grad(set_to_none=True)
            (loss / n).backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            state["step"] += 1
            state["pos"] += 1
            seg_loss += float(loss.detach())
            seg_tok += n
            if time.time() > deadline:
                break
            if args.val_every and state["step"] % args.val_every == 0 and state["pos"] < len(order):
                checkpoint()
        if state["pos"] >= len(order):
            state["epoch"], state["pos"] = state["epoch"] + 1, 0
        checkpoint()

    # Keep the better of the best single epoch and the average of the last epochs.
    candidates = [("best", best_state)]
    if len(recent) > 1:
        candidates.append((f"avg{len(recent)}", average_states(recent)))
    scored = []
    for name, sd in candidates:
        model.load_state_dict(sd)
        scored.append((evaluate(model, val_pairs, args, device, pad, start), name, sd))
    scored.sort(key=lambda x: x[0])
    val, name, sd = scored[0]
    model.load_state_dict(sd)
    log(args.out, f"final: {name} val_nll {val:.3f} (candidates: {[(n, round(v, 3)) for v, n, _ in scored]})")
    save_hf(model, args.vocab, os.path.join(args.out, "hf"), args.save_dtype)
    with open(os.path.join(args.out, "history.json"), "w") as f:
        json.dump({"history": state["history"], "final": name, "final_val_nll": val,
                   "parameters": n_params, "seconds": time.time() - t0, "args": vars(args)}, f, indent=1)
    return model, tok


def bleu_eval(model, tok, args, split, beams):
    """Corpus BLEU/chrF of `split` with sacrebleu (only when it is installed)."""
    try:
        import sacrebleu
    except ImportError:
        return None
    src = read_lines(os.path.join(args.data, f"{split}.en.gz"))
    ref = read_lines(os.path.join(args.data, f"{split}.de.gz"))
    device = next(model.parameters()).device
    model.eval()
    hyps = []
    with torch.no_grad():
        for i in range(0, len(src), 128):
            enc = tok(src[i : i + 128], return_tensors="pt", padding=True).to(device)
            out = model.generate(**enc, num_beams=beams, max_new_tokens=128)
            hyps += tok.batch_decode(out, skip_special_tokens=True)
    bleu = sacrebleu.corpus_bleu(hyps, [ref]).score
    chrf = sacrebleu.corpus_chrf(hyps, [ref]).score
    return bleu, chrf, hyps


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="folder with train.{en,de}.gz and val.{en,de}.gz (Multi30k, or "
                    "the output of tools/prepare_data.py or tools/distill.py)")
    ap.add_argument("--vocab", required=True, help="folder with source.spm, target.spm, vocab.json")
    ap.add_argument("--out", required=True)
    ap.add_argument("--preset", choices=sorted(PRESETS), default="demo")
    for key in ("d_model", "enc_layers", "dec_layers", "heads", "enc_ffn", "dec_ffn", "batch_tokens",
                "warmup", "epochs", "average"):
        ap.add_argument("--" + key.replace("_", "-"), type=int)
    for key in ("lr", "dropout"):
        ap.add_argument("--" + key, type=float)
    ap.add_argument("--activation")
    ap.add_argument("--untied", dest="tied", action="store_false", default=None)
    ap.add_argument("--label-smoothing", type=float, default=0.1)
    ap.add_argument("--max-positions", type=int, default=256)
    ap.add_argument("--max-minutes", type=float, default=0, help="wall-clock budget (0 = none)")
    ap.add_argument("--max-train-lines", type=int, default=0)
    ap.add_argument("--checkpoint-every", type=int, default=1, help="save OUT/last.pt every N validations (0 = never)")
    ap.add_argument("--val-every", type=int, default=0,
                    help="validate, snapshot and checkpoint every N steps as well as at each epoch end (0 = epochs only)")
    ap.add_argument("--samples", type=int, default=0, help="log greedy translations of the first N val sources at each validation")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--init-from", help="start from this trained Hugging Face directory's weights")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--save-dtype", choices=("f32", "f16"), default="f16")
    ap.add_argument("--bleu", default="", help="comma-separated splits to score with sacrebleu, e.g. test_2016_flickr")
    args = ap.parse_args()
    for k, v in PRESETS[args.preset].items():
        if getattr(args, k, None) is None:
            setattr(args, k, v)
    model, tok = train(args)
    for split in filter(None, args.bleu.split(",")):
        for beams in (1, 4):
            res = bleu_eval(model, tok, args, split, beams)
            if res:
                log(args.out, f"{split} beam {beams}: BLEU {res[0]:.2f} chrF {res[1]:.2f}")
                with open(os.path.join(args.out, f"{split}.beam{beams}.de"), "w") as f:
                    f.write("\n".join(res[2]) + "\n")


if __name__ == "__main__":
    sys.exit(main())
