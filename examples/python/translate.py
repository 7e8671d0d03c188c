"""Translates the command-line arguments (or stdin lines) with the Python wrapper.

    pip install .     # once, from the repository root (or run with PYTHONPATH=python)
    python examples/python/translate.py MODEL.gguf "How are you?" ...
"""

import sys

from mobilenmt import MnmtError, Translator


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    texts = sys.argv[2:] or [line.rstrip("\n") for line in sys.stdin]
    try:
        with Translator(sys.argv[1]) as t:
            info = t.info
            print(f"# {info.source_lang or '?'} -> {info.target_lang or '?'}, {info.dtype}",
                  file=sys.stderr)
            for src, out in zip(texts, t.translate(texts, beam_size=4)):
                print(f"{src}\n  -> {out}")
    except MnmtError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
