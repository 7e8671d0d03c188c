"""tools/convert.py: Hugging Face Marian directories to GGUF, checked with gguf's own reader and
gguf-dump. Needs numpy and gguf only: the random Marian checkpoints are written with numpy, in
the exact tensor names `MarianMTModel.save_pretrained` produces."""
import importlib.util
import json
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from gguf import GGUFReader, GGMLQuantizationType

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"

_spec = importlib.util.spec_from_file_location("convert", ROOT / "tools" / "convert.py")
convert = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(convert)


def write_safetensors(path, tensors, dtype="F32"):
    np_dtype = {"F32": "<f4", "F16": "<f2"}[dtype]
    header, blobs, offset = {}, [], 0
    for name, arr in tensors.items():
        raw = np.ascontiguousarray(arr, dtype=np_dtype).tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def make_marian(out, vocab_dir, *, shared=True, tied=True, enc=2, dec=1, d=32, enc_ffn=64, dec_ffn=48,
                act="swish", dtype="F32", extra_config=None, drop=(), add=None, seed=0):
    """A random Marian checkpoint in Hugging Face layout, using a fixture's spm files and vocab."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    for f in ("vocab.json", "target_vocab.json"):
        if (vocab_dir / f).exists():
            shutil.copy(vocab_dir / f, out / f)
    # The converter stores the SentencePiece files verbatim without parsing them; small stand-ins
    # keep gguf's reader (which decodes u8 arrays element by element) fast.
    (out / "source.spm").write_bytes(b"source spm " + bytes(range(256)))
    (out / "target.spm").write_bytes(b"target spm")
    V = len(json.loads((vocab_dir / "vocab.json").read_text()))
    tv = vocab_dir / "target_vocab.json"
    Vd = len(json.loads(tv.read_text())) if tv.exists() and not shared else V
    cfg = {
        "model_type": "marian", "architectures": ["MarianMTModel"], "d_model": d,
        "encoder_layers": enc, "decoder_layers": dec, "encoder_attention_heads": 4,
        "decoder_attention_heads": 2, "encoder_ffn_dim": enc_ffn, "decoder_ffn_dim": dec_ffn,
        "activation_function": act, "scale_embedding": True, "max_position_embeddings": 64,
        "vocab_size": V, "decoder_vocab_size": Vd, "share_encoder_decoder_embeddings": shared,
        "tie_word_embeddings": tied, "pad_token_id": V - 1, "eos_token_id": 0,
        "decoder_start_token_id": V - 1,
    }
    cfg.update(extra_config or {})
    (out / "config.json").write_text(json.dumps(cfg))

    t = {}

    def w(name, *shape):
        t[name] = rng.normal(0, 0.05, size=shape).astype(np.float32)

    if shared:
        w("model.shared.weight", V, d)
    else:
        w("model.encoder.embed_tokens.weight", V, d)
        w("model.decoder.embed_tokens.weight", Vd, d)
    if not tied:
        w("lm_head.weight", Vd, d)
    w("final_logits_bias", 1, Vd)
    for side, n, ffn in (("encoder", enc, enc_ffn), ("decoder", dec, dec_ffn)):
        for i in range(n):
            p = f"model.{side}.layers.{i}"
            attns = ["self_attn", "encoder_attn"] if side == "decoder" else ["self_attn"]
            for a in attns:
                for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
                    w(f"{p}.{a}.{proj}.weight", d, d)
                    w(f"{p}.{a}.{proj}.bias", d)
                w(f"{p}.{a}_layer_norm.weight", d)
                w(f"{p}.{a}_layer_norm.bias", d)
            w(f"{p}.fc1.weight", ffn, d)
            w(f"{p}.fc1.bias", ffn)
            w(f"{p}.fc2.weight", d, ffn)
            w(f"{p}.fc2.bias", d)
            w(f"{p}.final_layer_norm.weight", d)
            w(f"{p}.final_layer_norm.bias", d)
    for name in drop:
        del t[name]
    t.update(add or {})
    write_safetensors(out / "model.safetensors", t, dtype)
    return t


def gguf_dump(path):
    r = subprocess.run([sys.executable, "-m", "gguf.scripts.gguf_dump", str(path)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout


def fields(path):
    r = GGUFReader(str(path))
    return r, {name: f for name, f in r.fields.items()}


def scalar(f):
    return f.parts[f.data[0]].tolist()[0] if len(f.data) == 1 else [f.parts[i].tolist()[0] for i in f.data]


def text(f):
    return bytes(f.parts[f.data[0]]).decode()


@pytest.mark.parametrize("dtype", ["int8", "f32"])
@pytest.mark.parametrize("variant", ["shared", "untied"])
def test_random_marian_converts_and_dumps(tmp_path, dtype, variant):
    shared = variant == "shared"
    vocab_dir = DATA / ("tiny-swish" if shared else "tiny-relu-untied")
    hf = tmp_path / "hf"
    src = make_marian(hf, vocab_dir, shared=shared, tied=shared, enc=2 if shared else 1, dec=1 if shared else 2,
                      act="swish" if shared else "relu", dtype="F32" if shared else "F16")
    out = tmp_path / f"model-{dtype}.gguf"
    summary = convert.convert(str(hf), str(out), dtype=dtype, name="t", source_lang="en", target_lang="de", quiet=True)
    assert summary["file_size"] == out.stat().st_size

    dump = gguf_dump(out)
    assert "marian.d_model = 32" in dump
    assert "enc.0.attn_q.weight" in dump and "[UINT8]" in dump

    r, f = fields(out)
    assert scalar(f["general.alignment"]) == 64
    assert text(f["general.architecture"]) == "marian"
    assert text(f["mobilenmt.dtype"]) == dtype
    assert scalar(f["mobilenmt.format_version"]) == 1
    assert text(f["marian.activation_function"]) == ("swish" if shared else "relu")
    assert f["tokenizer.source_spm"].types[-1].name == "UINT8"
    assert bytes(np.concatenate([f["tokenizer.source_spm"].parts[i] for i in f["tokenizer.source_spm"].data])) == \
        (hf / "source.spm").read_bytes()
    vocab = json.loads((vocab_dir / "vocab.json").read_text())
    pieces = [bytes(f["tokenizer.vocab"].parts[i]).decode() for i in f["tokenizer.vocab"].data]
    assert pieces == sorted(vocab, key=vocab.get)
    assert ("tokenizer.target_vocab" in f) == (not shared)
    pad = len(vocab) - 1
    assert scalar(f["marian.forbidden_token_ids"]) == pad
    assert f["marian.forbidden_token_ids"].types[-1].name == "UINT32"
    assert scalar(f["marian.unk_token_id"]) == vocab["<unk>"]

    tensors = {t.name: t for t in r.tensors}
    assert ("dec_token_embd.weight" in tensors) == (not shared)
    assert ("output.weight" in tensors) == (not shared)
    for t in r.tensors:
        assert t.data_offset % 64 == 0, t.name
    q = tensors["enc.0.ffn_down.weight"]  # (32, 64): exactly one row of 64
    up = tensors["enc.0.ffn_up.weight"]  # (64, 32): 32 columns padded to 64
    hf_up = src["model.encoder.layers.0.fc1.weight"]
    if not shared:
        hf_up = hf_up.astype(np.float16).astype(np.float32)
    if dtype == "int8":
        assert up.tensor_type == GGMLQuantizationType.I8 and q.tensor_type == GGMLQuantizationType.I8
        data = np.asarray(up.data).reshape(64, 64)
        scale = np.asarray(tensors["enc.0.ffn_up.scale"].data)
        assert np.all(data[:, 32:] == 0)
        assert data.min() >= -127
        assert np.max(np.abs(data), axis=1).tolist() == [127] * 64
        deq = data[:, :32].astype(np.float32) * scale[:, None]
        assert np.all(np.abs(deq - hf_up) <= 0.5 * scale[:, None] * (1 + 1e-6))
        assert "enc.0.ffn_up.scale" in tensors and "enc.0.ffn_up.bias" in tensors
    else:
        assert up.tensor_type == GGMLQuantizationType.F32
        assert np.array_equal(np.asarray(up.data).reshape(64, 32), hf_up)
        assert not any(n.endswith(".scale") for n in tensors)
    assert np.asarray(tensors["final_logits_bias"].data).shape == (len(vocab) if shared else 800,)


def test_quantize_rounds_half_to_even_and_pads():
    w = np.array([[127.0, 0.5, 1.5, -2.5, -127.0], [0.0, 0.0, 0.0, 0.0, 0.0]], dtype=np.float32)
    q, scale = convert.quantize(w)
    assert q.shape == (2, 64) and q.dtype == np.int8
    assert scale.tolist() == [1.0, 1.0]
    assert q[0, :5].tolist() == [127, 0, 2, -2, -127]
    assert not q[:, 5:].any() and not q[1].any()
    mx, mean = convert.quant_error(w, q, scale)
    assert mx == pytest.approx(0.5 / 127) and 0 < mean < mx


def test_generation_config_bad_words_are_forbidden(tmp_path):
    hf = tmp_path / "hf"
    make_marian(hf, DATA / "tiny-swish")
    (hf / "generation_config.json").write_text(json.dumps({"bad_words_ids": [[999], [5], [6, 7]]}))
    out = tmp_path / "m.gguf"
    convert.convert(str(hf), str(out), quiet=True)
    _, f = fields(out)
    assert scalar(f["marian.forbidden_token_ids"]) == [999, 5]


@pytest.mark.parametrize("case,kwargs,needle", [
    ("pre-norm", {"extra_config": {"normalize_before": True}}, "normalize_before"),
    ("embedding norm", {"extra_config": {"normalize_embedding": True}}, "normalize_embedding"),
    ("final norm", {"extra_config": {"add_final_layer_norm": True}}, "add_final_layer_norm"),
    ("activation", {"act": "tanh"}, "activation_function 'tanh'"),
    ("heads", {"extra_config": {"encoder_attention_heads": 5}}, "does not divide"),
    ("model type", {"extra_config": {"model_type": "bart"}}, "model_type"),
    ("missing tensor", {"drop": ["model.encoder.layers.1.fc2.bias"]}, "model.encoder.layers.1.fc2.bias"),
    ("extra tensor", {"add": {"model.encoder.layernorm_embedding.weight": np.ones(32, np.float32)}},
     "layernorm_embedding"),
    ("wrong shape", {"add": {"model.encoder.layers.0.fc1.bias": np.ones(63, np.float32)}}, "fc1.bias"),
])
def test_unsupported_models_are_refused(tmp_path, case, kwargs, needle):
    hf = tmp_path / "hf"
    make_marian(hf, DATA / "tiny-swish", **kwargs)
    with pytest.raises(convert.ConvertError, match=needle.replace("(", r"\(")):
        convert.convert(str(hf), str(tmp_path / "m.gguf"), quiet=True)
    assert not (tmp_path / "m.gguf").exists()


def test_cli_reports_refusal_and_summary(tmp_path):
    hf = tmp_path / "hf"
    make_marian(hf, DATA / "tiny-swish")
    tool = str(ROOT / "tools" / "convert.py")
    r = subprocess.run([sys.executable, tool, str(hf), str(tmp_path / "m.gguf")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    for needle in ("parameters:", "file size:", "INT8 error", "token_embd.weight", "time:"):
        assert needle in r.stdout
    (hf / "source.spm").unlink()
    r = subprocess.run([sys.executable, tool, str(hf), str(tmp_path / "n.gguf")], capture_output=True, text=True)
    assert r.returncode == 2 and "source.spm" in r.stderr


@pytest.mark.parametrize("dtype", ["int8", "f32"])
@pytest.mark.parametrize("fixture", ["tiny-swish", "tiny-relu-untied"])
def test_trained_fixtures_convert(tmp_path, fixture, dtype):
    hf = DATA / fixture
    if not (hf / "config.json").exists():
        pytest.skip(f"tests/data/{fixture} has no trained model yet")
    out = tmp_path / f"{fixture}-{dtype}.gguf"
    convert.convert(str(hf), str(out), dtype=dtype, quiet=True)
    dump = gguf_dump(out)
    assert "token_embd.weight" in dump and f"mobilenmt.dtype = '{dtype}'" in dump


@pytest.mark.parametrize("case", ["tokenizer_config", "opus-mt config", "hf cache folder", "flags", "nothing"])
def test_name_and_languages_come_from_the_hugging_face_files(tmp_path, case):
    folder = {"hf cache folder": "models--Helsinki-NLP--opus-mt-en-fr/snapshots/0123abcd"}.get(case, "my-model")
    hf = tmp_path / folder
    extra = {"opus-mt config": {"_name_or_path": "Helsinki-NLP/opus-mt-tc-big-fr-es"}}.get(case, {})
    make_marian(hf, DATA / "tiny-swish", extra_config=extra)
    if case in ("tokenizer_config", "flags"):
        (hf / "tokenizer_config.json").write_text(json.dumps({"source_lang": "en", "target_lang": "de"}))
    flags = ["--name", "custom", "--source-lang", "pt", "--target-lang", "it"] if case == "flags" else []
    expected = {
        "tokenizer_config": ("my-model", "en", "de"),
        "opus-mt config": ("opus-mt-tc-big-fr-es", "fr", "es"),
        "hf cache folder": ("opus-mt-en-fr", "en", "fr"),
        "flags": ("custom", "pt", "it"),
        "nothing": ("my-model", None, None),
    }[case]
    out = tmp_path / "m.gguf"
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "convert.py"), str(hf), str(out), *flags],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert f"name: {expected[0]} (from " in r.stdout
    dump = gguf_dump(out)
    assert f"general.name = '{expected[0]}'" in dump
    for key, lang in zip(("marian.source_lang", "marian.target_lang"), expected[1:]):
        if lang is None:
            assert key not in dump
        else:
            assert f"{key} = '{lang}'" in dump


def test_opus_mt_names():
    for name, langs in [("opus-mt-en-de", ("en", "de")), ("opus-mt-tc-big-en-ko", ("en", "ko")),
                        ("opus-mt-zh_Hant-en", ("zh_Hant", "en")), ("opus-mt-en-ROMANCE", None),
                        ("mobilenmt-en-de", None)]:
        m = convert.OPUS_MT_NAME.search(name)
        assert (m.groups() if m else None) == langs, name
