//! Every buffer a forward pass touches, allocated once from the translator's limits.

use super::QuantScratch;
use crate::model::{Model, ROW_ALIGN};

/// The sizes a [`NnWorkspace`] is built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dims {
    /// Longest source sentence, in ids including `</s>`.
    pub max_src: usize,
    /// Most decoder steps (generated tokens including `</s>`).
    pub max_tgt: usize,
    /// Most decoder rows decoded together (beams of all sentences of a batch chunk).
    pub rows: usize,
    /// Most sentences whose encoder outputs are held at once (a batch chunk).
    pub sents: usize,
}

/// Activations, quantization scratch, self-attention K/V caches and cross-attention K/V.
///
/// Large buffers are zero-initialised, which the allocator serves from untouched pages: memory
/// that a short sentence or a small batch never reaches costs address space, not RAM.
#[derive(Debug)]
pub struct NnWorkspace {
    pub(super) dims: Dims,
    /// Row stride of the self-attention caches for the current call (at most `dims.rows`): a
    /// greedy call on one sentence then fills whole pages instead of touching one page per
    /// step for a single row, which keeps resident memory close to what the call needs.
    pub(super) row_stride: usize,
    pub(super) ex: Vec<f32>,
    pub(super) eq: Vec<f32>,
    pub(super) ek: Vec<f32>,
    pub(super) ev: Vec<f32>,
    pub(super) ectx: Vec<f32>,
    pub(super) etmp: Vec<f32>,
    pub(super) eh: Vec<f32>,
    pub(super) dx: Vec<f32>,
    pub(super) dq: Vec<f32>,
    pub(super) dctx: Vec<f32>,
    pub(super) dtmp: Vec<f32>,
    pub(super) dh: Vec<f32>,
    /// Logits of the last decoder step, `rows × decoder_vocab_size`.
    pub logits: Vec<f32>,
    pub(super) scores: Vec<f32>,
    pub(super) quant: QuantScratch,
    pub(super) self_k: Vec<f32>,
    pub(super) self_v: Vec<f32>,
    pub(super) cross_k: Vec<f32>,
    pub(super) cross_v: Vec<f32>,
    pub(super) src_len: Vec<usize>,
    /// `origin[r * max_tgt + t]`: the cache slot holding row r's ancestor at step t.
    pub(super) origin: Vec<u32>,
    origin_tmp: Vec<u32>,
}

impl NnWorkspace {
    /// Allocates every buffer for `model` at `dims`.
    pub fn new(model: &Model, dims: Dims) -> Self {
        let c = model.config();
        let d = c.d_model;
        let (s, r, t, b) = (dims.max_src, dims.rows, dims.max_tgt, dims.sents);
        let vocab = c.decoder_vocab_size;
        // Every matrix's input is d_model or an FFN width; INT8 rows are padded to ROW_ALIGN.
        let stride = d
            .max(c.encoder_ffn_dim)
            .max(c.decoder_ffn_dim)
            .div_ceil(ROW_ALIGN)
            * ROW_ALIGN;
        let enc_out = d.max(c.encoder_ffn_dim);
        let dec_out = d.max(c.decoder_ffn_dim).max(vocab);
        let acc = (s * enc_out).max(r * dec_out);
        let f = |n: usize| vec![0.0f32; n];
        NnWorkspace {
            dims,
            row_stride: dims.rows,
            ex: f(s * d),
            eq: f(s * d),
            ek: f(s * d),
            ev: f(s * d),
            ectx: f(s * d),
            etmp: f(s * d),
            eh: f(s * c.encoder_ffn_dim),
            dx: f(r * d),
            dq: f(r * d),
            dctx: f(r * d),
            dtmp: f(r * d),
            dh: f(r * c.decoder_ffn_dim),
            logits: f(r * vocab),
            scores: f(s.max(t)),
            quant: QuantScratch::new(s.max(r), stride, acc),
            self_k: f(c.decoder_layers * t * r * d),
            self_v: f(c.decoder_layers * t * r * d),
            cross_k: f(c.decoder_layers * b * s * d),
            cross_v: f(c.decoder_layers * b * s * d),
            src_len: vec![0; b],
            origin: vec![0; r * t],
            origin_tmp: vec![0; r * t],
        }
    }

    /// Declares the most decoder rows any step of the coming call will have (beams of all its
    /// sentences); must be called before its first step. Panics above `dims().rows`.
    pub fn set_max_rows(&mut self, rows: usize) {
        assert!(
            rows >= 1 && rows <= self.dims.rows,
            "{rows} rows exceed the workspace"
        );
        self.row_stride = rows;
    }

    /// The sizes this workspace was built for.
    pub fn dims(&self) -> Dims {
        self.dims
    }

    /// After a step that produced positions `0..steps`, makes new row `r` continue the history of
    /// old row `parents[r]` (beam reordering, or dropping finished rows). Copies only the small
    /// slot index table, never the K/V caches.
    pub fn reorder(&mut self, parents: &[usize], steps: usize) {
        let t = self.dims.max_tgt;
        for (r, &p) in parents.iter().enumerate() {
            self.origin_tmp[r * t..r * t + steps]
                .copy_from_slice(&self.origin[p * t..p * t + steps]);
        }
        std::mem::swap(&mut self.origin, &mut self.origin_tmp);
    }
}
