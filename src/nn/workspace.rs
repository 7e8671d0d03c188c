//! Every buffer a forward pass touches, allocated once from the translator's limits.

use super::QuantScratch;
use crate::model::{Matrix, Model, NormPosition, ROW_ALIGN};

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

/// One side's activations (the encoder's for `max_src` rows, the decoder's for `rows` rows).
#[derive(Debug)]
pub(super) struct Stream {
    /// The residual stream, one `d_model` row per token.
    pub(super) hidden: Vec<f32>,
    /// The layer-normed block input (pre-norm models only; empty for post-norm).
    pub(super) normed: Vec<f32>,
    /// Query projections.
    pub(super) queries: Vec<f32>,
    /// Key and value projections (the encoder's; the decoder writes its own into the cache).
    pub(super) keys: Vec<f32>,
    pub(super) values: Vec<f32>,
    /// Attention output of every row, before the output projection.
    pub(super) context: Vec<f32>,
    /// A block's output, before it is added to the residual stream.
    pub(super) block_out: Vec<f32>,
    /// The feed-forward block's inner activations (`ffn_dim` per row).
    pub(super) ffn_hidden: Vec<f32>,
}

impl Stream {
    fn new(rows: usize, d: usize, ffn_dim: usize, own_kv: bool, pre_norm: bool) -> Stream {
        let f = |n: usize| vec![0.0f32; n];
        let kv = if own_kv { rows * d } else { 0 };
        Stream {
            hidden: f(rows * d),
            normed: f(if pre_norm { rows * d } else { 0 }),
            queries: f(rows * d),
            keys: f(kv),
            values: f(kv),
            context: f(rows * d),
            block_out: f(rows * d),
            ffn_hidden: f(rows * ffn_dim),
        }
    }
}

/// The decoder's self-attention keys and values of every step so far, for every layer.
#[derive(Debug)]
pub(super) struct SelfAttentionCache {
    /// `(layers, max_tgt, row_stride, d_model)`: slot `(t, r)` holds row `r`'s key at step `t`.
    pub(super) keys: Vec<f32>,
    pub(super) values: Vec<f32>,
    /// Row stride of the caches for the current call (at most `dims.rows`): a greedy call on one
    /// sentence then fills whole pages instead of touching one page per step for a single row,
    /// which keeps resident memory close to what the call needs.
    pub(super) row_stride: usize,
    /// `origin[r * max_tgt + t]`: the cache slot holding row r's ancestor at step t.
    pub(super) origin: Vec<u32>,
    origin_next: Vec<u32>,
}

/// The cross-attention keys and values of every decoder layer over each sentence's encoder
/// output, computed once per sentence.
#[derive(Debug)]
pub(super) struct CrossAttentionMemory {
    /// `(layers, sents, max_src, d_model)`.
    pub(super) keys: Vec<f32>,
    pub(super) values: Vec<f32>,
    /// Source length of each batch slot.
    pub(super) src_len: Vec<usize>,
}

/// The output projection restricted to a vocabulary shortlist's candidates: their weight rows,
/// scales and biases copied together once per call, so that every step runs one dense GEMM
/// over them (any column range of it, like the full projection) instead of a GEMM per run of
/// consecutive ids. Sized for the whole vocabulary but zero-initialised, so only the rows a
/// call selects ever become resident.
#[derive(Debug)]
pub(super) struct OutputSubset {
    /// Selected rows (`None`: the full projection).
    pub(super) rows: Option<usize>,
    /// INT8 models: `rows × stride` bytes; f32 models: empty.
    pub(super) weight_i8: Vec<i8>,
    /// f32 models: `rows × cols`; INT8 models: empty.
    pub(super) weight_f32: Vec<f32>,
    /// INT8 row scales (empty for f32 models).
    pub(super) scales: Vec<f32>,
    /// `final_logits_bias` of the selected ids.
    pub(super) bias: Vec<f32>,
}

/// Activations, quantization scratch, self-attention K/V caches and cross-attention K/V.
///
/// Large buffers are zero-initialised, which the allocator serves from untouched pages: memory
/// that a short sentence or a small batch never reaches costs address space, not RAM.
#[derive(Debug)]
pub struct NnWorkspace {
    pub(super) dims: Dims,
    pub(super) encoder: Stream,
    pub(super) decoder: Stream,
    /// Logits of the last decoder step, `rows × decoder_vocab_size`.
    pub logits: Vec<f32>,
    /// Attention scores of one query row and head.
    pub(super) scores: Vec<f32>,
    pub(super) quant: QuantScratch,
    pub(super) self_cache: SelfAttentionCache,
    pub(super) cross_memory: CrossAttentionMemory,
    pub(super) outputs: OutputSubset,
    /// Whether decoder steps record the alignment (see [`NnWorkspace::set_alignment`]).
    pub(super) align: bool,
    /// `(rows, max_src)`: each row's head-averaged cross-attention over its source tokens in the
    /// last decoder layer, written by a step only when `align` is set.
    pub(super) align_probs: Vec<f32>,
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
        let pre_norm = c.norm_position == NormPosition::Pre;
        let f = |n: usize| vec![0.0f32; n];
        let out = model.output_projection();
        let (out_i8, out_f32) = match out {
            Matrix::I8 { rows, stride, .. } => (rows * stride, 0),
            Matrix::F32 { rows, cols, .. } => (0, rows * cols),
        };
        NnWorkspace {
            dims,
            encoder: Stream::new(s, d, c.encoder_ffn_dim, true, pre_norm),
            decoder: Stream::new(r, d, c.decoder_ffn_dim, false, pre_norm),
            logits: f(r * vocab),
            scores: f(s.max(t)),
            quant: QuantScratch::new(s.max(r), stride, acc),
            self_cache: SelfAttentionCache {
                keys: f(c.decoder_layers * t * r * d),
                values: f(c.decoder_layers * t * r * d),
                row_stride: r,
                origin: vec![0; r * t],
                origin_next: vec![0; r * t],
            },
            cross_memory: CrossAttentionMemory {
                keys: f(c.decoder_layers * b * s * d),
                values: f(c.decoder_layers * b * s * d),
                src_len: vec![0; b],
            },
            outputs: OutputSubset {
                rows: None,
                weight_i8: vec![0; out_i8],
                weight_f32: f(out_f32),
                scales: f(if out_i8 > 0 { vocab } else { 0 }),
                bias: f(vocab),
            },
            align: false,
            align_probs: f(r * s),
        }
    }

    /// Declares the most decoder rows any step of the coming call will have (beams of all its
    /// sentences); must be called before its first step. Panics above `dims().rows`.
    pub fn set_max_rows(&mut self, rows: usize) {
        assert!(
            rows >= 1 && rows <= self.dims.rows,
            "{rows} rows exceed the workspace"
        );
        self.self_cache.row_stride = rows;
    }

    /// Restricts the logits of the coming steps to the target ids `ids` (sorted, distinct, in
    /// the vocabulary): [`super::Net::decode_step`] then writes `ids.len()` logits per row, in
    /// the order of `ids`, each bit-identical to the full projection's logit of that id. `None`
    /// goes back to the whole vocabulary. Copies the selected rows of the output projection;
    /// allocates nothing. Panics on an id outside the vocabulary (the caller validated them).
    pub fn select_outputs(&mut self, model: &Model, ids: Option<&[u32]>) {
        let o = &mut self.outputs;
        let Some(ids) = ids else {
            o.rows = None;
            return;
        };
        let bias = model.final_logits_bias();
        for (b, &id) in o.bias.iter_mut().zip(ids) {
            *b = bias.get(id as usize).copied().unwrap_or(0.0);
        }
        match model.output_projection() {
            Matrix::I8 {
                data,
                scales,
                stride,
                ..
            } => {
                for ((dst, s), &id) in o
                    .weight_i8
                    .chunks_exact_mut(stride)
                    .zip(o.scales.iter_mut())
                    .zip(ids)
                {
                    let i = id as usize;
                    dst.copy_from_slice(&data[i * stride..(i + 1) * stride]);
                    *s = scales[i];
                }
            }
            Matrix::F32 { data, cols, .. } => {
                for (dst, &id) in o.weight_f32.chunks_exact_mut(cols).zip(ids) {
                    let i = id as usize;
                    dst.copy_from_slice(&data[i * cols..(i + 1) * cols]);
                }
            }
        }
        o.rows = Some(ids.len());
    }

    /// Makes the following decoder steps record alignments (or stop doing so). Off, a step does
    /// no extra work at all.
    pub fn set_alignment(&mut self, on: bool) {
        self.align = on;
    }

    /// After a step with alignment on: for each of the step's rows (`out.len()` of them, row `r`
    /// translating batch slot `row_sent[r]`), the source position it attends to most, `</s>`
    /// excluded unless it is the only token.
    pub fn aligned_sources(&self, row_sent: &[usize], out: &mut [u32]) {
        let ms = self.dims.max_src;
        for (r, (o, &sent)) in out.iter_mut().zip(row_sent).enumerate() {
            let n = self.cross_memory.src_len[sent];
            let n = if n > 1 { n - 1 } else { n };
            let p = &self.align_probs[r * ms..r * ms + n];
            let mut best = 0;
            for (j, &x) in p.iter().enumerate() {
                if x > p[best] {
                    best = j;
                }
            }
            *o = best as u32;
        }
    }

    /// The sizes this workspace was built for.
    #[cfg_attr(not(feature = "internals"), allow(dead_code))] // for the tests
    pub fn dims(&self) -> Dims {
        self.dims
    }

    /// After a step that produced positions `0..steps`, makes new row `r` continue the history of
    /// old row `parents[r]` (beam reordering, or dropping finished rows). Copies only the small
    /// slot index table, never the K/V caches.
    pub fn reorder(&mut self, parents: &[usize], steps: usize) {
        let t = self.dims.max_tgt;
        let cache = &mut self.self_cache;
        for (r, &p) in parents.iter().enumerate() {
            cache.origin_next[r * t..r * t + steps]
                .copy_from_slice(&cache.origin[p * t..p * t + steps]);
        }
        std::mem::swap(&mut cache.origin, &mut cache.origin_next);
    }
}
