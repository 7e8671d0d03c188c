"""``python -m mobilenmt``: translates text files (or stdin) to stdout, one line per sentence, like
the C example ``mnmt-translate`` (examples/c/mnmt_translate.c), with the same options and output.

    python -m mobilenmt -m MODEL.gguf [-b BEAM] [-n NBEST] [--truncate] [--info] [FILE...]

With ``-n N`` (N > 1) every input line prints N lines ``score<TAB>hypothesis``, best first. A line
that fails prints an empty line (so output lines stay aligned with input lines), the error goes to
stderr and the exit status is 1.
"""

from __future__ import annotations

import argparse
import sys
from typing import BinaryIO, Iterable, List, Optional

from . import MnmtError, Status, Translator, kernel_name, load_library, version

PROG = "python -m mobilenmt"


def _status_text(status: int) -> str:
    return str(load_library().mnmt_status_string(int(status)).decode())


def _positive(text: str) -> int:
    """A whole number in [1, 1000000], as the C example accepts for -b and -n."""
    if not text.isdigit() or not 1 <= int(text) <= 1_000_000:
        raise argparse.ArgumentTypeError(f"needs a whole number of at least 1, got '{text}'")
    return int(text)


def _print_info(t: Translator, out: BinaryIO) -> None:
    i = t.info
    lines = [
        f"model:      {i.name or '(unnamed)'} ({i.source_lang or '?'} -> {i.target_lang or '?'})",
        f"weights:    {i.dtype}, {i.parameter_count} parameters, {i.file_size} bytes",
        f"layers:     {i.encoder_layers} encoder + {i.decoder_layers} decoder, d_model {i.d_model}, "
        f"heads {i.encoder_heads}/{i.decoder_heads}, ffn {i.encoder_ffn_dim}/{i.decoder_ffn_dim}, "
        f"{i.activation}",
        f"vocabulary: {i.vocab_size} source, {i.decoder_vocab_size} target"
        + (" (shared)" if i.shared_embeddings else ""),
        f"kernels:    {kernel_name()}; mobilenmt {version()}",
    ]
    out.write(("\n".join(lines) + "\n").encode("utf-8"))


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(
        prog=PROG,
        description="Translates each FILE (stdin when none, or for '-') line by line to stdout: "
        "one output line per input line, an empty line where a line failed.",
    )
    ap.add_argument("files", nargs="*", metavar="FILE", help="text files, one sentence per line")
    ap.add_argument("-m", dest="model", required=True, help="model file (.gguf)")
    ap.add_argument("-b", dest="beam", type=_positive, default=None, help="beam size (default 1: greedy)")
    ap.add_argument("-n", dest="nbest", type=_positive, default=1, help="print the N best hypotheses")
    ap.add_argument("--truncate", action="store_true", help="cut over-long input instead of failing")
    ap.add_argument("--info", action="store_true", help="describe the model and exit")
    args = ap.parse_args(argv)

    out = sys.stdout.buffer
    try:
        t = Translator(args.model)
    except MnmtError as e:
        print(f"{PROG}: {_status_text(e.status)}: {e.message}", file=sys.stderr)
        return 1
    with t:
        if args.info:
            _print_info(t, out)
            out.flush()
            return 0
        beam = args.beam
        if args.nbest > 1 and (beam is None or beam < args.nbest):
            beam = args.nbest
        interactive = sys.stdout.isatty()
        rc = 0
        for path in args.files or ["-"]:
            if path == "-":
                rc |= _translate_stream(t, sys.stdin.buffer, "<stdin>", args, beam, out, interactive)
                continue
            try:
                f = open(path, "rb")
            except OSError as e:
                print(f"{PROG}: {path}: {e.strerror}", file=sys.stderr)
                rc = 1
                continue
            with f:
                rc |= _translate_stream(t, f, path, args, beam, out, interactive)
        out.flush()
        return rc


def _translate_stream(
    t: Translator,
    lines: Iterable[bytes],
    name: str,
    args: argparse.Namespace,
    beam: Optional[int],
    out: BinaryIO,
    interactive: bool,
) -> int:
    """Translates every line; returns 1 when one failed, else 0."""
    rc = 0
    for line_no, raw in enumerate(lines, 1):
        try:
            line = raw.rstrip(b"\r\n").decode("utf-8")
            if not line.strip(" \t"):
                # Nothing to translate: a blank line stays blank (as in mnmt-translate).
                out.write(b"\n")
            elif args.nbest > 1:
                hyps = t.translate_nbest(line, args.nbest, beam_size=beam, truncate=args.truncate)
                for text, score in hyps:
                    out.write(f"{score:.4f}\t{text}\n".encode("utf-8"))
            else:
                # One line, one sentence: the C example's --lines mode.
                text = t.translate(
                    line, beam_size=beam, truncate=args.truncate, split_sentences=False
                )
                out.write(text.encode("utf-8") + b"\n")
        except (MnmtError, UnicodeDecodeError) as e:
            if isinstance(e, MnmtError):
                why = f"{_status_text(e.status)}: {e.message}"
            else:
                why = (f"{_status_text(Status.INVALID_UTF8)}: input is not valid UTF-8 "
                       f"(first bad byte at offset {e.start})")
            print(f"{PROG}: {name}:{line_no}: {why}", file=sys.stderr)
            out.write(b"\n")  # keep output lines aligned with input lines
            rc = 1
        if interactive:
            out.flush()
    return rc


if __name__ == "__main__":
    sys.exit(main())
