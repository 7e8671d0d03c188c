"""Load options from Python: Translator(path, num_threads=..., max_beam=...), validated by the
library, and translations identical for 1, 2 and 4 threads (the shipped model, where the large
products are split, and the fixtures)."""

from pathlib import Path

import pytest

from mobilenmt import MnmtError, Status, Translator

ROOT = Path(__file__).resolve().parents[2]
MODELS = sorted((ROOT / "tests" / "data").glob("tiny-*/model-*.gguf")) + [
    ROOT / "models" / "mobilenmt-en-de" / "model-int8.gguf"
]
SENTENCES = [
    "A man rides a bike down the street.",
    "Two women in bright red jackets are walking their three small dogs along the beach early "
    "in the morning while a man on a bicycle rides past them.",
    "Hi.",
]


def outputs(t):
    return (
        [t.translate(s) for s in SENTENCES]
        + [t.translate(s, beam_size=4) for s in SENTENCES]
        + t.translate(SENTENCES, beam_size=2)
    )


@pytest.mark.parametrize("path", [p for p in MODELS if p.exists()], ids=lambda p: p.parent.name + "/" + p.name)
def test_same_translations_for_1_2_4_threads(path):
    with Translator(path, num_threads=1) as t:
        want = outputs(t)
    for n in (2, 4, 0):
        with Translator(path, num_threads=n) as t:
            assert outputs(t) == want, f"{n} threads"
    with Translator.from_bytes(path.read_bytes(), num_threads=2) as t:
        assert outputs(t) == want


def test_invalid_load_options_are_errors():
    path = MODELS[0]
    for kwargs, words in [
        ({"num_threads": 257}, "num_threads"),
        ({"max_beam": 0}, "at least 1"),
        ({"max_beam": 65}, "max_beam"),
        ({"max_batch": 5000}, "max_batch"),
        ({"max_source_tokens": 1}, "max_source_tokens"),
    ]:
        with pytest.raises(MnmtError) as e:
            Translator(path, **kwargs)
        assert e.value.status == Status.INVALID_ARGUMENT, kwargs
        assert words in e.value.message, (kwargs, e.value.message)


def test_load_options_a_uint32_cannot_hold_are_value_errors():
    for value in (-1, 2**32):
        with pytest.raises(ValueError, match="num_threads"):
            Translator(MODELS[0], num_threads=value)
    with pytest.raises(TypeError):
        Translator(MODELS[0], max_beam=2.0)


def test_limits_are_enforced_per_call():
    with Translator(MODELS[0], num_threads=2, max_beam=2) as t:
        assert t.translate("Hi.", beam_size=2)
        with pytest.raises(MnmtError) as e:
            t.translate("Hi.", beam_size=4)
        assert e.value.status == Status.INVALID_ARGUMENT
