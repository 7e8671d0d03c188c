#!/usr/bin/env python3
"""Train SentencePiece unigram models on Multi30k and write a Marian-style vocabulary.

Marian (and Hugging Face's MarianTokenizer) keeps two SentencePiece models, `source.spm` and
`target.spm`, and maps their pieces to model ids through `vocab.json`: `</s>` = 0, `<unk>` = 1,
then the pieces, with `<pad>` last. With `--joint` one model trained on both languages serves as
both files and the vocabulary is shared (the MobileNMT principle: shrink the vocabulary, share it).
With `--separate` each side gets its own model and vocabulary (`vocab.json` for the source,
`target_vocab.json` for the target), which exercises untied embeddings.

Usage: make_vocab.py --data DIR --out DIR --size N (--joint | --separate) [--max-lines N]
"""
import argparse
import gzip
import json
import os
import tempfile

import sentencepiece as spm


def read_lines(path, limit):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        lines = [line.rstrip("\n") for line in f]
    return lines[:limit] if limit else lines


def train(lines, prefix, size, seed_sentences):
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".txt", delete=False) as tmp:
        tmp.write("\n".join(lines) + "\n")
        name = tmp.name
    try:
        spm.SentencePieceTrainer.train(
            input=name,
            model_prefix=prefix,
            vocab_size=size,
            model_type="unigram",
            character_coverage=1.0,
            input_sentence_size=seed_sentences,
            shuffle_input_sentence=False,
            num_threads=2,
            minloglevel=2,
        )
    finally:
        os.unlink(name)


def marian_vocab(model_paths):
    """`</s>`=0, `<unk>`=1, pieces of each model in order (deduplicated), `<pad>` last."""
    vocab = {"</s>": 0, "<unk>": 1}
    for path in model_paths:
        sp = spm.SentencePieceProcessor(model_file=path)
        for i in range(sp.get_piece_size()):
            if sp.is_control(i) or sp.is_unknown(i):
                continue
            piece = sp.id_to_piece(i)
            if piece not in vocab:
                vocab[piece] = len(vocab)
    vocab["<pad>"] = len(vocab)
    return vocab


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="folder with train.en.gz and train.de.gz")
    ap.add_argument("--out", required=True)
    ap.add_argument("--size", type=int, required=True, help="pieces per SentencePiece model")
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--joint", action="store_true")
    mode.add_argument("--separate", action="store_true")
    ap.add_argument("--max-lines", type=int, default=0, help="use only the first N training lines")
    args = ap.parse_args()

    os.makedirs(args.out, exist_ok=True)
    en = read_lines(os.path.join(args.data, "train.en.gz"), args.max_lines)
    de = read_lines(os.path.join(args.data, "train.de.gz"), args.max_lines)
    src = os.path.join(args.out, "source.spm")
    tgt = os.path.join(args.out, "target.spm")
    if args.joint:
        train(en + de, os.path.join(args.out, "joint"), args.size, len(en) + len(de))
        os.replace(os.path.join(args.out, "joint.model"), src)
        os.unlink(os.path.join(args.out, "joint.vocab"))
        with open(src, "rb") as f, open(tgt, "wb") as g:
            g.write(f.read())
        vocabs = {"vocab.json": marian_vocab([src])}
    else:
        for lines, path in ((en, src), (de, tgt)):
            prefix = path[: -len(".spm")]
            train(lines, prefix, args.size, len(lines))
            os.replace(prefix + ".model", path)
            os.unlink(prefix + ".vocab")
        vocabs = {"vocab.json": marian_vocab([src]), "target_vocab.json": marian_vocab([tgt])}
    for name, vocab in vocabs.items():
        with open(os.path.join(args.out, name), "w", encoding="utf-8") as f:
            json.dump(vocab, f, ensure_ascii=False, indent=0)
        print(f"{name}: {len(vocab)} entries")


if __name__ == "__main__":
    main()
