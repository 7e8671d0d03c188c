//! The C ABI: the only `extern "C"` code of the crate, exported as `include/mobilenmt.h`.
//!
//! One file per concern: [`boundary`] (panic boundary, pointer helpers, the thread-local last
//! error), [`status`] (`mnmt_status`), [`translator`] (the handle: load options, load, free), [`info`]
//! (`mnmt_model_info`), [`tokens`] (tokenize, detokenize), [`translate`] (options, one text,
//! batch, n-best), [`alignment`] (a translation with its source alignment), [`text`] (sentence splitting, no model needed), [`version`]. Every function
//! documents its parameters, ownership, thread safety and errors; cbindgen copies those
//! comments into the header, which is generated (`make header`) and committed
//! (`make check-header` fails on drift).

pub mod alignment;
pub mod boundary;
pub mod info;
pub mod status;
pub mod text;
pub mod tokens;
pub mod translate;
pub mod translator;
pub mod version;

pub use alignment::{mnmt_alignment_link, mnmt_translate_aligned};
pub use boundary::mnmt_last_error;
pub use info::{mnmt_get_model_info, mnmt_model_info};
pub use status::{mnmt_status, mnmt_status_string};
pub use text::{mnmt_span, mnmt_split_sentences};
pub use tokens::{mnmt_detokenize, mnmt_tokenize};
pub use translate::{
    mnmt_batch_callback, mnmt_nbest_callback, mnmt_options, mnmt_options_default, mnmt_translate,
    mnmt_translate_batch, mnmt_translate_nbest, mnmt_translate_spans,
};
pub use translator::{
    mnmt_free, mnmt_load, mnmt_load_ex, mnmt_load_from_memory, mnmt_load_from_memory_ex,
    mnmt_load_options, mnmt_load_options_default, mnmt_translator,
};
pub use version::{mnmt_abi_version, mnmt_kernel_name, mnmt_version, MNMT_ABI_VERSION};
