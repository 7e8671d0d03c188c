//! Keeps a workspace within what a 32-bit process can reserve.
//!
//! A workspace reserves its buffers for the largest request the limits allow, and that
//! reservation grows with `decoder_layers × d_model × max_tokens × max(max_batch, max_beam)`: about
//! 69 MiB for the shipped model at the default limits, but about 400 MiB for an OPUS-MT base
//! model (`d_model` 512, 6 decoder layers, 58k vocabulary), which a 32-bit process (2 to 4 GB of
//! address space, shared with the model mapping, the app and its libraries) can reserve for only
//! a few concurrent callers, and a failed reservation aborts. On 32-bit targets the translator therefore lowers `max_batch`, which only
//! sets how many sentences a batch call decodes together (results are the same at any value),
//! until one workspace fits [`WORKSPACE_BUDGET_32BIT`].

use super::Limits;
use crate::error::{Error, ErrorKind, Result};
use crate::model::Config;

/// The most address space one workspace may reserve on a 32-bit target: an eighth of a 2 GB
/// user address space, so that a few concurrent callers and a large model still fit.
pub const WORKSPACE_BUDGET_32BIT: u64 = 256 << 20;

/// The bytes a workspace built for `limits` reserves (its large buffers: activations, caches,
/// logits, search state; the dominant terms of `Workspace::new` and `NnWorkspace::new`).
/// Saturates instead of overflowing, so absurd configurations compare as huge.
pub fn workspace_bytes(c: &Config, limits: &Limits) -> u64 {
    let n = |x: usize| x as u64;
    let (s, t, k, b) = (
        n(limits.max_source_tokens),
        n(limits.max_target_tokens),
        n(limits.max_beam),
        n(limits.max_batch),
    );
    let r = k.max(b);
    let (d, vocab) = (n(c.d_model), n(c.decoder_vocab_size));
    let (enc_ffn, dec_ffn, layers) = (
        n(c.encoder_ffn_dim),
        n(c.decoder_ffn_dim),
        n(c.decoder_layers),
    );
    let mul = |xs: &[u64]| xs.iter().fold(1u64, |a, &x| a.saturating_mul(x));
    // Every term counts 4-byte elements (f32, i32, u32).
    let elements = [
        // One buffer: the self-attention K/V caches, or the encoder's activations and GEMM
        // accumulators.
        mul(&[2, layers, t, r, d]).max(
            mul(&[s, 6, d])
                .saturating_add(mul(&[s, enc_ffn]))
                .saturating_add(mul(&[s, d.max(enc_ffn)])),
        ),
        mul(&[2, layers, b, s, d]), // cross-attention K/V
        mul(&[r, vocab]),           // logits
        mul(&[r, 4, d]).saturating_add(mul(&[r, dec_ffn])), // decoder activations
        mul(&[r, d.max(dec_ffn).max(vocab)]), // the decoder's GEMM accumulators
        mul(&[4, r, t]),            // token histories and cache slot tables
        mul(&[b, k, t]),            // finished hypotheses
        mul(&[b, vocab]),           // each sentence's shortlist candidates
    ]
    .iter()
    .fold(0u64, |a, &x| a.saturating_add(x));
    elements.saturating_mul(4)
}

/// `limits` with `max_batch` lowered to the largest value whose workspace fits `budget` bytes;
/// the other limits are kept. An [`ErrorKind::OutOfMemory`] error when even `max_batch = 1`
/// does not fit.
pub fn fit_workspace(c: &Config, limits: Limits, budget: u64) -> Result<Limits> {
    let with_batch = |max_batch| Limits {
        max_batch,
        ..limits
    };
    (1..=limits.max_batch)
        .rev()
        .map(with_batch)
        .find(|l| workspace_bytes(c, l) <= budget)
        .ok_or_else(|| {
            let need = workspace_bytes(c, &with_batch(1));
            Error::new(
                ErrorKind::OutOfMemory,
                format!(
                    "one workspace for this model needs {} MiB at max_batch 1 ({limits:?}), more \
                     than the {} MiB a 32-bit process can set aside for it",
                    need >> 20,
                    budget >> 20
                ),
            )
        })
}

/// The limits a translator uses on this target: unchanged on 64-bit targets, fitted to
/// [`WORKSPACE_BUDGET_32BIT`] on 32-bit ones.
pub fn for_target(c: &Config, limits: Limits) -> Result<Limits> {
    if cfg!(target_pointer_width = "32") {
        fit_workspace(c, limits, WORKSPACE_BUDGET_32BIT)
    } else {
        Ok(limits)
    }
}
