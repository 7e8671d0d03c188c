"""tools/shortlist.py: Model 1 finds a known dictionary, the lists follow the format's rules, the
candidate set is the union the engine computes, and convert.py --shortlist writes a section the
engine accepts (and a broken one it refuses). Needs numpy and gguf; text is tokenized here by a
whitespace stand-in so that sentencepiece is not needed."""
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from gguf import GGUFReader, GGUFValueType

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
sys.path.insert(0, str(ROOT / "tools"))

import shortlist  # noqa: E402

_spec = importlib.util.spec_from_file_location("convert", ROOT / "tools" / "convert.py")
convert = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(convert)


def synthetic(n=400, seed=1):
    """Source tokens 3..12 translate to target token s + 20; every target sentence also holds
    token 40 (an article), and word order is shuffled."""
    rng = np.random.default_rng(seed)
    src, tgt = [], []
    for _ in range(n):
        s = rng.choice(np.arange(3, 13), size=rng.integers(2, 6), replace=False)
        t = np.append(s + 20, 40)
        rng.shuffle(t)
        src.append(s)
        tgt.append(t)
    return src, tgt


def test_model1_finds_the_dictionary_where_counts_alone_would_not():
    src, tgt = synthetic()
    s, t, p = shortlist.ibm1(src, tgt, 13, 50, iterations=5)
    for w in range(3, 13):
        mine = s == w
        best = t[mine][np.argmax(p[mine])]
        assert best == w + 20, f"source {w}: best target {best}"
        assert p[mine].max() > 0.5
        # every source co-occurs with the article as often as with its translation; EM gives the
        # article to the NULL token instead.
        assert p[mine & (t == 40)][0] < 0.2
    # probabilities of each source token sum to one
    for w in range(3, 13):
        assert abs(p[s == w].sum() - 1) < 1e-9


def test_lists_are_sorted_capped_filtered_and_valid():
    src, tgt = synthetic()
    s, t, p = shortlist.ibm1(src, tgt, 13, 50)
    off, tg, fr = shortlist.build(s, t, p, 13, 50, top_k=2, min_prob=1e-3, frequent=[40, 0, 1],
                                  copy=True, forbidden=[2, 23])
    shortlist.check(off, tg, fr, 13, 50)
    assert list(fr) == [0, 1, 40]
    for w in range(13):
        lst = list(tg[off[w]:off[w + 1]])
        assert lst == sorted(set(lst))
        assert 2 not in lst and 23 not in lst
        if 3 <= w < 13:
            assert w in lst  # copy candidate
            if w != 3:
                assert w + 20 in lst
            assert len(lst) <= 3
    assert off[1] - off[0] == 1  # token 0 has no translations, only its copy
    assert 2 not in tg[off[2]:off[3]]  # forbidden id is never its own copy
    # without copies, at most top_k per token
    off2, tg2, _ = shortlist.build(s, t, p, 13, 50, 2, 1e-3, [0], False, [])
    assert np.diff(off2).max() <= 2


def test_candidate_set_is_the_union():
    off = np.array([0, 0, 2, 3])
    tg = np.array([4, 7, 1])
    cs = shortlist.candidate_set(off, tg, np.array([5, 9]), eos=0, forbidden=[9], src=[1, 2, 1])
    assert list(cs) == [0, 1, 4, 5, 7]


class WordEncoder:
    """Whitespace tokens through the fixture's vocab.json, in place of sentencepiece."""

    def __init__(self, hf_dir, side):
        self.vocab = json.loads((Path(hf_dir) / "vocab.json").read_text(encoding="utf-8"))
        self.unk = self.vocab["<unk>"]
        self.size = len(self.vocab)

    def encode(self, lines):
        return [np.array([self.vocab.get(w, self.unk) for w in line.split()], dtype=np.int64) for line in lines]


def pieces(hf):
    v = json.loads((hf / "vocab.json").read_text(encoding="utf-8"))
    return [p for p in v if not p.startswith("<")]


@pytest.fixture
def corpus(tmp_path):
    hf = DATA / "tiny-swish"
    words = pieces(hf)
    rng = np.random.default_rng(0)
    src_lines, tgt_lines = [], []
    for _ in range(300):
        idx = rng.choice(len(words) // 2, size=4, replace=False)
        src_lines.append(" ".join(words[i] for i in idx))
        tgt_lines.append(" ".join(words[i + len(words) // 2] for i in idx[::-1]))
    (tmp_path / "c.src").write_text("\n".join(src_lines) + "\n", encoding="utf-8")
    (tmp_path / "c.tgt").write_text("\n".join(tgt_lines) + "\n", encoding="utf-8")
    return hf, tmp_path / "c.src", tmp_path / "c.tgt"


def field(reader, key):
    f = reader.fields[key]
    return f, np.array([f.parts[i][0] for i in f.data])


def test_convert_with_shortlist_writes_a_section_the_engine_loads(corpus, tmp_path, monkeypatch):
    hf, src, tgt = corpus
    monkeypatch.setattr(shortlist, "Encoder", WordEncoder)
    out = tmp_path / "sl.gguf"
    summary = convert.convert(str(hf), str(out), quiet=True,
                              shortlist={"src": str(src), "tgt": str(tgt), "top_k": 5, "frequent_n": 10})
    info = summary["shortlist"]
    assert info["entries"] > 0 and "ibm1" in info["method"]
    r = GGUFReader(out)
    cfg = json.loads((hf / "config.json").read_text())
    V = cfg["vocab_size"]
    f_off, off = field(r, "shortlist.offsets")
    f_tg, tg = field(r, "shortlist.targets")
    _, fr = field(r, "shortlist.frequent")
    assert f_off.types == [GGUFValueType.ARRAY, GGUFValueType.UINT32]
    assert f_tg.types == [GGUFValueType.ARRAY, GGUFValueType.UINT16]
    assert len(off) == V + 1 and off[-1] == len(tg) == info["entries"]
    shortlist.check(off, tg, fr, V, V)
    assert cfg["eos_token_id"] in fr and cfg["pad_token_id"] not in tg
    # A source piece whose translation the corpus fixes gets it.
    words = pieces(hf)
    vocab = json.loads((hf / "vocab.json").read_text(encoding="utf-8"))
    s_id, t_id = vocab[words[0]], vocab[words[len(words) // 2]]
    assert t_id in tg[off[s_id]:off[s_id + 1]]

    mobilenmt = pytest.importorskip("mobilenmt")
    plain = tmp_path / "plain.gguf"
    convert.convert(str(hf), str(plain), quiet=True)
    with mobilenmt.Translator(out) as a, mobilenmt.Translator(plain) as b:
        # The section changes nothing else: without the shortlist both files translate alike.
        src = "A man rides a bike."
        assert a.translate(src, shortlist=False) == b.translate(src)
        assert isinstance(a.translate(src), str)


def test_engine_refuses_a_broken_shortlist(tmp_path):
    import gguf

    mobilenmt = pytest.importorskip("mobilenmt")
    hf = DATA / "tiny-swish"
    V = json.loads((hf / "config.json").read_text())["vocab_size"]
    real = convert.gguf.GGUFWriter

    class Broken(real):
        def write_header_to_file(self, *a, **k):
            u = gguf.GGUFValueType
            self.add_uint32("shortlist.version", 1)
            self.add_key_value("shortlist.offsets", [0] + [2] * V, u.ARRAY, sub_type=u.UINT32)
            self.add_key_value("shortlist.targets", [7, 5], u.ARRAY, sub_type=u.UINT16)  # unsorted
            self.add_key_value("shortlist.frequent", [0], u.ARRAY, sub_type=u.UINT16)
            return super().write_header_to_file(*a, **k)

    convert.gguf.GGUFWriter = Broken
    try:
        convert.convert(str(hf), str(tmp_path / "bad.gguf"), quiet=True)
    finally:
        convert.gguf.GGUFWriter = real
    with pytest.raises(mobilenmt.MnmtError) as e:
        mobilenmt.Translator(tmp_path / "bad.gguf")
    assert e.value.status == mobilenmt.Status.BAD_MODEL
    assert "shortlist.targets" in e.value.message and "source token 0" in e.value.message
