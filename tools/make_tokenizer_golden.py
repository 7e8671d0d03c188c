#!/usr/bin/env python3
"""Write the tokenizer golden files that tests/tokenizer.rs checks the Rust tokenizer against.

The reference is transformers' MarianTokenizer (without sacremoses) over the Python
`sentencepiece` package, with the fixture models' SentencePiece models and vocabularies:
- tiny-swish: one joint model and vocabulary; English and German lines both go through the
  source side.
- tiny-relu-untied: separate vocabularies; English lines use the source side (source.spm,
  vocab.json), German lines the target side (target.spm, target_vocab.json, `text_target=`).

Outputs (under --out):
- corpus.bin: every line of Multi30k train/val/test_2016_flickr in both languages, stored
  losslessly with a word dictionary (no gzip in the Rust test), and per line a 32-bit FNV-1a hash
  of the expected ids of all models (each model's ids as u32 LE, models separated by 0xFFFFFFFF),
  plus per model the expected `decode(ids, skip_special_tokens=True)` of the lines where that is
  not the line itself. Layout (little-endian, varints are LEB128, a string is varint byte length
  + UTF-8 bytes):
    b"MNMTTOK2", varint n_models, n_models x string, varint n_words, n_words x string,
    varint n_sections, per section: string name, varint n_lines, per line varint n_tokens and
    n_tokens x varint word index (a line is its words joined by single spaces), n_lines x u32
    hash, then per model: u8 side (0 source, 1 target), u8 decodable, varint n_exceptions,
    n_exceptions x (varint line, string).
- cases.tsv: hand-written inputs the corpus lacks, and random id sequences for decoding. One case a
  line: name, model, side (source/target/decode), text, ids, expected decode. Text is JSON, or
  `*N*JSON` for the JSON string repeated N times; ids are space-separated, or `#N:HASH` (count
  and FNV-1a of the ids) for long outputs; the decode is JSON, `-` when not applicable, or
  `#N:HASH` (byte length and FNV-1a of the UTF-8 bytes).

Usage: make_tokenizer_golden.py [--data ../shared/data/multi30k] [--fixtures tests/data]
       [--out tests/data/tokenizer]
"""
import argparse
import collections
import gzip
import json
import os
import random
import struct
import warnings

warnings.filterwarnings("ignore")
from transformers import MarianTokenizer  # noqa: E402

SECTIONS = ["train", "val", "test_2016_flickr"]
LANGS = ["en", "de"]


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def string(s):
    b = s.encode("utf-8")
    return varint(len(b)) + b


def fnv1a(ids, h=0x811C9DC5):
    for i in ids:
        for byte in struct.pack("<I", i):
            h ^= byte
            h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def fnv1a_bytes(data):
    h = 0x811C9DC5
    for byte in data:
        h ^= byte
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def text_field(text):
    """Long inputs that repeat a unit are written as the unit and a count."""
    if len(text) > 2000:
        for unit_len in range(1, 200):
            unit = text[:unit_len]
            n = len(text) // unit_len
            if unit * n == text:
                return f"*{n}*" + json.dumps(unit, ensure_ascii=False)
    return json.dumps(text, ensure_ascii=False)


def ids_field(ids):
    return f"#{len(ids)}:{fnv1a(ids)}" if len(ids) > 1000 else " ".join(map(str, ids))


def decode_field(text):
    data = text.encode("utf-8")
    return f"#{len(data)}:{fnv1a_bytes(data)}" if len(data) > 2000 else json.dumps(text, ensure_ascii=False)


def load_tokenizer(fixtures, name):
    d = os.path.join(fixtures, name)
    separate = os.path.exists(os.path.join(d, "target_vocab.json"))
    return MarianTokenizer(
        os.path.join(d, "source.spm"),
        os.path.join(d, "target.spm"),
        os.path.join(d, "vocab.json"),
        target_vocab_file=os.path.join(d, "target_vocab.json") if separate else None,
        separate_vocabs=separate,
    ), separate


def encode(tok, text, target):
    if target:
        return tok(text_target=text)["input_ids"]
    return tok(text)["input_ids"]


def read_lines(path):
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        data = f.read()
    lines = data.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def hand_cases():
    sentence = "A man in an orange hat starring at something. "
    cases = [
        ("empty", ""),
        ("one space", " "),
        ("only spaces", "     "),
        ("leading spaces", "   two dogs"),
        ("trailing spaces", "two dogs   "),
        ("multiple spaces", "two    dogs  run\u0020 fast"),
        ("tabs and newlines", "\ttwo\tdogs\nrun\r\nfast\n"),
        ("only whitespace mix", " \t\n\r\u3000 "),
        ("ideographic and nbsp spaces", "two\u3000dogs\u00a0run\u2009fast"),
        ("full-width letters", "Ｆｕｌｌ－ｗｉｄｔｈ ＡＢＣ ａｂｃ １２３！"),
        ("ligatures", "ﬁne ﬂowers ﬀ ﬃ ﬄ ﬅ"),
        ("composed umlauts", "Müller läuft über die Straße, Ärger, Öl"),
        ("decomposed umlauts", "Mu\u0308ller la\u0308uft u\u0308ber die Straße, A\u0308rger, O\u0308l"),
        ("nfkc compatibility", "™ ½ ² ℃ … Ⅻ ① ㎏ ﬁ ſ µ"),
        ("emoji", "😀 two dogs 👍🏽 👨\u200d👩\u200d👧 🇩🇪"),
        ("cjk", "你好，世界。日本語のテキスト 한국어"),
        ("outside the vocabulary", "ǅ Ω ∑ ⁇ ж ك א ∞ ♞"),
        ("unknown run inside a word", "dogs你好你好cats"),
        ("zero width and soft hyphen", "two\u200bdogs\u00adrun\u200d\ufeff"),
        ("control characters", "two\x00dogs\x01run\x7f\x1ffast"),
        ("combining mark alone", "\u0301 a\u0301 \u0308"),
        ("special tokens in text", "a man </s> walks <unk> x<pad>y"),
        ("special tokens touching", "</s></s><unk>"),
        ("language code", ">>de<< a dog runs"),
        ("language code only", ">>de<<"),
        ("language code mid text", "a dog >>de<< runs"),
        ("marker characters", "a \u2581 b \u2581\u2581 c\u2581"),
        ("punctuation", "\"Hello,\" she said -- (quietly)... 'yes'? [no]; {ok}: 50% & $5 #1 @home"),
        ("digits", "0123456789 3.14159 1,000,000 2024-01-01"),
        ("very long word", "a" * 5000),
        ("very long german word", "Donaudampfschifffahrtsgesellschaftskapitän" * 60),
        ("very long unknown run", "你" * 3000),
        ("long mixed word", ("xyzäöü😀" * 700)),
        ("100 KB input", sentence * (100_000 // len(sentence) + 1)),
        ("100 KB word", ("abcdefghij" * 10_000)),
    ]
    return cases


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="../shared/data/multi30k")
    ap.add_argument("--fixtures", default="tests/data")
    ap.add_argument("--out", default="tests/data/tokenizer")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    sections = []
    for sec in SECTIONS:
        for lang in LANGS:
            sections.append((f"{sec}.{lang}", lang, read_lines(os.path.join(args.data, f"{sec}.{lang}.gz"))))

    counts = collections.Counter(w for _, _, lines in sections for line in lines for w in line.split(" "))
    words = [w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    index = {w: i for i, w in enumerate(words)}

    models = ["tiny-swish", "tiny-relu-untied"]
    toks = {m: load_tokenizer(args.fixtures, m) for m in models}

    blob = bytearray(b"MNMTTOK2")
    blob += varint(len(models))
    for m in models:
        blob += string(m)
    blob += varint(len(words))
    for w in words:
        blob += string(w)
    blob += varint(len(sections))
    totals = collections.Counter()
    for name, lang, lines in sections:
        blob += string(name) + varint(len(lines))
        for line in lines:
            parts = line.split(" ")
            blob += varint(len(parts))
            for t in parts:
                blob += varint(index[t])
        hashes = [0x811C9DC5] * len(lines)
        per_model = []
        for m in models:
            tok, separate = toks[m]
            target = separate and lang == "de"
            decodable = (not separate) or target
            exceptions = []
            for i, line in enumerate(lines):
                ids = encode(tok, line, target)
                if m != models[0]:
                    hashes[i] = fnv1a([0xFFFFFFFF], hashes[i])
                hashes[i] = fnv1a(ids, hashes[i])
                if decodable:
                    dec = tok.decode(ids, skip_special_tokens=True)
                    if dec != line:
                        exceptions.append((i, dec))
            totals["lines"] += len(lines)
            totals["decoded"] += len(lines) if decodable else 0
            totals["exceptions"] += len(exceptions)
            per_model.append((1 if target else 0, 1 if decodable else 0, exceptions))
            print(f"{m} {name}: {len(lines)} lines, {len(exceptions)} decode != line")
        blob += struct.pack(f"<{len(hashes)}I", *hashes)
        for side, decodable, exceptions in per_model:
            blob += bytes([side, decodable]) + varint(len(exceptions))
            for i, dec in exceptions:
                blob += varint(i) + string(dec)
    with open(os.path.join(args.out, "corpus.bin"), "wb") as f:
        f.write(blob)
    print(f"corpus.bin: {len(blob)} bytes, {len(words)} words, totals {dict(totals)}")

    rows = []
    rng = random.Random(1234)
    for model in models:
        tok, separate = toks[model]
        sides = ["source", "target"] if separate else ["source"]
        for name, text in hand_cases():
            for side in sides:
                target = side == "target"
                ids = encode(tok, text, target)
                decodable = (not separate) or target
                dec = decode_field(tok.decode(ids, skip_special_tokens=True)) if decodable else "-"
                rows.append("\t".join([name, model, side, text_field(text), ids_field(ids), dec]))
        # Random target id sequences: decoding of arbitrary model output, specials included.
        n_target = len(tok.target_encoder) if separate else len(tok.encoder)
        specials = [tok.eos_token_id, tok.unk_token_id, tok.pad_token_id]
        for k in range(300):
            length = rng.randint(0, 40)
            ids = [rng.choice(specials) if rng.random() < 0.08 else rng.randrange(n_target) for _ in range(length)]
            dec = tok.decode(ids, skip_special_tokens=True)
            rows.append("\t".join([f"random ids {k}", model, "decode", "-", ids_field(ids), decode_field(dec)]))
    with open(os.path.join(args.out, "cases.tsv"), "w", encoding="utf-8") as f:
        f.write("\n".join(rows) + "\n")
    print(f"cases.tsv: {len(rows)} cases")


if __name__ == "__main__":
    main()
