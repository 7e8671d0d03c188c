"""Tests of the ctypes wrapper against the built library and the committed fixture models."""

from pathlib import Path

import pytest

import mobilenmt
from mobilenmt import MnmtError, Status, Translator

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
MODELS = sorted(DATA.glob("tiny-*/model-*.gguf"))

needs_models = pytest.mark.skipif(
    not MODELS, reason="fixture models tests/data/tiny-*/model-*.gguf not present"
)


def test_version():
    v = mobilenmt.version()
    assert v.count(".") == 2
    lib = mobilenmt.load_library()
    assert lib.mnmt_abi_version() == int(v.split(".")[0]) * 65536 + int(v.split(".")[1])


def test_missing_file_raises_io_error(tmp_path):
    with pytest.raises(MnmtError) as e:
        Translator(tmp_path / "missing.gguf")
    assert e.value.status == Status.IO_ERROR
    assert "mnmt_load" in e.value.message


def test_garbage_and_empty_bytes_are_bad_models(tmp_path):
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF" + b"\x00" * 100)
    with pytest.raises(MnmtError) as e:
        Translator(bad)
    assert e.value.status == Status.BAD_MODEL
    with pytest.raises(MnmtError) as e:
        Translator.from_bytes(b"")
    assert e.value.status == Status.BAD_MODEL


@needs_models
@pytest.mark.parametrize("path", MODELS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_model_info(path):
    with Translator(path) as t:
        info = t.info
    assert info.file_size == path.stat().st_size
    assert info.dtype in ("int8", "f32") and info.dtype in path.name
    assert info.d_model > 0 and info.d_model % info.encoder_heads == 0
    assert info.encoder_layers >= 1 and info.decoder_layers >= 1
    assert info.vocab_size > 0 and info.decoder_vocab_size > 0
    assert info.parameter_count > info.vocab_size * info.d_model
    assert info.activation in ("relu", "swish", "gelu", "gelu_tanh")
    if "untied" in path.parent.name:
        assert not info.shared_embeddings


@needs_models
def test_from_bytes_matches_file():
    path = MODELS[0]
    with Translator(path) as a, Translator.from_bytes(path.read_bytes()) as b:
        assert a.info == b.info


@needs_models
def test_truncated_model_is_rejected():
    data = MODELS[0].read_bytes()
    for n in (3, 64, len(data) // 3, len(data) - 1):
        with pytest.raises(MnmtError) as e:
            Translator.from_bytes(data[:n])
        assert e.value.status == Status.BAD_MODEL, n


@needs_models
def test_closed_translator_refuses_calls():
    t = Translator(MODELS[0])
    t.close()
    t.close()
    with pytest.raises(ValueError):
        t.info
