#!/usr/bin/env python3
"""Convert a Hugging Face Marian model to CTranslate2 so that it computes what transformers computes.

CTranslate2's stock Marian loader (`ct2-transformers-converter`) assumes the OPUS-MT convention
that the `<pad>` row of the embedding is zero: it drops `<pad>` from the vocabulary and starts the
decoder from a zero vector. `MarianMTModel.generate` starts the decoder from the `<pad>` embedding
(`decoder_start_token_id` = pad), and in models trained with current transformers, like the
shipped one, that row is not zero. The stock conversion therefore changes the model's first
decoder step. This loader keeps the `<pad>` row and starts from it; `bench/peers.py` then bans
`<pad>` from the output as the model's generation_config.json does (`bad_words_ids`).

    convert_ct2.py HF_DIR OUT_DIR --quantization int8|float32 [--stock]

`--stock` runs the unmodified loader, to measure what the shortcut costs.
"""
import argparse
import sys

from ctranslate2.converters import transformers as ct2t


class ExactMarianLoader(ct2t.MarianMTLoader):
    def get_model_spec(self, model):
        model.config.normalize_before = False
        model.config.normalize_embedding = False
        # BartLoader's spec, without MarianMTLoader's removal of the <pad> rows.
        return ct2t.BartLoader.get_model_spec(self, model)

    def set_config(self, config, model, tokenizer):
        config.eos_token = tokenizer.eos_token
        config.unk_token = tokenizer.unk_token
        config.decoder_start_token = tokenizer.pad_token

    def set_decoder(self, spec, decoder):
        ct2t.BartLoader.set_decoder(self, spec, decoder)
        spec.start_from_zero_embedding = False

    def get_vocabulary(self, model, tokenizer):
        return ct2t.BartLoader.get_vocabulary(self, model, tokenizer)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("hf_dir")
    ap.add_argument("out_dir")
    ap.add_argument("--quantization", choices=("int8", "float32"), required=True)
    ap.add_argument("--stock", action="store_true", help="use CTranslate2's own Marian loader")
    args = ap.parse_args()
    if not args.stock:
        ct2t._MODEL_LOADERS["MarianConfig"] = ExactMarianLoader()
    ct2t.TransformersConverter(args.hf_dir).convert(args.out_dir, quantization=args.quantization, force=True)
    print(f"wrote {args.out_dir} ({'stock' if args.stock else 'exact'} Marian loader, {args.quantization})",
          file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
