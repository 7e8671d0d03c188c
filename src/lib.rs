//! # mobilenmt
//!
//! On-device neural machine translation: small Marian/MobileNMT Transformer models in one GGUF
//! file, INT8 GEMM kernels chosen at run time (NEON, dotprod, SSE4.1, AVX2, scalar), a decoding
//! loop that allocates nothing after warm-up, and a C ABI (`include/mobilenmt.h`).
//!
//! The Rust API, re-exported here: [`Translator`] (load a [`Model`], then translate; its
//! [`tokenizer`](Translator::tokenizer) and [`model`](Translator::model)), its [`LoadOptions`] and
//! [`Limits`], the per-call [`TranslateOptions`], the results ([`Hypothesis`], [`Aligned`] with
//! its [`AlignmentLink`]s), [`Error`] / [`ErrorKind`], and [`kernel_name`]. Three modules are
//! public for what they offer on their own: [`model`] (the loaded file: configuration,
//! vocabulary, zero-copy weight views), [`tokenizer`] (SentencePiece and Marian's vocabulary
//! mapping, as `mnmt_tokenize` exposes them) and [`text`] (sentence splitting and document
//! structure, as `mnmt_split_sentences` exposes them). The C entry points are in [`capi`].
//!
//! ```
//! use mobilenmt::{Limits, Model, TranslateOptions, Translator};
//!
//! # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/tiny-swish/model-int8.gguf");
//! let model = Model::load(path)?;
//! let translator = Translator::new(model, Limits::default())?;
//! let opts = TranslateOptions { beam_size: 4, ..TranslateOptions::default() };
//! let text = translator.translate("Hello world.", &opts)?;
//! println!("{text} (kernels: {})", mobilenmt::kernel_name()?);
//! # Ok::<(), mobilenmt::Error>(())
//! ```
//!
//! Modules, one per concern, each using only those listed before it (those without a link are
//! internal to the crate):
//! - `error`: the error type every layer returns; the C ABI maps it to `mnmt_status`.
//! - `math`: deterministic f32 numerics (the same bits on every CPU).
//! - [`model`]: the GGUF reader, the validated configuration and zero-copy weight views.
//! - [`tokenizer`]: SentencePiece (unigram) and Marian's vocabulary mapping, in Rust.
//! - `kernels`: INT8 GEMM and quantisation kernels, one file per ISA, dispatched once.
//! - `nn`: the Transformer as blocks (attention, feed-forward, residual and norm), encoder and
//!   decoder steps.
//! - `decode`: greedy and beam search over a "logits of this step" decoder.
//! - `translator`: the [`Translator`], its limits and options: tokenize, encode, search,
//!   detokenize.
//! - `pool`: the persistent worker pool that splits one call's large GEMMs across cores.
//! - [`text`]: sentence splitting, document structure and over-long sentences, around the model.
//! - `markup` (internal): protected spans and markup taken out of the model's text and put back
//!   into the translation through an alignment.
//! - [`capi`]: the only `extern "C"` code.

/// Declares a module that is internal to the crate: `pub(crate)`, or `pub` and `#[doc(hidden)]`
/// with the `internals` feature, which only the crate's own tests and benchmarks turn on (a
/// dev-dependency of the crate on itself) to check the kernels, the network and the worker pool
/// across the crate boundary. Not part of the API: no semver promise, not in the docs.
macro_rules! internal_mod {
    ($(#[$attr:meta])* $name:ident) => {
        #[cfg(feature = "internals")]
        #[doc(hidden)]
        $(#[$attr])*
        pub mod $name;
        #[cfg(not(feature = "internals"))]
        $(#[$attr])*
        pub(crate) mod $name;
    };
}

pub mod capi;
mod decode;
mod error;
internal_mod!(kernels);
mod markup;
internal_mod!(math);
pub mod model;
internal_mod!(nn);
internal_mod!(pool);
pub mod text;
pub mod tokenizer;
internal_mod!(translator);

pub use error::{Error, ErrorKind, Result};
pub use model::Model;
pub use translator::{
    Aligned, AlignmentLink, Hypothesis, Limits, LoadOptions, TranslateOptions, Translator,
    MAX_BATCH_LIMIT, MAX_BEAM_LIMIT, MAX_HYPOTHESES,
};

/// The name of the INT8 kernel set this process uses (`"avx2"`, `"neon"`, `"scalar"`...): chosen
/// once from the CPU, lowered by `MNMT_FORCE_ISA`; what `mnmt_kernel_name()` reports. An error
/// when `MNMT_FORCE_ISA` names no kernel set (or one this CPU lacks).
pub fn kernel_name() -> Result<&'static str> {
    kernels::active().map(|k| k.name)
}
