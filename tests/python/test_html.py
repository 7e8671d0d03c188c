"""HTML input through the Python binding (``translate(text, html=True)``): every tag once, well
nested, attributes byte for byte, untranslated elements kept, malformed pages accepted, batch
and one-text calls agree; the plain-text default leaves markup to the model."""

import collections
import re
from pathlib import Path

import pytest

from mobilenmt import Translator

ROOT = Path(__file__).resolve().parents[2]
MODELS = [p for p in [ROOT / "models" / "mobilenmt-en-de" / "model-int8.gguf",
                      ROOT / "tests" / "data" / "tiny-swish" / "model-int8.gguf"] if p.exists()]
TAG = re.compile(r"<[^<>]*>")

PAGES = [
    "<p>Two dogs are playing in the <b>snow</b>.</p>",
    "<p>Children are playing <a href=\"https://example.com/a?x=1&amp;y=2\" class='c'>football</a>.</p>",
    "<ul><li>Two dogs.</li><li>A <i>woman</i> is reading.</li></ul>",
    "A man<br>rides a bicycle<img src=\"x.png\" alt=\"a > b\">.<!-- note -->",
    "<p>Run <code>ls &lt; x</code> now. Tom &amp; Jerry&nbsp;&copy; &unknown;</p>",
    "<div translate=\"no\">Two dogs.</div><script>if (a < b) {}</script><p>Two dogs.</p>",
]


def nested(tags):
    stack = []
    for t in tags:
        if t.startswith(("<!", "<?")) or t.endswith("/>"):
            continue
        name = re.match(r"</?([A-Za-z0-9]+)", t).group(1)
        if name in ("br", "img"):
            continue
        if t.startswith("</"):
            if not stack or stack.pop() != name:
                return False
        else:
            stack.append(name)
    return not stack


@pytest.fixture(params=MODELS, ids=[p.parent.name for p in MODELS])
def translator(request):
    with Translator(request.param) as t:
        yield t


@pytest.mark.skipif(not MODELS, reason="no model")
def test_tags_once_and_nested(translator):
    for page in PAGES:
        out = translator.translate(page, html=True)
        want = collections.Counter(TAG.findall(page.split("<script>")[0]))
        got = collections.Counter(TAG.findall(out.split("<script>")[0]))
        assert got == want, (page, out)
        assert nested(TAG.findall(out)), (page, out)


@pytest.mark.skipif(not MODELS, reason="no model")
def test_untranslated_and_escaped(translator):
    out = translator.translate(PAGES[4], html=True)
    assert "<code>ls &lt; x</code>" in out and "&unknown;" in out
    out = translator.translate(PAGES[5], html=True)
    assert out.startswith("<div translate=\"no\">Two dogs.</div><script>if (a < b) {}</script><p>")


@pytest.mark.skipif(not MODELS, reason="no model")
def test_malformed_pages_translate(translator):
    for page in ["<b>unclosed", "stray </i>", "<b>a <i>b</b> c</i>", "a < b", "&#xD800;", "<", ""]:
        out = translator.translate(page, html=True)
        assert collections.Counter(TAG.findall(out)) == collections.Counter(TAG.findall(page))


@pytest.mark.skipif(not MODELS, reason="no model")
def test_batch_equals_single_calls(translator):
    batch = translator.translate(PAGES, html=True)
    assert batch == [translator.translate(p, html=True) for p in PAGES]


@pytest.mark.skipif(not MODELS, reason="no model")
def test_plain_text_is_the_default(translator):
    page = "<p>Two dogs.</p>"
    assert translator.translate(page) == translator.translate(page, html=False)
    assert translator.translate(page, html=True).startswith("<p>")
