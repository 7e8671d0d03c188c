//! # mobilenmt
//!
//! On-device neural machine translation: small Marian/MobileNMT Transformer models in one GGUF
//! file, INT8 GEMM kernels chosen at run time (NEON, dotprod, SSE4.1, AVX2, scalar), a decoding
//! loop that allocates nothing after warm-up, and a C ABI (`include/mobilenmt.h`).
//!
//! Modules, one per concern:
//! - [`error`]: the error type every layer returns; the C ABI maps it to `mnmt_status`.
//! - [`math`]: deterministic f32 numerics (the same bits on every CPU).
//! - [`model`]: the GGUF reader, the validated configuration and zero-copy weight views.
//! - [`tokenizer`]: SentencePiece (unigram) and Marian's vocabulary mapping, in Rust.
//! - [`kernels`]: INT8 GEMM and quantisation kernels, one file per ISA, dispatched once.
//! - [`nn`]: the Transformer layers (embedding, attention, FFN, norm, encoder, decoder).
//! - [`decode`]: workspaces, greedy and beam search, the translator.
//! - [`text`]: sentence splitting, document structure and over-long sentences, around the model.
//! - [`capi`]: the only `extern "C"` code.

pub mod capi;
pub mod decode;
pub mod error;
pub mod kernels;
pub mod math;
pub mod model;
pub mod nn;
pub mod text;
pub mod tokenizer;

pub use error::{Error, ErrorKind, Result};
