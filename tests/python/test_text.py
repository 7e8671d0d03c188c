"""Tests of mobilenmt.split_sentences (no model needed)."""

import pytest

import mobilenmt
from mobilenmt import MnmtError, Status


def test_english_rules():
    text = (
        'Mr. Smith met Dr. Jones, e.g. at 3.5 p.m. on Jan. 5. "Why?" he asked! '
        "J. R. R. Tolkien wrote it... Visit example.com. Done"
    )
    assert mobilenmt.split_sentences(text) == [
        "Mr. Smith met Dr. Jones, e.g. at 3.5 p.m. on Jan. 5.",
        '"Why?" he asked!',
        "J. R. R. Tolkien wrote it...",
        "Visit example.com.",
        "Done",
    ]


def test_german_rules():
    text = "Am 3. Oktober kam z. B. Hr. Müller bzw. Nr. 5. Die Zahl stieg auf 25. Das war’s?! „Ja.“ Gut."
    assert mobilenmt.split_sentences(text, lang="de") == [
        "Am 3. Oktober kam z. B. Hr. Müller bzw. Nr. 5.",
        "Die Zahl stieg auf 25.",
        "Das war’s?!",
        "„Ja.“",
        "Gut.",
    ]
    # The same ordinal in English text is a number at the end of a sentence.
    assert mobilenmt.split_sentences("Am 3. Oktober.", lang="en") == ["Am 3.", "Oktober."]


def test_lines_and_blank_text():
    assert mobilenmt.split_sentences("") == []
    assert mobilenmt.split_sentences(" \n\n\t ") == []
    assert mobilenmt.split_sentences("  one\n\ntwo. Three  \n") == ["one", "two.", "Three"]
    assert mobilenmt.split_sentences("1. First.\n2. Second.") == ["1. First.", "2. Second."]


def test_other_languages_and_tags():
    assert mobilenmt.split_sentences("你好。再见！", lang="zh") == ["你好。", "再见！"]
    assert mobilenmt.split_sentences("Dr. No. Yes.", lang="de-AT") == ["Dr. No.", "Yes."]
    assert mobilenmt.split_sentences("Ab. Cd.", lang="") == ["Ab.", "Cd."]


def test_many_sentences_grow_the_buffer():
    text = " ".join(f"Sentence number {i} is here." for i in range(1000))
    got = mobilenmt.split_sentences(text)
    assert len(got) == 1000
    assert got[999] == "Sentence number 999 is here."


def test_bad_arguments():
    with pytest.raises(TypeError):
        mobilenmt.split_sentences(b"bytes")
    with pytest.raises(TypeError):
        mobilenmt.split_sentences("text", lang=None)
    with pytest.raises(ValueError):
        mobilenmt.split_sentences("text", lang="e\0n")
    # A lone surrogate cannot be encoded as UTF-8.
    with pytest.raises(UnicodeEncodeError):
        mobilenmt.split_sentences("bad \udc80 text")


def test_invalid_utf8_from_c():
    lib = mobilenmt.load_library()
    n = mobilenmt.ctypes.c_size_t()
    status = lib.mnmt_split_sentences(b"ok \xff", 4, b"en", None, 0, mobilenmt.ctypes.byref(n))
    assert status == Status.INVALID_UTF8
    assert "mnmt_split_sentences" in lib.mnmt_last_error().decode()
    with pytest.raises(MnmtError):
        mobilenmt._check(status)
