//! # mobilenmt
//!
//! On-device neural machine translation: small Marian/MobileNMT Transformer models in one GGUF
//! file, INT8 GEMM kernels chosen at run time (NEON, dotprod, SSE4.1, AVX2, scalar), a decoding
//! loop that allocates nothing after warm-up, and a C ABI (`include/mobilenmt.h`).
//!
//! The Rust entry point is [`Translator`] (load a [`model::Model`], then translate), with its
//! [`Limits`] and per-call [`TranslateOptions`]; the C entry points are in [`capi`].
//!
//! Modules, one per concern, each using only those listed before it:
//! - [`error`]: the error type every layer returns; the C ABI maps it to `mnmt_status`.
//! - [`math`]: deterministic f32 numerics (the same bits on every CPU).
//! - [`model`]: the GGUF reader, the validated configuration and zero-copy weight views.
//! - [`tokenizer`]: SentencePiece (unigram) and Marian's vocabulary mapping, in Rust.
//! - [`kernels`]: INT8 GEMM and quantisation kernels, one file per ISA, dispatched once.
//! - [`nn`]: the Transformer as blocks (attention, feed-forward, residual and norm), encoder and
//!   decoder steps.
//! - `decode` (internal): greedy and beam search over a "logits of this step" decoder.
//! - [`translator`]: the [`Translator`], its limits and options: tokenize, encode, search,
//!   detokenize.
//! - [`pool`]: the persistent worker pool that splits one call's large GEMMs across cores.
//! - [`text`]: sentence splitting, document structure and over-long sentences, around the model.
//! - `markup` (internal): protected spans and markup taken out of the model's text and put back
//!   into the translation through an alignment.
//! - [`capi`]: the only `extern "C"` code.

pub mod capi;
mod decode;
pub mod error;
pub mod kernels;
pub(crate) mod markup;
/// HTML/XML input's markup checker: every tag of a page once in its translation, nesting kept
/// (`TranslateOptions::html`).
pub use markup::html;
pub mod math;
pub mod model;
pub mod nn;
pub mod pool;
pub mod text;
pub mod tokenizer;
pub mod translator;

pub use error::{Error, ErrorKind, Result};
pub use translator::{
    Aligned, AlignmentLink, Hypothesis, Limits, LoadOptions, TranslateOptions, Translator,
    MAX_BATCH_LIMIT, MAX_BEAM_LIMIT, MAX_HYPOTHESES,
};
