//! Every buffer a forward pass touches, allocated once from the translator's limits.

use super::blocks::FFN_ROWS;
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

/// One side's activations for one call, borrowed from the workspace (the encoder's for a
/// sentence's tokens, the decoder's for a step's rows).
#[derive(Debug)]
pub(super) struct Stream<'a> {
    /// The residual stream, one `d_model` row per token.
    pub(super) hidden: &'a mut [f32],
    /// The layer-normed block input (pre-norm models only; empty for post-norm).
    pub(super) normed: &'a mut [f32],
    /// Query projections.
    pub(super) queries: &'a mut [f32],
    /// Key and value projections (the encoder's; the decoder writes its own into the cache).
    pub(super) keys: &'a mut [f32],
    pub(super) values: &'a mut [f32],
    /// Attention output of every row, before the output projection.
    pub(super) context: &'a mut [f32],
    /// A block's output, before it is added to the residual stream.
    pub(super) block_out: &'a mut [f32],
    /// The feed-forward block's inner activations (`ffn_dim` per row).
    pub(super) ffn_hidden: &'a mut [f32],
}

/// The widths of one side's [`Stream`]: how many floats a row of each buffer takes.
#[derive(Debug, Clone, Copy)]
pub(super) struct StreamShape {
    d: usize,
    ffn_dim: usize,
    /// Whether the stream holds its own keys and values (the encoder).
    own_kv: bool,
    pre_norm: bool,
}

impl StreamShape {
    /// Floats a stream of `rows` rows takes (the FFN's inner activations for at most
    /// [`FFN_ROWS`] of them).
    pub(super) fn len(&self, rows: usize) -> usize {
        let kv = if self.own_kv { 2 } else { 0 };
        let normed = usize::from(self.pre_norm);
        rows * self.d * (4 + kv + normed) + rows.min(FFN_ROWS) * self.ffn_dim
    }

    /// A stream of exactly `rows` rows cut from the front of `buf` (at least
    /// [`StreamShape::len`] long), each buffer after the other, so that a call touches only
    /// `len(rows)` floats however large `buf` is.
    pub(super) fn carve<'a>(&self, buf: &'a mut [f32], rows: usize) -> Stream<'a> {
        let kv = if self.own_kv { rows * self.d } else { 0 };
        let normed = if self.pre_norm { rows * self.d } else { 0 };
        let (hidden, rest) = buf.split_at_mut(rows * self.d);
        let (normed, rest) = rest.split_at_mut(normed);
        let (queries, rest) = rest.split_at_mut(rows * self.d);
        let (keys, rest) = rest.split_at_mut(kv);
        let (values, rest) = rest.split_at_mut(kv);
        let (context, rest) = rest.split_at_mut(rows * self.d);
        let (block_out, rest) = rest.split_at_mut(rows * self.d);
        let (ffn_hidden, _) = rest.split_at_mut(rows.min(FFN_ROWS) * self.ffn_dim);
        Stream {
            hidden,
            normed,
            queries,
            keys,
            values,
            context,
            block_out,
            ffn_hidden,
        }
    }
}

/// Where the decoder's self-attention keys and values of each step lie in the workspace's
/// buffer that the encoder's activations use too (`NnWorkspace::shared`).
///
/// Step `t` takes one block of `2 × decoder_layers × rows(t) × d_model` floats right after step
/// `t - 1`'s, where `rows(t)` is the number of rows the step decoded: layer `l`'s keys of the
/// step's rows, then its values. So a call touches exactly what its steps use: steps never
/// reached and rows already finished take no memory, whatever the workspace is sized for.
///
/// Once [`COMPACT_FLOATS`] have been written since the last time, the blocks are compacted
/// ([`NnWorkspace::reorder`]): a slot that no current row descends from (a beam pruned, a
/// sentence finished) is dropped and the blocks after it move down, so that beams sharing a
/// prefix hold it once. A long beam-search decode whose beams share most of their history then
/// takes little more than one row's instead of `beam` rows'.
#[derive(Debug)]
pub(super) struct SelfAttentionCache {
    /// First float of step `t`'s block.
    pub(super) step_start: Vec<usize>,
    /// Rows decoded at step `t` (slots `0..rows` of its block).
    pub(super) step_rows: Vec<usize>,
    /// Most rows a step of the current call may decode (at most `dims.rows`).
    pub(super) max_rows: usize,
    /// Floats a row takes in a step's block: keys and values of every layer.
    floats_per_row: usize,
    /// `origin[r * max_tgt + t]`: the slot of step `t` holding row r's ancestor.
    pub(super) origin: Vec<u32>,
    origin_next: Vec<u32>,
    /// Floats of one row's key (or value) in one layer (`d_model`).
    d: usize,
    /// Compaction scratch: the new slot of each old slot of a step (`u32::MAX`: dropped).
    slot_map: Vec<u32>,
    /// Floats the steps declared since the last compaction take.
    uncompacted: usize,
    /// Compact once `uncompacted` reaches this ([`COMPACT_FLOATS`] unless a test says).
    compact_floats: usize,
}

/// Floats (256 kB) written to the self-attention cache between two compactions: 16 steps of
/// one beam-4 sentence on the shipped model, 2 steps of a batch of 8. Compacting moves the
/// blocks after the first one that lost a slot, so doing it at every step would copy the cache
/// again and again; at this interval the CPU time of a 3,000-sentence beam-4 run did not change
/// measurably (BENCHMARKS.md, "Memory"), and the cache holds at most this much not yet
/// compacted. Short decodes of a few rows never compact.
pub const COMPACT_FLOATS: usize = 1 << 16;

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
/// that a short sentence or a small batch never reaches costs address space, not RAM. Each call
/// uses the front of each buffer, so the pages it touches are those its sizes need.
#[derive(Debug)]
pub struct NnWorkspace {
    pub(super) dims: Dims,
    pub(super) encoder_shape: StreamShape,
    pub(super) decoder_shape: StreamShape,
    /// The encoder's activations and GEMM accumulators while a call encodes its sentences,
    /// then the decoder's self-attention cache while it decodes them: the encoder's buffers are
    /// dead once the cross-attention keys and values are computed, so one buffer serves both
    /// and a call's resident memory is the larger of the two, not their sum.
    pub(super) shared: Vec<f32>,
    /// The decoder's activations, `dims.rows` rows.
    pub(super) decoder: Vec<f32>,
    /// Logits of the last decoder step, `rows × decoder_vocab_size`.
    pub logits: Vec<f32>,
    /// Attention scores of one query row and head.
    pub(super) scores: Vec<f32>,
    pub(super) quant: QuantScratch,
    pub(super) self_cache: SelfAttentionCache,
    pub(super) cross_memory: CrossAttentionMemory,
    pub(super) outputs: OutputSubset,
    /// A position row computed on use, past the model's table (see `Model::position`).
    pub(super) pos_row: Vec<f32>,
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
        // The decoder's quantization scratch (the encoder's lives in `shared`, after its
        // activations): every decoder matrix's input is d_model or its FFN width, INT8 rows are
        // padded to ROW_ALIGN.
        let stride = d.max(c.decoder_ffn_dim).div_ceil(ROW_ALIGN) * ROW_ALIGN;
        let acc = r * d.max(c.decoder_ffn_dim).max(vocab);
        let pre_norm = c.norm_position == NormPosition::Pre;
        let encoder_shape = StreamShape {
            d,
            ffn_dim: c.encoder_ffn_dim,
            own_kv: true,
            pre_norm,
        };
        let decoder_shape = StreamShape {
            d,
            ffn_dim: c.decoder_ffn_dim,
            own_kv: false,
            pre_norm,
        };
        let cache = 2 * c.decoder_layers * t * r * d;
        let f = |n: usize| vec![0.0f32; n];
        let out = model.output_projection();
        let (out_i8, out_f32) = match out {
            Matrix::I8 { rows, stride, .. } => (rows * stride, 0),
            Matrix::F32 { rows, cols, .. } => (0, rows * cols),
        };
        NnWorkspace {
            dims,
            encoder_shape,
            decoder_shape,
            shared: f(cache.max(encoder_shape.len(s) + super::encoder_quant_len(s, c))),
            decoder: f(decoder_shape.len(r)),
            logits: f(r * vocab),
            scores: f(s.max(t)),
            quant: QuantScratch::new(r, stride, acc),
            self_cache: SelfAttentionCache {
                step_start: vec![0; t],
                step_rows: vec![0; t],
                max_rows: r,
                floats_per_row: 2 * c.decoder_layers * d,
                origin: vec![0; r * t],
                origin_next: vec![0; r * t],
                d,
                slot_map: vec![0; r],
                uncompacted: 0,
                compact_floats: COMPACT_FLOATS,
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
            pos_row: f(d),
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
        self.self_cache.max_rows = rows;
    }

    /// Declares step `t` of `rows` rows (steps `0..t` of this call already declared): places its
    /// cache block after step `t - 1`'s. Panics above the declared rows.
    pub(super) fn cache_step(&mut self, t: usize, rows: usize) {
        let cache = &mut self.self_cache;
        assert!(
            rows <= cache.max_rows,
            "{rows} decoder rows exceed the declared {}",
            cache.max_rows
        );
        let block = cache.floats_per_row;
        let start = match t {
            0 => 0,
            _ => cache.step_start[t - 1] + block * cache.step_rows[t - 1],
        };
        cache.step_start[t] = start;
        cache.step_rows[t] = rows;
        cache.uncompacted = if t == 0 { 0 } else { cache.uncompacted } + block * rows;
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

    /// Compacts the self-attention cache once `floats` floats were written to it since the last
    /// time ([`COMPACT_FLOATS`] by default; 1: after every step; `usize::MAX`: never). Changes
    /// no result, only how much of the cache's buffer a long decode touches.
    pub fn set_compaction(&mut self, floats: usize) {
        self.self_cache.compact_floats = floats;
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
    /// old row `parents[r]` (beam reordering, or dropping finished rows). Copies the small slot
    /// index table, and every [`COMPACT_FLOATS`] written compacts the cache (see
    /// [`SelfAttentionCache`]); a row's keys and values, and so every result, stay the same.
    pub fn reorder(&mut self, parents: &[usize], steps: usize) {
        let t = self.dims.max_tgt;
        let cache = &mut self.self_cache;
        for (r, &p) in parents.iter().enumerate() {
            cache.origin_next[r * t..r * t + steps]
                .copy_from_slice(&cache.origin[p * t..p * t + steps]);
        }
        std::mem::swap(&mut cache.origin, &mut cache.origin_next);
        if cache.uncompacted >= cache.compact_floats && !parents.is_empty() {
            cache.compact(&mut self.shared, parents.len(), steps);
            cache.uncompacted = 0;
        }
    }
}

impl SelfAttentionCache {
    /// Drops the slots of steps `0..steps` that none of the `rows` current rows descends from,
    /// moving the kept ones down in order (see [`SelfAttentionCache`]).
    fn compact(&mut self, buf: &mut [f32], rows: usize, steps: usize) {
        let (t_max, d) = (self.step_start.len(), self.d);
        let parts = self.floats_per_row / d; // keys and values of every layer
        for t in 0..steps {
            let (old_rows, old_start) = (self.step_rows[t], self.step_start[t]);
            let map = &mut self.slot_map[..old_rows];
            map.fill(u32::MAX);
            for r in 0..rows {
                map[self.origin[r * t_max + t] as usize] = 0;
            }
            let mut kept = 0;
            for m in map.iter_mut().filter(|m| **m == 0) {
                *m = kept;
                kept += 1;
            }
            let kept = kept as usize;
            let start = match t {
                0 => 0,
                _ => self.step_start[t - 1] + self.floats_per_row * self.step_rows[t - 1],
            };
            if kept == old_rows && start == old_start {
                continue;
            }
            // Destinations never pass their sources (`start <= old_start`, `kept <= old_rows`)
            // and sources are visited in increasing order, so no row is overwritten before it
            // has moved.
            for p in 0..parts {
                for (s, &m) in map.iter().enumerate().filter(|(_, &m)| m != u32::MAX) {
                    let from = old_start + (p * old_rows + s) * d;
                    let to = start + (p * kept + m as usize) * d;
                    buf.copy_within(from..from + d, to);
                }
            }
            for r in 0..rows {
                let o = &mut self.origin[r * t_max + t];
                *o = map[*o as usize];
            }
            self.step_rows[t] = kept;
            self.step_start[t] = start;
        }
    }
}
