"""Python bindings for mobilenmt, the on-device translation library, through ctypes.

    from mobilenmt import Translator
    with Translator("model-int8.gguf") as t:
        print(t.translate("Two dogs play in the snow."))
        print(t.translate(["One.", "Two."], beam_size=4))

    import mobilenmt
    mobilenmt.split_sentences("Dr. Smith came. He left.")  # ['Dr. Smith came.', 'He left.']

The shared library is found through the ``MNMT_LIBRARY`` environment variable (a path), else
inside this package (where ``pip install`` puts it), else in the repository this file comes from
(``target/release``), else on the system library path. ``python -m mobilenmt`` translates stdin.
Every failure raises :class:`MnmtError`, which carries the status and the library's message.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import enum
import math
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union, overload

__all__ = [
    "Status",
    "MnmtError",
    "ModelInfo",
    "Translator",
    "version",
    "kernel_name",
    "load_library",
    "library_path",
    "split_sentences",
]


class Status(enum.IntEnum):
    """``mnmt_status`` values (stable numbers)."""

    OK = 0
    INVALID_ARGUMENT = 1
    IO_ERROR = 2
    BAD_MODEL = 3
    UNSUPPORTED_MODEL = 4
    INVALID_UTF8 = 5
    INPUT_TOO_LONG = 6
    BUFFER_TOO_SMALL = 7
    OUT_OF_MEMORY = 8
    INTERNAL = 9


class MnmtError(Exception):
    """A failed library call: ``status`` (a :class:`Status` or int) and ``message``."""

    def __init__(self, status: int, message: str) -> None:
        try:
            status = Status(status)
        except ValueError:
            pass
        self.status = status
        self.message = message
        name = status.name if isinstance(status, Status) else str(status)
        super().__init__(f"{name}: {message}")


class _ModelInfo(ctypes.Structure):
    # Mirrors mnmt_model_info in include/mobilenmt.h.
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("vocab_size", ctypes.c_uint32),
        ("decoder_vocab_size", ctypes.c_uint32),
        ("d_model", ctypes.c_uint32),
        ("encoder_layers", ctypes.c_uint32),
        ("decoder_layers", ctypes.c_uint32),
        ("encoder_heads", ctypes.c_uint32),
        ("decoder_heads", ctypes.c_uint32),
        ("encoder_ffn_dim", ctypes.c_uint32),
        ("decoder_ffn_dim", ctypes.c_uint32),
        ("shared_embeddings", ctypes.c_uint32),
        ("tied_output", ctypes.c_uint32),
        ("file_size", ctypes.c_uint64),
        ("parameter_count", ctypes.c_uint64),
        ("dtype", ctypes.c_char_p),
        ("activation", ctypes.c_char_p),
        ("name", ctypes.c_char_p),
        ("source_lang", ctypes.c_char_p),
        ("target_lang", ctypes.c_char_p),
    ]


class _Options(ctypes.Structure):
    # Mirrors mnmt_options in include/mobilenmt.h.
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("beam_size", ctypes.c_uint32),
        ("num_hypotheses", ctypes.c_uint32),
        ("length_penalty", ctypes.c_float),
        ("max_output_tokens", ctypes.c_uint32),
        ("max_length_a", ctypes.c_float),
        ("max_length_b", ctypes.c_uint32),
        ("truncate", ctypes.c_uint32),
        ("split_sentences", ctypes.c_uint32),
        ("shortlist", ctypes.c_uint32),
        ("protect_spans", ctypes.c_uint32),
    ]


class _LoadOptions(ctypes.Structure):
    # Mirrors mnmt_load_options in include/mobilenmt.h.
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("num_threads", ctypes.c_uint32),
        ("max_batch", ctypes.c_uint32),
        ("max_beam", ctypes.c_uint32),
        ("max_source_tokens", ctypes.c_uint32),
        ("max_target_tokens", ctypes.c_uint32),
    ]


class _Span(ctypes.Structure):
    # Mirrors mnmt_span in include/mobilenmt.h.
    _fields_ = [("offset", ctypes.c_size_t), ("len", ctypes.c_size_t)]


class _AlignmentLink(ctypes.Structure):
    # Mirrors mnmt_alignment_link in include/mobilenmt.h.
    _fields_ = [
        ("source_token", ctypes.c_uint32),
        ("target_token", ctypes.c_uint32),
        ("source_start", ctypes.c_uint32),
        ("source_end", ctypes.c_uint32),
        ("target_start", ctypes.c_uint32),
        ("target_end", ctypes.c_uint32),
    ]


@dataclass(frozen=True)
class AlignmentLink:
    """Target token ``target_token`` was produced attending most to source token
    ``source_token`` (indices into the token ids); ``source_span`` and ``target_span`` are
    ``(start, end)`` character offsets of the two tokens in the source and the translation."""

    source_token: int
    target_token: int
    source_span: Tuple[int, int]
    target_span: Tuple[int, int]


def _char_offsets(data: bytes) -> List[int]:
    """Character index of every byte offset 0..=len(data) of UTF-8 ``data``."""
    out = [0] * (len(data) + 1)
    chars = 0
    for i, b in enumerate(data):
        out[i] = chars
        if b & 0xC0 != 0x80:
            chars += 1
    out[len(data)] = chars
    return out


_BATCH_CB = ctypes.CFUNCTYPE(
    None, ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_char), ctypes.c_size_t
)
_NBEST_CB = ctypes.CFUNCTYPE(
    None,
    ctypes.c_void_p,
    ctypes.c_size_t,
    ctypes.POINTER(ctypes.c_char),
    ctypes.c_size_t,
    ctypes.c_float,
)

_P = ctypes.c_void_p
_SIGNATURES = {
    "mnmt_version": (ctypes.c_char_p, []),
    "mnmt_abi_version": (ctypes.c_uint32, []),
    "mnmt_kernel_name": (ctypes.c_char_p, []),
    "mnmt_status_string": (ctypes.c_char_p, [ctypes.c_int]),
    "mnmt_last_error": (ctypes.c_char_p, []),
    "mnmt_load": (ctypes.c_int, [ctypes.c_char_p, ctypes.POINTER(_P)]),
    "mnmt_load_from_memory": (ctypes.c_int, [ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(_P)]),
    "mnmt_load_ex": (ctypes.c_int, [ctypes.c_char_p, ctypes.POINTER(_LoadOptions), ctypes.POINTER(_P)]),
    "mnmt_load_from_memory_ex": (
        ctypes.c_int,
        [ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(_LoadOptions), ctypes.POINTER(_P)],
    ),
    "mnmt_load_options_default": (_LoadOptions, []),
    "mnmt_free": (None, [_P]),
    "mnmt_get_model_info": (ctypes.c_int, [_P, ctypes.POINTER(_ModelInfo)]),
    "mnmt_tokenize": (
        ctypes.c_int,
        [_P, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_int32), ctypes.c_size_t,
         ctypes.POINTER(ctypes.c_size_t)],
    ),
    "mnmt_detokenize": (
        ctypes.c_int,
        [_P, ctypes.POINTER(ctypes.c_int32), ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t,
         ctypes.POINTER(ctypes.c_size_t)],
    ),
    "mnmt_split_sentences": (
        ctypes.c_int,
        [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.POINTER(_Span),
         ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t)],
    ),
    "mnmt_options_default": (_Options, []),
    "mnmt_translate": (
        ctypes.c_int,
        [_P, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(_Options), ctypes.c_char_p,
         ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t)],
    ),
    "mnmt_translate_spans": (
        ctypes.c_int,
        [_P, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(_Span), ctypes.c_size_t,
         ctypes.POINTER(_Options), ctypes.c_char_p, ctypes.c_size_t,
         ctypes.POINTER(ctypes.c_size_t)],
    ),
    "mnmt_translate_aligned": (
        ctypes.c_int,
        [_P, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(_Options), ctypes.c_char_p,
         ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t), ctypes.POINTER(_AlignmentLink),
         ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t)],
    ),
    "mnmt_translate_batch": (
        ctypes.c_int,
        [_P, ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.c_size_t), ctypes.c_size_t,
         ctypes.POINTER(_Options), _BATCH_CB, ctypes.c_void_p],
    ),
    "mnmt_translate_nbest": (
        ctypes.c_int,
        [_P, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(_Options), _NBEST_CB,
         ctypes.c_void_p],
    ),
}


class _Lib:
    """The loaded shared library; functions are bound on first use."""

    def __init__(self, cdll: ctypes.CDLL, path: str) -> None:
        self._cdll = cdll
        self.path = path
        self._bound: Dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        fn = self._bound.get(name)
        if fn is None:
            restype, argtypes = _SIGNATURES[name]
            fn = getattr(self._cdll, name)
            fn.restype = restype
            fn.argtypes = argtypes
            self._bound[name] = fn
        return fn


_LIB: Optional[_Lib] = None


def _candidates() -> List[str]:
    env = os.environ.get("MNMT_LIBRARY")
    if env:
        return [env]
    names = ["libmobilenmt.so", "libmobilenmt.dylib", "mobilenmt.dll"]
    package = Path(__file__).resolve().parent
    repo = package.parent.parent
    dirs = [package, repo / "target" / "release"]
    found = [str(d / n) for d in dirs for n in names]
    found = [p for p in found if os.path.exists(p)]
    system = ctypes.util.find_library("mobilenmt")
    if system:
        found.append(system)
    return found


def load_library(path: Optional[str] = None) -> _Lib:
    """Loads (once) and returns the library; ``path`` overrides the search."""
    global _LIB
    if _LIB is None or path is not None:
        candidates = [path] if path else _candidates()
        if not candidates:
            raise OSError(
                "libmobilenmt not found: build it with `make build` or set MNMT_LIBRARY"
            )
        _LIB = _Lib(ctypes.CDLL(candidates[0]), candidates[0])
    return _LIB


def library_path() -> str:
    """The path (or, from the system search, the name) of the loaded library."""
    return load_library().path


def _check(status: int) -> None:
    if status != Status.OK:
        lib = load_library()
        raise MnmtError(status, lib.mnmt_last_error().decode("utf-8", "replace"))


def version() -> str:
    """The library version, e.g. ``"0.1.0"``."""
    return str(load_library().mnmt_version().decode())


def kernel_name() -> str:
    """The INT8 kernel set chosen for this CPU (``avx2``, ``neon``, ``scalar``, ...)."""
    return str(load_library().mnmt_kernel_name().decode())


def split_sentences(text: str, lang: str = "en") -> List[str]:
    """The sentences of ``text``, in order, without surrounding whitespace; needs no model.

    ``lang`` is the text's language tag (``"en"``, ``"de"``, ``"de-AT"``; only the primary
    subtag counts); other tags get the language-independent rules. Line breaks always end a
    sentence; blank text gives ``[]``. See ``mnmt_split_sentences`` in the header for the rules.
    """
    data = _encode(text)
    if not isinstance(lang, str):
        raise TypeError(f"lang must be str, got {type(lang).__name__}")
    if "\0" in lang:
        raise ValueError("lang contains a NUL character")
    lib = load_library()
    tag = lang.encode("utf-8")
    needed = ctypes.c_size_t()
    cap = max(4, len(data) // 64)
    while True:
        spans = (_Span * cap)()
        status = lib.mnmt_split_sentences(data, len(data), tag, spans, cap, ctypes.byref(needed))
        if status == Status.BUFFER_TOO_SMALL and needed.value > cap:
            cap = needed.value
            continue
        _check(status)
        return [
            data[s.offset : s.offset + s.len].decode("utf-8") for s in spans[: needed.value]
        ]


@dataclass(frozen=True)
class ModelInfo:
    """Facts about a loaded model (see ``mnmt_model_info`` in the header)."""

    vocab_size: int
    decoder_vocab_size: int
    d_model: int
    encoder_layers: int
    decoder_layers: int
    encoder_heads: int
    decoder_heads: int
    encoder_ffn_dim: int
    decoder_ffn_dim: int
    shared_embeddings: bool
    tied_output: bool
    file_size: int
    parameter_count: int
    dtype: str
    activation: str
    name: str
    source_lang: str
    target_lang: str


def _encode(text: str) -> bytes:
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    return text.encode("utf-8")


_U32_MAX = 2**32 - 1


def _byte_spans(text: str, protect: Sequence[Tuple[int, int]]) -> "ctypes.Array[_Span]":
    """Character ranges of ``text`` as the C call's byte spans."""
    spans = (_Span * len(protect))()
    for i, r in enumerate(protect):
        start, end = r
        start = _int_in("protect start", start, 0, len(text))
        end = _int_in("protect end", end, 0, len(text))
        if start > end:
            raise ValueError(f"protect range {i} is reversed: ({start}, {end})")
        offset = len(text[:start].encode("utf-8"))
        spans[i].offset = offset
        spans[i].len = len(text[start:end].encode("utf-8"))
    return spans


def _int_in(name: str, value: object, lo: int, hi: int) -> int:
    # ctypes would silently wrap an out-of-range int (2**32 + 1 becomes 1): refuse it instead.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be in {lo}..={hi}, got {value}")
    return value


def _float(name: str, value: object) -> float:
    # Any float reaches the library, which decides (NaN and infinities are INVALID_ARGUMENT
    # there), except values a C float cannot hold, which ctypes would turn into infinities.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    number = float(value)
    if math.isfinite(number) and abs(number) > 3.4028234663852886e38:
        raise ValueError(f"{name} does not fit a C float: {number}")
    return number


def _load_options(
    lib: _Lib,
    num_threads: Optional[int] = 0,
    max_batch: Optional[int] = None,
    max_beam: Optional[int] = None,
    max_source_tokens: Optional[int] = None,
    max_target_tokens: Optional[int] = None,
) -> _LoadOptions:
    opts: _LoadOptions = lib.mnmt_load_options_default()
    given = {
        "num_threads": num_threads,
        "max_batch": max_batch,
        "max_beam": max_beam,
        "max_source_tokens": max_source_tokens,
        "max_target_tokens": max_target_tokens,
    }
    for name, value in given.items():
        if value is None:
            continue
        # The library validates the ranges; only what a uint32_t cannot hold stops here.
        setattr(opts, name, _int_in(name, value, 0, _U32_MAX))
    return opts


class Translator:
    """A loaded model. Thread-safe: one instance may be shared by threads.

    ``Translator(path)`` maps a ``.gguf`` file; ``Translator.from_bytes(data)`` copies a model
    held in memory. Use it as a context manager, or call :meth:`close`.

    Load options (defaults in the header's ``mnmt_load_options``): ``num_threads`` (threads per
    call, the caller's included; 0 = the library picks, at most 4; 1 = no worker thread),
    ``max_batch``, ``max_beam``, ``max_source_tokens``, ``max_target_tokens``. Translations are
    identical for every thread count.

    ``close()`` waits for calls in flight on other threads, and later calls raise ``ValueError``.
    """

    def __init__(
        self,
        path: Union[str, "os.PathLike[str]", None] = None,
        *,
        num_threads: int = 0,
        max_batch: Optional[int] = None,
        max_beam: Optional[int] = None,
        max_source_tokens: Optional[int] = None,
        max_target_tokens: Optional[int] = None,
        _handle: Optional[_P] = None,
    ) -> None:
        self._lib = load_library()
        self._handle: Optional[_P] = None
        # Calls in flight per thread; close() frees the handle only when none is left.
        self._cond = threading.Condition()
        self._in_flight: Dict[int, int] = {}
        if _handle is not None:
            self._handle = _handle
            return
        if path is None:
            raise TypeError("Translator() needs a model path (or use Translator.from_bytes)")
        encoded = os.fsencode(path)
        if b"\0" in encoded:
            # C would read the path only up to the NUL and load another file.
            raise ValueError(f"model path contains a NUL byte: {path!r}")
        opts = _load_options(
            self._lib, num_threads, max_batch, max_beam, max_source_tokens, max_target_tokens
        )
        handle = _P()
        _check(self._lib.mnmt_load_ex(encoded, ctypes.byref(opts), ctypes.byref(handle)))
        self._handle = handle

    @classmethod
    def from_bytes(cls, data: bytes, **load_options: Optional[int]) -> "Translator":
        """Creates a translator from the bytes of a model file (the bytes are copied); the
        keyword arguments are the load options of ``Translator()``."""
        lib = load_library()
        opts = _load_options(lib, **load_options)
        handle = _P()
        _check(
            lib.mnmt_load_from_memory_ex(
                bytes(data), len(data), ctypes.byref(opts), ctypes.byref(handle)
            )
        )
        return cls(_handle=handle)

    # -- lifetime --------------------------------------------------------------------------

    def close(self) -> None:
        """Releases the model; the translator cannot be used afterwards. Calls running on
        other threads finish first (close() waits for them); calls made after close() starts
        raise ``ValueError``. Calling close() from a translation callback is a ``RuntimeError``."""
        cond = getattr(self, "_cond", None)
        if cond is None:  # __init__ failed before the lock existed
            return
        with cond:
            if self._in_flight.get(threading.get_ident()):
                raise RuntimeError("close() called from inside a call on the same translator")
            handle, self._handle = self._handle, None
            while self._in_flight:
                cond.wait()
        if handle is not None:
            self._lib.mnmt_free(handle)

    def __enter__(self) -> "Translator":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown may have torn ctypes down
            pass

    @contextlib.contextmanager
    def _use(self) -> Iterator[_P]:
        """The handle, held open for the duration of one library call."""
        me = threading.get_ident()
        with self._cond:
            if self._handle is None:
                raise ValueError("the translator is closed")
            handle = self._handle
            self._in_flight[me] = self._in_flight.get(me, 0) + 1
        try:
            yield handle
        finally:
            with self._cond:
                left = self._in_flight[me] - 1
                if left:
                    self._in_flight[me] = left
                else:
                    del self._in_flight[me]
                    self._cond.notify_all()

    # -- facts -----------------------------------------------------------------------------

    @property
    def info(self) -> ModelInfo:
        raw = _ModelInfo()
        raw.struct_size = ctypes.sizeof(_ModelInfo)
        with self._use() as h:
            _check(self._lib.mnmt_get_model_info(h, ctypes.byref(raw)))
        values: Dict[str, Any] = {}
        for name, _ in _ModelInfo._fields_:  # type: ignore[misc]
            if name == "struct_size":
                continue
            v = getattr(raw, name)
            if isinstance(v, bytes):
                v = v.decode("utf-8")
            elif name in ("shared_embeddings", "tied_output"):
                v = bool(v)
            values[name] = v
        return ModelInfo(**values)

    # -- tokens ----------------------------------------------------------------------------

    def tokenize(self, text: str) -> List[int]:
        """Source-side token ids of ``text``, ending with ``</s>``."""
        data = _encode(text)
        needed = ctypes.c_size_t()
        cap = len(data) + 2
        while True:
            ids = (ctypes.c_int32 * cap)()
            with self._use() as h:
                status = self._lib.mnmt_tokenize(h, data, len(data), ids, cap, ctypes.byref(needed))
            if status == Status.BUFFER_TOO_SMALL and needed.value > cap:
                cap = needed.value
                continue
            _check(status)
            return list(ids[: needed.value])

    def detokenize(self, ids: Sequence[int]) -> str:
        """Text of target-side token ids (special tokens dropped)."""
        ids = [_int_in("token id", i, -(2**31), 2**31 - 1) for i in ids]
        arr = (ctypes.c_int32 * len(ids))(*ids)
        return self._text_call(
            lambda h, buf, cap, n: self._lib.mnmt_detokenize(h, arr, len(ids), buf, cap, n),
            16 * len(ids) + 16,
        )

    def _text_call(self, call: Callable[[Any, Any, int, Any], int], cap: int) -> str:
        needed = ctypes.c_size_t()
        while True:
            buf = ctypes.create_string_buffer(cap)
            with self._use() as h:
                status = call(h, buf, cap, ctypes.byref(needed))
            if status == Status.BUFFER_TOO_SMALL and needed.value + 1 > cap:
                cap = needed.value + 1
                continue
            _check(status)
            return buf.raw[: needed.value].decode("utf-8")

    # -- translation -----------------------------------------------------------------------

    def _options(
        self,
        beam_size: Optional[int] = None,
        num_hypotheses: Optional[int] = None,
        length_penalty: Optional[float] = None,
        max_output_tokens: Optional[int] = None,
        max_length_a: Optional[float] = None,
        max_length_b: Optional[int] = None,
        truncate: Optional[bool] = None,
        split_sentences: Optional[bool] = None,
        shortlist: Optional[bool] = None,
        protect_spans: Optional[bool] = None,
    ) -> _Options:
        # Each value goes to the C struct as C would get it: integers must fit uint32_t (the
        # library checks the rest and answers INVALID_ARGUMENT), floats any C float.
        opts: _Options = self._lib.mnmt_options_default()
        ints = {
            "beam_size": beam_size,
            "num_hypotheses": num_hypotheses,
            "max_output_tokens": max_output_tokens,
            "max_length_b": max_length_b,
        }
        for name, value in ints.items():
            if value is not None:
                setattr(opts, name, _int_in(name, value, 0, _U32_MAX))
        floats = {"length_penalty": length_penalty, "max_length_a": max_length_a}
        for name, number in floats.items():
            if number is not None:
                setattr(opts, name, _float(name, number))
        if truncate is not None:
            opts.truncate = int(bool(truncate))
        if split_sentences is not None:
            opts.split_sentences = int(bool(split_sentences))
        if shortlist is not None:
            opts.shortlist = int(bool(shortlist))
        if protect_spans is not None:
            opts.protect_spans = int(bool(protect_spans))
        return opts

    @overload
    def translate(
        self, text: str, *, protect: Optional[Sequence[Tuple[int, int]]] = None, **options: Any
    ) -> str: ...

    @overload
    def translate(self, text: Sequence[str], **options: Any) -> List[str]: ...

    def translate(
        self,
        text: Union[str, Sequence[str]],
        *,
        protect: Optional[Sequence[Tuple[int, int]]] = None,
        **options: Any,
    ) -> Union[str, List[str]]:
        """Translates one text (returns ``str``) or a list of texts (returns ``list[str]``,
        in one batched pass).

        Options (defaults in the header's ``mnmt_options``): ``split_sentences`` (default
        True: each text is a document, cut into sentences that are translated in batches and
        put back with its line breaks, blank lines, indentation and whitespace unchanged, of
        any length; False: the text is one sentence for the model), ``beam_size``
        (1 = greedy), ``length_penalty``, ``max_output_tokens`` (0 = the translator's limit),
        ``max_length_a``, ``max_length_b``, ``truncate`` (with ``split_sentences=False``:
        over-long input is cut instead of raising ``INPUT_TOO_LONG``), ``shortlist`` (default
        True: use the model file's vocabulary shortlist when it has one), ``protect_spans``
        (default True: URLs, e-mail addresses, placeholders such as ``{name}`` or ``%s`` and
        emoji come back verbatim, each exactly once, where the alignment puts them).

        ``protect`` (one text only): ``(start, end)`` character ranges of ``text`` that come
        back verbatim, each exactly once, whatever ``protect_spans`` says (overlaps are
        merged). A range outside the text or reversed raises ``ValueError``.
        """
        opts = self._options(**options)
        if isinstance(text, str):
            data = _encode(text)
            if protect is None:
                return self._text_call(
                    lambda h, buf, cap, n: self._lib.mnmt_translate(
                        h, data, len(data), ctypes.byref(opts), buf, cap, n
                    ),
                    4 * len(data) + 64,
                )
            spans = _byte_spans(text, protect)
            return self._text_call(
                lambda h, buf, cap, n: self._lib.mnmt_translate_spans(
                    h, data, len(data), spans, len(spans), ctypes.byref(opts), buf, cap, n
                ),
                4 * len(data) + 64,
            )
        if protect is not None:
            raise TypeError("protect is for one text, not a list")
        texts = [_encode(t) for t in text]
        results: List[Optional[str]] = [None] * len(texts)

        def collect(_user: Any, index: int, ptr: Any, length: int) -> None:
            results[index] = ctypes.string_at(ptr, length).decode("utf-8")

        cb = _BATCH_CB(collect)
        ptrs = (ctypes.c_char_p * len(texts))(*texts)
        lens = (ctypes.c_size_t * len(texts))(*[len(t) for t in texts])
        with self._use() as h:
            status = self._lib.mnmt_translate_batch(
                h, ptrs, lens, len(texts), ctypes.byref(opts), cb, None
            )
            _check(status)
        if any(r is None for r in results):
            raise MnmtError(Status.INTERNAL, "the batch call skipped an input")
        return results  # type: ignore[return-value]

    def translate_aligned(self, text: str, **options: Any) -> Tuple[str, List[AlignmentLink]]:
        """The translation of ``text`` and its alignment to the source: one
        :class:`AlignmentLink` per generated token, from the decoder's cross-attention (last
        layer, averaged over heads). Options as for :meth:`translate`."""
        opts = self._options(**options)
        data = _encode(text)
        cap, links_cap = 4 * len(data) + 64, 64
        out_len, n_links = ctypes.c_size_t(), ctypes.c_size_t()
        while True:
            buf = ctypes.create_string_buffer(cap)
            links = (_AlignmentLink * links_cap)()
            with self._use() as h:
                status = self._lib.mnmt_translate_aligned(
                    h, data, len(data), ctypes.byref(opts), buf, cap,
                    ctypes.byref(out_len), links, links_cap, ctypes.byref(n_links),
                )
            if status == Status.BUFFER_TOO_SMALL and (
                out_len.value + 1 > cap or n_links.value > links_cap
            ):
                cap = max(cap, out_len.value + 1)
                links_cap = max(links_cap, n_links.value)
                continue
            _check(status)
            break
        out = buf.raw[: out_len.value]
        src_c, tgt_c = _char_offsets(data), _char_offsets(out)
        result = [
            AlignmentLink(
                l.source_token,
                l.target_token,
                (src_c[l.source_start], src_c[l.source_end]),
                (tgt_c[l.target_start], tgt_c[l.target_end]),
            )
            for l in links[: n_links.value]
        ]
        return out.decode("utf-8"), result

    def translate_nbest(
        self, text: str, num_hypotheses: int, beam_size: Optional[int] = None, **options: Any
    ) -> List[Tuple[str, float]]:
        """The ``num_hypotheses`` best translations with their scores, best first.
        ``beam_size`` defaults to ``num_hypotheses``."""
        opts = self._options(
            beam_size=beam_size if beam_size is not None else num_hypotheses,
            num_hypotheses=num_hypotheses,
            **options,
        )
        data = _encode(text)
        out: List[Tuple[str, float]] = []

        def collect(_user: Any, _rank: int, ptr: Any, length: int, score: float) -> None:
            out.append((ctypes.string_at(ptr, length).decode("utf-8"), float(score)))

        cb = _NBEST_CB(collect)
        with self._use() as h:
            _check(self._lib.mnmt_translate_nbest(h, data, len(data), ctypes.byref(opts), cb, None))
        return out
