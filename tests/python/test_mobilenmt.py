"""Tests of the ctypes wrapper against the built library and the committed fixture models
(or the models listed in MNMT_TEST_MODELS, separated by the path separator)."""

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import mobilenmt
from mobilenmt import MnmtError, Status, Translator

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
MODELS = (
    [Path(p) for p in os.environ["MNMT_TEST_MODELS"].split(os.pathsep)]
    if os.environ.get("MNMT_TEST_MODELS")
    else sorted(DATA.glob("tiny-*/model-*.gguf"))
)
SENTENCES = [
    "A man rides a bike down the street.",
    "Two dogs play in the snow.",
    "A woman is reading a book in the park.",
    "Children are playing football.",
]

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


@pytest.fixture(scope="module", params=MODELS, ids=lambda p: f"{p.parent.name}/{p.name}")
def translator(request):
    with Translator(request.param) as t:
        yield t


def test_kernel_name():
    name = mobilenmt.kernel_name()
    assert name and name != "unavailable"


@needs_models
def test_tokenize_ends_with_eos_and_round_trips(translator):
    ids = translator.tokenize(SENTENCES[0])
    info = translator.info
    assert len(ids) >= 2 and all(0 <= i < info.vocab_size for i in ids)
    assert translator.tokenize("") == ids[-1:]
    long_ids = translator.tokenize(" ".join(["word"] * 300))
    assert len(long_ids) > 300
    if info.shared_embeddings:
        assert translator.detokenize(ids) == SENTENCES[0]
    with pytest.raises(MnmtError) as e:
        translator.detokenize([info.decoder_vocab_size])
    assert e.value.status == Status.INVALID_ARGUMENT
    with pytest.raises(MnmtError) as e:
        translator.detokenize([-1])
    assert e.value.status == Status.INVALID_ARGUMENT


@needs_models
def test_translate_single_batch_and_options(translator):
    one = [translator.translate(s) for s in SENTENCES]
    assert all(isinstance(s, str) for s in one)
    assert translator.translate(SENTENCES) == one
    assert translator.translate([]) == []
    assert translator.translate(SENTENCES[0]) == one[0]  # deterministic
    beam = translator.translate(SENTENCES[1], beam_size=4)
    assert isinstance(beam, str)
    assert translator.translate([SENTENCES[1]], beam_size=4) == [beam]
    assert isinstance(translator.translate(""), str)


@needs_models
def test_documents_keep_their_structure(translator):
    one = [translator.translate(s, split_sentences=False) for s in SENTENCES[:3]]
    doc = f"  {SENTENCES[0]} {SENTENCES[1]}\n\n\t- {SENTENCES[2]}\n"
    want = f"  {one[0]} {one[1]}\n\n\t- {one[2]}\n"
    assert translator.translate(doc) == want
    assert translator.translate(doc, split_sentences=True) == want
    assert translator.translate([doc, "", "\n"]) == [want, "", "\n"]
    for same in ["", "\n", "  \n\n", "42", "3.5 %!"]:
        assert translator.translate(same) == same
    # Any length: far over the token limit, one sentence cut at its commas, and many lines.
    long = "word, " * 2000 + "end.\n" + (SENTENCES[0] + "\n") * 300
    out = translator.translate(long)
    assert out.count("\n") == long.count("\n")
    assert out.endswith(one[0] + "\n")


@needs_models
def test_translate_aligned(translator):
    for beam in (1, 4):
        for src in SENTENCES + ["Grüße aus Köln, Zoë!"]:
            text, links = translator.translate_aligned(src, beam_size=beam)
            assert text == translator.translate(src, beam_size=beam, split_sentences=False)
            n_src = len(translator.tokenize(src))
            prev_end = 0
            for i, link in enumerate(links):
                assert link.target_token == i
                assert 0 <= link.source_token < max(1, n_src - 1)
                s0, s1 = link.source_span
                t0, t1 = link.target_span
                assert 0 <= s0 <= s1 <= len(src)
                assert prev_end <= t0 <= t1 <= len(text)
                prev_end = t1


# The captions model: its translation of the sentence below is hand-checked, and unlike the default
# model it is never replaced.
CAPTIONS = Path(__file__).resolve().parents[2] / "models" / "mobilenmt-en-de-captions" / "model-int8.gguf"


@pytest.mark.skipif(not CAPTIONS.exists(), reason="captions model not present")
def test_translate_aligned_links_words_on_the_captions_model():
    with Translator(CAPTIONS) as t:
        src = "Two dogs are playing in the snow."
        text, links = t.translate_aligned(src)
        pairs = {text[slice(*l.target_span)]: src[slice(*l.source_span)] for l in links}
        assert text == "Zwei Hunde spielen im Schnee."
        assert pairs["Hunde"] == "dogs" and pairs["Schnee"] == "snow", pairs


SPAN_TEXTS = [
    ("Hello {name}, see https://example.com/a?b=1 😀.", ["{name}", "https://example.com/a?b=1", "😀"]),
    ("Grüße an Zoë: %1$s hat %d 👍🏽 von info@example.org", ["%1$s", "%d", "👍🏽", "info@example.org"]),
]


def test_protected_spans_come_back_once(translator):
    for split in (True, False):
        for beam in (1, 4):
            outs = translator.translate([t for t, _ in SPAN_TEXTS], beam_size=beam, split_sentences=split)
            for (text, spans), batched in zip(SPAN_TEXTS, outs):
                single = translator.translate(text, beam_size=beam, split_sentences=split)
                for out in (single, batched):
                    for span in spans:
                        assert out.count(span) == 1, (span, out)


def test_protect_spans_off_is_the_raw_text(translator):
    for text, _ in SPAN_TEXTS:
        raw = translator.translate_nbest(text, 1, split_sentences=False)[0][0]
        assert translator.translate(text, split_sentences=False, protect_spans=False) == raw


def test_caller_protected_ranges_are_character_offsets(translator):
    text = "Grüße an Zoë und FooBar, tschüß!"
    start = text.index("FooBar")
    for protect_spans in (True, False):
        out = translator.translate(
            text, protect=[(start, start + 6), (start + 2, start + 4)], protect_spans=protect_spans
        )
        assert out.count("FooBar") == 1, out
    assert translator.translate(text, protect=[]) == translator.translate(text)
    for bad in [(5, 3), (0, len(text) + 1), (-1, 2)]:
        with pytest.raises(ValueError):
            translator.translate(text, protect=[bad])
    with pytest.raises(TypeError):
        translator.translate([text], protect=[(0, 1)])


@needs_models
def test_nbest(translator):
    best = translator.translate(SENTENCES[2], beam_size=4)
    hyps = translator.translate_nbest(SENTENCES[2], 3, beam_size=4)
    assert 1 <= len(hyps) <= 3
    assert hyps[0][0] == best
    scores = [score for _, score in hyps]
    assert scores == sorted(scores, reverse=True) and all(s <= 0 for s in scores)


@needs_models
def test_errors_carry_status_and_message(translator):
    with pytest.raises(MnmtError) as e:
        translator.translate(SENTENCES[0], beam_size=0)
    assert e.value.status == Status.INVALID_ARGUMENT and "beam_size" in e.value.message
    with pytest.raises(MnmtError) as e:
        translator.translate_nbest(SENTENCES[0], 5, beam_size=4)
    assert e.value.status == Status.INVALID_ARGUMENT
    with pytest.raises(MnmtError) as e:
        translator.translate("word " * 2000, split_sentences=False)
    assert e.value.status == Status.INPUT_TOO_LONG
    long = translator.translate("word " * 2000, split_sentences=False, truncate=True,
                                max_output_tokens=8)
    assert isinstance(long, str)
    with pytest.raises(ValueError):
        translator.translate(SENTENCES[0], beam_size=-1)
    with pytest.raises(TypeError):
        translator.translate(b"bytes")


@needs_models
def test_eight_threads_share_one_handle(translator):
    inputs = SENTENCES * 4
    expected = [translator.translate(s, beam_size=2) for s in inputs]
    barrier = threading.Barrier(8)

    def work(k):
        barrier.wait()
        # Each thread walks the inputs from a different start, so calls really overlap.
        order = inputs[k:] + inputs[:k]
        return [translator.translate(s, beam_size=2) for s in order]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(8)))
    for k, got in enumerate(results):
        assert got == expected[k:] + expected[:k]


@needs_models
def test_close_waits_for_calls_in_flight():
    # Threads translate while another closes: every call either completes or raises
    # ValueError ("closed"); none crashes the interpreter or runs on a freed handle.
    for _ in range(5):
        t = Translator(MODELS[0])
        started = threading.Barrier(5)
        outcomes = []

        def work():
            started.wait()
            for _ in range(30):
                try:
                    outcomes.append(type(t.translate(SENTENCES[0] * 3, beam_size=2)))
                except ValueError:
                    outcomes.append(ValueError)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for th in threads:
            th.start()
        started.wait()
        t.close()
        for th in threads:
            th.join()
        assert set(outcomes) <= {str, ValueError} and len(outcomes) == 120
        with pytest.raises(ValueError):
            t.translate("x")


@needs_models
def test_close_from_a_callback_is_refused():
    t = Translator(MODELS[0])
    lib = mobilenmt.load_library()

    def collect(_user, _rank, ptr, length, score):
        with pytest.raises(RuntimeError):
            t.close()

    cb = mobilenmt._NBEST_CB(collect)
    opts = t._options(beam_size=2, num_hypotheses=2)
    data = SENTENCES[0].encode()
    with t._use() as h:
        assert lib.mnmt_translate_nbest(h, data, len(data), opts, cb, None) == Status.OK
    t.close()


def test_path_with_nul_is_a_value_error(tmp_path):
    real = MODELS[0] if MODELS else tmp_path / "model.gguf"
    with pytest.raises(ValueError, match="NUL"):
        Translator(str(real) + "\0ignored")
    with pytest.raises(ValueError, match="NUL"):
        Translator(os.fsencode(str(real)) + b"\0")


@needs_models
def test_integers_out_of_range_raise_instead_of_wrapping(translator):
    for kwargs in (
        {"beam_size": 2**32 + 1},
        {"beam_size": -1},
        {"max_output_tokens": 2**32},
        {"max_length_b": 2**64},
    ):
        with pytest.raises(ValueError):
            translator.translate(SENTENCES[0], **kwargs)
    with pytest.raises(ValueError):
        translator.detokenize([2**32 + 5])
    with pytest.raises(ValueError):
        translator.detokenize([-(2**31) - 1])
    with pytest.raises(TypeError):
        translator.translate(SENTENCES[0], beam_size=2.0)
    # In range but refused by the library: its status, as in C.
    with pytest.raises(MnmtError) as e:
        translator.translate(SENTENCES[0], beam_size=2**32 - 1)
    assert e.value.status == Status.INVALID_ARGUMENT
    with pytest.raises(MnmtError) as e:
        translator.detokenize([-5])
    assert e.value.status == Status.INVALID_ARGUMENT


@needs_models
def test_options_are_accepted_as_c_accepts_them(translator):
    # Any finite length penalty, negative included, as the C API takes it.
    for lp in (-2.0, 0.0, 0.5, 3):
        assert isinstance(translator.translate(SENTENCES[1], beam_size=2, length_penalty=lp), str)
    for bad in (float("nan"), float("inf")):
        with pytest.raises(MnmtError) as e:
            translator.translate(SENTENCES[1], length_penalty=bad)
        assert e.value.status == Status.INVALID_ARGUMENT
    with pytest.raises(MnmtError) as e:
        translator.translate(SENTENCES[1], max_length_a=-1.0)
    assert e.value.status == Status.INVALID_ARGUMENT
    with pytest.raises(ValueError):
        translator.translate(SENTENCES[1], length_penalty=1e39)
