#!/usr/bin/env python3
"""Convert a Hugging Face Marian model directory into one mobilenmt GGUF file.

Reads config.json, model.safetensors (or pytorch_model.bin, only if torch is importable),
source.spm, target.spm, vocab.json (+ target_vocab.json for separate vocabularies) and the
optional generation_config.json, and writes the layout documented in docs/model-format.md.
INT8 weights are symmetric per output row, rows zero-padded to 64 values.

Usage: convert.py HF_DIR OUT.gguf [--dtype int8|f32] [--name NAME]
                  [--source-lang en --target-lang de]
                  [--shortlist CORPUS_SRC CORPUS_TGT [--shortlist-k 50] [--shortlist-frequent 100]]

--shortlist adds a vocabulary shortlist built from a parallel corpus (tools/shortlist.py; needs
sentencepiece to read the text).

Without the flags, the name and languages come from the Hugging Face files (see `describe`).

Needs numpy and gguf (tools/requirements.txt); never torch unless the model is a .bin.
Anything the engine does not implement is refused with a message saying what and why.
"""
import argparse
import json
import os
import re
import struct
import sys
import time

import numpy as np

try:
    import gguf
except ImportError:  # pragma: no cover - explained to the user
    sys.exit("convert.py needs the gguf package: pip install -r tools/requirements.txt")

FORMAT_VERSION = 1
ALIGNMENT = 64
ROW_ALIGN = 64
ACTIVATIONS = {"relu": "relu", "swish": "swish", "silu": "swish", "gelu": "gelu", "gelu_new": "gelu_new"}
# Config flags of the Bart family that Marian checkpoints leave false; true means a different
# network (pre-norm, extra norms) that the engine does not run.
REFUSED_FLAGS = ("normalize_before", "normalize_embedding", "add_final_layer_norm")

# The engine's table of tensors (names, kinds, shapes); a Rust test holds it equal to the loader's.
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "weight_schema.json"), encoding="utf-8") as _f:
    SCHEMA = json.load(_f)

# Where each layer tensor of the schema comes from in a Hugging Face Marian layer.
HF_LAYER_NAMES = {
    "attn_q": "self_attn.q_proj",
    "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj",
    "attn_o": "self_attn.out_proj",
    "attn_norm": "self_attn_layer_norm",
    "cross_q": "encoder_attn.q_proj",
    "cross_k": "encoder_attn.k_proj",
    "cross_v": "encoder_attn.v_proj",
    "cross_o": "encoder_attn.out_proj",
    "cross_norm": "encoder_attn_layer_norm",
    "ffn_up": "fc1",
    "ffn_down": "fc2",
    "ffn_norm": "final_layer_norm",
}


class ConvertError(Exception):
    """A model this converter refuses, with the reason."""


# ---------------------------------------------------------------------------------------------
# reading the checkpoint


def read_safetensors(path):
    """Returns {name: float32 ndarray}. Parsed by hand so that BF16 works without torch."""
    with open(path, "rb") as f:
        data = f.read()
    (header_len,) = struct.unpack_from("<Q", data, 0)
    header = json.loads(data[8 : 8 + header_len])
    base = 8 + header_len
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        raw = data[base + start : base + end]
        shape = tuple(info["shape"])
        dt = info["dtype"]
        if dt == "F32":
            arr = np.frombuffer(raw, dtype="<f4")
        elif dt == "F16":
            arr = np.frombuffer(raw, dtype="<f2").astype(np.float32)
        elif dt == "BF16":
            arr = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        elif dt == "F64":
            arr = np.frombuffer(raw, dtype="<f8").astype(np.float32)
        else:
            # Integer tensors in a Marian checkpoint are buffers we do not use; keep them so the
            # unused-tensor check can name them if they matter.
            arr = np.zeros(shape, dtype=np.float32)
            out[name] = arr
            continue
        out[name] = np.array(arr.reshape(shape), dtype=np.float32)
    return out


def read_bin(path):
    try:
        import torch  # noqa: PLC0415 - only for legacy checkpoints
    except ImportError as e:
        raise ConvertError(
            f"{os.path.basename(path)} is a PyTorch checkpoint and torch is not installed; "
            "save the model with safetensors (model.save_pretrained) or install torch"
        ) from e
    state = torch.load(path, map_location="cpu", weights_only=True)
    return {k: v.detach().to(torch.float32).numpy() for k, v in state.items() if v.is_floating_point()}


def read_weights(hf_dir):
    st = os.path.join(hf_dir, "model.safetensors")
    if os.path.exists(st):
        return read_safetensors(st)
    bn = os.path.join(hf_dir, "pytorch_model.bin")
    if os.path.exists(bn):
        return read_bin(bn)
    raise ConvertError(f"{hf_dir}: neither model.safetensors nor pytorch_model.bin found")


def read_json(path, what):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError as e:
        raise ConvertError(f"missing {what}: {path}") from e


def vocab_list(path, size, what):
    """vocab.json maps piece -> id; the file stores pieces in id order 0..size-1."""
    v = read_json(path, what)
    ids = sorted(v.values())
    if ids != list(range(len(ids))):
        raise ConvertError(f"{what}: ids are not 0..{len(ids) - 1} without gaps")
    if len(ids) != size:
        raise ConvertError(f"{what}: {len(ids)} pieces but the model has {size} embedding rows")
    pieces = [None] * size
    for piece, i in v.items():
        pieces[i] = piece
    return pieces


# ---------------------------------------------------------------------------------------------
# configuration


def read_config(hf_dir):
    cfg = read_json(os.path.join(hf_dir, "config.json"), "config.json")
    if cfg.get("model_type") != "marian":
        raise ConvertError(f"config.json: model_type must be \"marian\", found {cfg.get('model_type')!r}")
    for flag in REFUSED_FLAGS:
        if cfg.get(flag):
            raise ConvertError(f"config.json: {flag}=true is not supported (the engine runs post-norm Marian only)")
    act = cfg.get("activation_function", "swish")
    if act not in ACTIVATIONS:
        raise ConvertError(
            f"config.json: activation_function {act!r} is not supported (expected one of {', '.join(ACTIVATIONS)})"
        )
    d = int(cfg["d_model"])
    for side in ("encoder", "decoder"):
        h = int(cfg[f"{side}_attention_heads"])
        if h <= 0 or d % h:
            raise ConvertError(f"config.json: {side}_attention_heads={h} does not divide d_model={d}")
    vocab = int(cfg["vocab_size"])
    dec_vocab = cfg.get("decoder_vocab_size") or vocab
    shared = bool(cfg.get("share_encoder_decoder_embeddings", True))
    if shared and dec_vocab != vocab:
        raise ConvertError(
            f"config.json: shared embeddings need decoder_vocab_size == vocab_size, found {dec_vocab} and {vocab}"
        )
    pad = int(cfg["pad_token_id"])
    return {
        "d_model": d,
        "encoder_layers": int(cfg["encoder_layers"]),
        "decoder_layers": int(cfg["decoder_layers"]),
        "encoder_attention_heads": int(cfg["encoder_attention_heads"]),
        "decoder_attention_heads": int(cfg["decoder_attention_heads"]),
        "encoder_ffn_dim": int(cfg["encoder_ffn_dim"]),
        "decoder_ffn_dim": int(cfg["decoder_ffn_dim"]),
        "activation_function": ACTIVATIONS[act],
        "scale_embedding": bool(cfg.get("scale_embedding", False)),
        # Marian's layers are torch.nn.LayerNorm with its default epsilon; the config has no key.
        "layer_norm_eps": float(cfg.get("layer_norm_eps", 1e-5)),
        "max_position_embeddings": int(cfg["max_position_embeddings"]),
        "vocab_size": vocab,
        "decoder_vocab_size": int(dec_vocab),
        "share_encoder_decoder_embeddings": shared,
        "tie_word_embeddings": bool(cfg.get("tie_word_embeddings", True)),
        "pad_token_id": pad,
        "eos_token_id": int(cfg["eos_token_id"]),
        "decoder_start_token_id": int(cfg.get("decoder_start_token_id", pad)),
        "bad_words_ids": cfg.get("bad_words_ids"),
        "name_fields": {key: cfg[key] for key in NAME_KEYS if key in cfg},
    }


def forbidden_ids(hf_dir, c):
    """Marian never generates <pad>; add single-token bad_words_ids from the generation config."""
    ids = [c["pad_token_id"]]
    lists = [c.get("bad_words_ids")]
    gen = os.path.join(hf_dir, "generation_config.json")
    if os.path.exists(gen):
        lists.append(read_json(gen, "generation_config.json").get("bad_words_ids"))
    for bad in lists:
        for entry in bad or []:
            if isinstance(entry, list) and len(entry) == 1 and entry[0] not in ids:
                ids.append(int(entry[0]))
    for i in ids:
        if not 0 <= i < c["decoder_vocab_size"]:
            raise ConvertError(f"forbidden token id {i} is outside the target vocabulary ({c['decoder_vocab_size']})")
    return ids


# ---------------------------------------------------------------------------------------------
# tensors


def quantize(w):
    """Per-row symmetric INT8 exactly as docs/model-format.md: returns (q padded, scales)."""
    w = np.asarray(w, dtype=np.float32)
    rows, cols = w.shape
    maxabs = np.abs(w).max(axis=1)
    scale = np.where(maxabs > 0, maxabs / np.float32(127.0), np.float32(1.0)).astype(np.float32)
    q = np.clip(np.rint(w / scale[:, None]), -127, 127).astype(np.int8)
    padded = -(-cols // ROW_ALIGN) * ROW_ALIGN
    out = np.zeros((rows, padded), dtype=np.int8)
    out[:, :cols] = q
    return out, scale


def quant_error(w, q, scale):
    """Error of each dequantized weight relative to its row's largest magnitude (the range the
    row's scale covers): (max, mean) over the matrix. Round-to-nearest bounds the max by 0.5/127."""
    deq = q[:, : w.shape[1]].astype(np.float32) * scale[:, None]
    rowmax = np.maximum(np.abs(w).max(axis=1, keepdims=True), np.float32(1e-30))
    rel = np.abs(deq - w) / rowmax
    return float(rel.max()), float(rel.mean())


class Source:
    """The checkpoint's tensors, tracking which ones were used."""

    def __init__(self, tensors):
        self.t = tensors
        self.used = set()

    def get(self, *names, shape):
        for n in names:
            if n in self.t:
                a = self.t[n]
                if a.shape != tuple(shape):
                    raise ConvertError(f"tensor {n}: expected shape {tuple(shape)}, found {a.shape}")
                self.used.add(n)
                return a
        raise ConvertError(f"missing tensor {' or '.join(names)}")

    def unused(self):
        # Sinusoidal positions are recomputed at load; tied copies are the same matrix.
        ignorable = ("embed_positions", "model.shared.weight", "embed_tokens.weight", "lm_head.weight")
        return sorted(n for n in self.t if n not in self.used and not n.endswith(ignorable))


def collect_tensors(src, c):
    """Yields (gguf name, kind, array) in file order; kind is 'matrix' or 'vector'."""
    d, V, Vd = c["d_model"], c["vocab_size"], c["decoder_vocab_size"]
    if c["share_encoder_decoder_embeddings"]:
        emb = src.get("model.shared.weight", "model.encoder.embed_tokens.weight", shape=(V, d))
        yield "token_embd.weight", "matrix", emb
        dec_emb = emb
    else:
        yield "token_embd.weight", "matrix", src.get("model.encoder.embed_tokens.weight", shape=(V, d))
        dec_emb = src.get("model.decoder.embed_tokens.weight", shape=(Vd, d))
        yield "dec_token_embd.weight", "matrix", dec_emb
    if not c["tie_word_embeddings"]:
        yield "output.weight", "matrix", src.get("lm_head.weight", shape=(Vd, d))
    yield "final_logits_bias", "vector", src.get("final_logits_bias", shape=(1, Vd)).reshape(Vd)

    def linear(hf, ours, out, inp):
        yield f"{ours}.weight", "matrix", src.get(f"{hf}.weight", shape=(out, inp))
        yield f"{ours}.bias", "vector", src.get(f"{hf}.bias", shape=(out,))

    def norm(hf, ours, n):
        yield f"{ours}.weight", "vector", src.get(f"{hf}.weight", shape=(n,))
        yield f"{ours}.bias", "vector", src.get(f"{hf}.bias", shape=(n,))

    # The layers follow the engine's schema table, tensor by tensor, in its order.
    for side in ("encoder", "decoder"):
        layer = SCHEMA[f"{side}_layer"]
        dims = {"d_model": d, "ffn_dim": c[f"{side}_ffn_dim"]}
        for i in range(c[f"{side}_layers"]):
            hf, us = f"model.{side}.layers.{i}", f"{layer['prefix']}.{i}"
            for t in layer["tensors"]:
                shape = [dims[x] for x in t["shape"]]
                hf_name, ours = f"{hf}.{HF_LAYER_NAMES[t['name']]}", f"{us}.{t['name']}"
                if t["kind"] == "linear":
                    yield from linear(hf_name, ours, *shape)
                elif t["kind"] == "norm":
                    yield from norm(hf_name, ours, *shape)
                else:
                    raise ConvertError(f"weight_schema.json: unknown layer tensor kind {t['kind']!r}")


def schema_names(c, dtype):
    """Every tensor name the schema (tools/weight_schema.json) implies for config `c`, in order."""
    names = []
    present = {
        "always": True,
        "unless_shared_embeddings": not c["share_encoder_decoder_embeddings"],
        "unless_tied_output": not c["tie_word_embeddings"],
    }

    def add(name, kind):
        if kind == "vector":
            names.append(name)
        elif kind == "matrix":
            names.append(f"{name}.weight")
            if dtype == "int8":
                names.append(f"{name}.scale")
        elif kind == "linear":
            add(name, "matrix")
            names.append(f"{name}.bias")
        else:  # norm
            names.extend([f"{name}.weight", f"{name}.bias"])

    for t in SCHEMA["global"]:
        if present[t["presence"]]:
            add(t["name"], t["kind"])
    for side in ("encoder", "decoder"):
        layer = SCHEMA[f"{side}_layer"]
        for i in range(c[f"{side}_layers"]):
            for t in layer["tensors"]:
                add(f"{layer['prefix']}.{i}.{t['name']}", t["kind"])
    return names


# ---------------------------------------------------------------------------------------------
# name and languages

# OPUS-MT names: opus-mt-en-de, opus-mt-tc-big-en-fr, opus-mt-zh_Hant-en (multilingual groups such
# as opus-mt-en-ROMANCE name no single language and give none).
OPUS_MT_NAME = re.compile(r"opus-mt-(?:tc-[a-z0-9]+-)?([a-z]{2,3}(?:_[A-Za-z]+)?)-([a-z]{2,3}(?:_[A-Za-z]+)?)")
NAME_KEYS = ("_name_or_path", "name_or_path", "name", "model_name")


def describe(hf_dir, name_fields, name=None, source_lang=None, target_lang=None):
    """The model's name and languages, each from the first of: the caller's value (the flags);
    for the languages tokenizer_config.json's source_lang/target_lang, then an OPUS-MT name;
    for the name config.json's _name_or_path (or name) field, then the folder's name (a
    Hugging Face cache folder models--ORG--NAME gives NAME). Returns
    (name, source_lang, target_lang, {field: where it came from}); a language found nowhere is None."""
    origin = {}
    if name:
        origin["name"] = "--name"
    else:
        for key in NAME_KEYS:
            value = name_fields.get(key)
            if isinstance(value, str) and value.strip("/ "):
                name, origin["name"] = value.strip("/ ").split("/")[-1], f"config.json {key}"
                break
    if not name:
        parts = os.path.abspath(hf_dir).split(os.sep)
        cached = [p for p in parts if p.startswith("models--")]
        name = cached[-1].split("--")[-1] if cached else parts[-1]
        origin["name"] = "folder name"

    tok_path = os.path.join(hf_dir, "tokenizer_config.json")
    tok = read_json(tok_path, "tokenizer_config.json") if os.path.exists(tok_path) else {}
    m = OPUS_MT_NAME.search(name)
    langs = {"source_lang": source_lang, "target_lang": target_lang}
    for i, key in enumerate(("source_lang", "target_lang")):
        if langs[key]:
            origin[key] = "--" + key.replace("_", "-")
        elif isinstance(tok.get(key), str) and tok[key]:
            langs[key], origin[key] = tok[key], "tokenizer_config.json"
        elif m:
            langs[key], origin[key] = m.group(i + 1), "the OPUS-MT name"
    return name, langs["source_lang"], langs["target_lang"], origin


# ---------------------------------------------------------------------------------------------
# writing


def convert(hf_dir, out_path, dtype="int8", name=None, source_lang=None, target_lang=None, quiet=False,
            shortlist=None):
    """Converts and returns a summary dict (also printed unless quiet). `shortlist`: None, or a
    dict with `src` and `tgt` corpus paths and optional tools/shortlist.py `from_corpus` settings
    (top_k, frequent_n, min_prob, iterations, limit)."""
    t0 = time.time()
    c = read_config(hf_dir)
    name, source_lang, target_lang, origin = describe(hf_dir, c["name_fields"], name, source_lang, target_lang)
    src = Source(read_weights(hf_dir))
    spm_src = open_bytes(os.path.join(hf_dir, "source.spm"), "source.spm")
    spm_tgt = open_bytes(os.path.join(hf_dir, "target.spm"), "target.spm")
    vocab = vocab_list(os.path.join(hf_dir, "vocab.json"), c["vocab_size"], "vocab.json")
    tv_path = os.path.join(hf_dir, "target_vocab.json")
    target_vocab = None
    if os.path.exists(tv_path) and not c["share_encoder_decoder_embeddings"]:
        target_vocab = vocab_list(tv_path, c["decoder_vocab_size"], "target_vocab.json")
    elif c["decoder_vocab_size"] != c["vocab_size"]:
        raise ConvertError("decoder_vocab_size differs from vocab_size but there is no target_vocab.json")
    if "<unk>" not in vocab:
        raise ConvertError("vocab.json has no <unk> piece")
    unk = vocab.index("<unk>")
    forbidden = forbidden_ids(hf_dir, c)
    for key in ("pad_token_id", "eos_token_id"):
        if not 0 <= c[key] < min(c["vocab_size"], c["decoder_vocab_size"]):
            raise ConvertError(f"config.json: {key}={c[key]} is outside the vocabulary")

    tensors = list(collect_tensors(src, c))
    written = []
    for tname, kind, _ in tensors:
        written.append(tname)
        if kind == "matrix" and dtype == "int8":
            written.append(tname[: -len(".weight")] + ".scale")
    if written != schema_names(c, dtype):
        raise ConvertError("internal error: the tensors written differ from tools/weight_schema.json")
    leftover = src.unused()
    if leftover:
        raise ConvertError(
            "the checkpoint has tensors a post-norm Marian model does not use (a different architecture?): "
            + ", ".join(leftover[:8])
            + (" ..." if len(leftover) > 8 else "")
        )

    w = gguf.GGUFWriter(out_path, "marian")
    w.add_custom_alignment(ALIGNMENT)
    w.add_name(name)
    w.add_uint32("mobilenmt.format_version", FORMAT_VERSION)
    w.add_string("mobilenmt.dtype", dtype)
    for key in ("d_model", "encoder_layers", "decoder_layers", "encoder_attention_heads",
                "decoder_attention_heads", "encoder_ffn_dim", "decoder_ffn_dim"):
        w.add_uint32(f"marian.{key}", c[key])
    w.add_string("marian.activation_function", c["activation_function"])
    w.add_bool("marian.scale_embedding", c["scale_embedding"])
    w.add_float32("marian.layer_norm_eps", c["layer_norm_eps"])
    for key in ("max_position_embeddings", "vocab_size", "decoder_vocab_size"):
        w.add_uint32(f"marian.{key}", c[key])
    w.add_bool("marian.share_encoder_decoder_embeddings", c["share_encoder_decoder_embeddings"])
    w.add_bool("marian.tie_word_embeddings", c["tie_word_embeddings"])
    w.add_uint32("marian.pad_token_id", c["pad_token_id"])
    w.add_uint32("marian.eos_token_id", c["eos_token_id"])
    w.add_uint32("marian.unk_token_id", unk)
    w.add_uint32("marian.decoder_start_token_id", c["decoder_start_token_id"])
    u = gguf.GGUFValueType
    w.add_key_value("marian.forbidden_token_ids", forbidden, u.ARRAY, sub_type=u.UINT32)
    if source_lang:
        w.add_string("marian.source_lang", source_lang)
    if target_lang:
        w.add_string("marian.target_lang", target_lang)
    w.add_key_value("tokenizer.source_spm", spm_src, u.ARRAY, sub_type=u.UINT8)
    if spm_tgt != spm_src:  # one shared model is stored once; the loader reuses the source model
        w.add_key_value("tokenizer.target_spm", spm_tgt, u.ARRAY, sub_type=u.UINT8)
    w.add_key_value("tokenizer.vocab", vocab, u.ARRAY, sub_type=u.STRING)
    if target_vocab is not None:
        w.add_key_value("tokenizer.target_vocab", target_vocab, u.ARRAY, sub_type=u.STRING)
    shortlist_info = None
    if shortlist:
        sl = shortlist_module()
        opts = {k: v for k, v in shortlist.items() if k not in ("src", "tgt")}
        off, tg, fr, method = sl.from_corpus(hf_dir, shortlist["src"], shortlist["tgt"], c["vocab_size"],
                                             c["decoder_vocab_size"], c["eos_token_id"], forbidden, **opts)
        nbytes = sl.add_to_gguf(w, off, tg, fr, c["vocab_size"], c["decoder_vocab_size"], method)
        shortlist_info = {"entries": len(tg), "frequent": len(fr), "bytes": nbytes, "method": method}

    params = 0
    errors = []
    for tname, kind, arr in tensors:
        params += arr.size
        if kind == "matrix" and dtype == "int8":
            q, scale = quantize(arr)
            errors.append((tname, *quant_error(arr, q, scale)))
            w.add_tensor(tname, q)
            w.add_tensor(tname[: -len(".weight")] + ".scale", scale)
        else:
            w.add_tensor(tname, np.ascontiguousarray(arr, dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    summary = {
        "parameters": int(params),
        "file_size": os.path.getsize(out_path),
        "dtype": dtype,
        "tensors": len(tensors),
        "quant_errors": errors,
        "shortlist": shortlist_info,
        "seconds": time.time() - t0,
        "name": name,
        "source_lang": source_lang,
        "target_lang": target_lang,
        "origin": origin,
    }
    if not quiet:
        print_summary(out_path, c, summary)
    return summary


def shortlist_module():
    """tools/shortlist.py, wherever convert.py is imported from (only needed with --shortlist)."""
    here = os.path.dirname(os.path.abspath(__file__))
    if here not in sys.path:
        sys.path.insert(0, here)
    import shortlist  # noqa: PLC0415

    return shortlist


def open_bytes(path, what):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError as e:
        raise ConvertError(f"missing {what}: {path}") from e
    if not data:
        raise ConvertError(f"{what} is empty")
    return data


def print_summary(out_path, c, s):
    print(f"wrote {out_path}")
    where = s["origin"]
    print(f"  name: {s['name']} (from {where['name']})")
    for key, label in (("source_lang", "source"), ("target_lang", "target")):
        lang = s[key]
        print(f"  {label} language: " + (f"{lang} (from {where[key]})" if lang else
                                        f"unknown (give --{key.replace('_', '-')})"))
    print(
        f"  {c['encoder_layers']}+{c['decoder_layers']} layers, d_model {c['d_model']}, "
        f"vocab {c['vocab_size']}/{c['decoder_vocab_size']}, {c['activation_function']}, dtype {s['dtype']}"
    )
    print(f"  parameters: {s['parameters']:,}")
    print(f"  file size:  {s['file_size']:,} bytes ({s['file_size'] / 2**20:.2f} MiB)")
    if s["quant_errors"]:
        print("  INT8 error per matrix (|dequantized - w| / max|w| of its row):")
        for tname, mx, mean in s["quant_errors"]:
            print(f"    {tname:<28} max {mx:.2e}  mean {mean:.2e}")
        worst = max(s["quant_errors"], key=lambda e: e[1])
        print(f"  worst max relative error: {worst[1]:.2e} ({worst[0]})")
    if s["shortlist"]:
        sh = s["shortlist"]
        print(f"  shortlist: {sh['entries']:,} entries + {sh['frequent']} frequent, {sh['bytes']:,} bytes ({sh['method']})")
    print(f"  time: {s['seconds']:.2f} s")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("hf_dir", help="Hugging Face Marian model directory")
    ap.add_argument("out", help="output .gguf path")
    ap.add_argument("--dtype", choices=("int8", "f32"), default="int8")
    ap.add_argument("--name", help="display name stored as general.name")
    ap.add_argument("--source-lang", help="source language code, e.g. en")
    ap.add_argument("--target-lang", help="target language code, e.g. de")
    ap.add_argument("--shortlist", nargs=2, metavar=("CORPUS_SRC", "CORPUS_TGT"),
                    help="add a vocabulary shortlist built from this parallel corpus (text, .gz allowed)")
    ap.add_argument("--shortlist-k", type=int, default=50, help="targets per source token (default 50)")
    ap.add_argument("--shortlist-frequent", type=int, default=100, help="most frequent targets always allowed (100)")
    ap.add_argument("--shortlist-min-prob", type=float, default=1e-3, help="least t(target|source) kept (1e-3)")
    args = ap.parse_args(argv)
    shortlist = None
    if args.shortlist:
        shortlist = {"src": args.shortlist[0], "tgt": args.shortlist[1], "top_k": args.shortlist_k,
                     "frequent_n": args.shortlist_frequent, "min_prob": args.shortlist_min_prob}
    try:
        convert(args.hf_dir, args.out, args.dtype, args.name, args.source_lang, args.target_lang,
                shortlist=shortlist)
    except ConvertError as e:
        print(f"convert.py: refusing {args.hf_dir}: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
