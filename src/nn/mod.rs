//! The Marian Transformer (Hugging Face `MarianMTModel`): embeddings, attention, FFN, post-norm
//! encoder and decoder layers, and the vocabulary projection.
//!
//! Every function here works on buffers owned by a [`NnWorkspace`] that is sized once, so a forward
//! pass never allocates. Linear layers dispatch on the weight's storage: f32 weights go through
//! [`crate::math::dot`] (the reference path), INT8 weights through the run-time selected
//! [`crate::kernels`] (activations quantized per row, i32 accumulation, fused dequantize + bias +
//! activation). Attention scores, softmax, layer norm and the residual stream always stay f32.
//!
//! The encoder runs one sentence at a time (M = source tokens per GEMM, no padding at all); the
//! decoder runs all live rows of a batch and of its beams together (M = rows per GEMM). Each row's
//! result depends only on its own inputs, so a batch gives bit-identical results to one-by-one.

mod attention;
mod blocks;
mod parallel;
mod workspace;

pub use parallel::{Parallel, PAR_MIN_MACS};
pub use workspace::{Dims, NnWorkspace, COMPACT_FLOATS};

use crate::kernels::Kernels;
use crate::math::{self, Activation};
use crate::model::{Config, LayerBlock, Linear, Matrix, Model, ROW_ALIGN};
use blocks::{residual, CacheStep, Ctx, Memory};
use parallel::{int8_product, Int8Product};

/// Scratch for INT8 linear layers: quantized activations, their per-row scales, i32 accumulators.
#[derive(Debug)]
pub struct QuantScratch {
    qa: Vec<i8>,
    scales: Vec<f32>,
    acc: Vec<i32>,
}

impl QuantScratch {
    /// Room for `rows` activation rows of up to `stride` bytes and `acc` accumulators.
    pub fn new(rows: usize, stride: usize, acc: usize) -> Self {
        QuantScratch {
            qa: vec![0; rows * stride],
            scales: vec![0.0; rows],
            acc: vec![0; acc],
        }
    }

    /// All of it, borrowed for one pass.
    pub fn parts(&mut self) -> Quant<'_> {
        Quant {
            qa: &mut self.qa,
            scales: &mut self.scales,
            acc: &mut self.acc,
        }
    }
}

/// The scratch one pass of INT8 linear layers uses; the accumulators may come from elsewhere
/// than its [`QuantScratch`] (the encoder takes them from the workspace's shared buffer).
#[derive(Debug)]
pub struct Quant<'a> {
    qa: &'a mut [i8],
    scales: &'a mut [f32],
    acc: &'a mut [i32],
}

impl Quant<'_> {
    /// The same buffers, for one call.
    fn reborrow(&mut self) -> Quant<'_> {
        Quant {
            qa: self.qa,
            scales: self.scales,
            acc: self.acc,
        }
    }
}

/// Floats of [`encoder_quant`]'s scratch for `rows` tokens.
pub(super) fn encoder_quant_len(rows: usize, cfg: &Config) -> usize {
    let (acc, qa) = encoder_quant_sizes(rows, cfg);
    // `qa` counts bytes, a multiple of 4; one scale per row.
    acc + qa / 4 + rows
}

/// The i32 accumulators and i8 activations the encoder's products over `rows` tokens need:
/// `rows` rows of `d_model` (attention projections, the FFN's output), or at most
/// [`blocks::FFN_ROWS`] rows of the FFN's width (its inner product; see `feed_forward`).
fn encoder_quant_sizes(rows: usize, cfg: &Config) -> (usize, usize) {
    let (d, ffn) = (cfg.d_model, cfg.encoder_ffn_dim);
    let pad = |n: usize| n.div_ceil(ROW_ALIGN) * ROW_ALIGN;
    let block = rows.min(blocks::FFN_ROWS);
    let acc = (rows * d).max(block * ffn);
    let qa = (rows * pad(d)).max(block * pad(ffn));
    (acc, qa)
}

/// The encoder's quantization scratch for `rows` tokens, cut from the front of `buf` (floats,
/// at least [`encoder_quant_len`]): the i32 accumulators and the i8 activations share storage
/// with the f32 buffers of the decoder's cache, which are dead while the encoder runs.
fn encoder_quant<'a>(buf: &'a mut [f32], rows: usize, cfg: &Config) -> Quant<'a> {
    let (acc, qa) = encoder_quant_sizes(rows, cfg);
    let (acc, rest) = buf.split_at_mut(acc);
    let (qa, rest) = rest.split_at_mut(qa / 4);
    let scales = &mut rest[..rows];
    // SAFETY: f32 and i32 have the same size and alignment and every bit pattern is a valid
    // value of both; the result borrows `acc` mutably for its whole life, so nothing reads the
    // memory as f32 meanwhile.
    let acc = unsafe { std::slice::from_raw_parts_mut(acc.as_mut_ptr().cast::<i32>(), acc.len()) };
    // SAFETY: i8 has alignment 1 and every bit pattern is valid; `qa` holds `qa.len() * 4`
    // bytes, borrowed mutably for the result's whole life.
    let qa =
        unsafe { std::slice::from_raw_parts_mut(qa.as_mut_ptr().cast::<i8>(), qa.len() * 4) };
    Quant { qa, scales, acc }
}

/// Rows (output features) of a weight matrix.
pub fn matrix_rows(m: &Matrix<'_>) -> usize {
    match *m {
        Matrix::F32 { rows, .. } | Matrix::I8 { rows, .. } => rows,
    }
}

/// Columns (input features, unpadded) of a weight matrix.
pub fn matrix_cols(m: &Matrix<'_>) -> usize {
    match *m {
        Matrix::F32 { cols, .. } | Matrix::I8 { cols, .. } => cols,
    }
}

/// Row stride in elements (the padded width for INT8, `cols` for f32).
#[cfg(test)]
pub fn matrix_stride(m: &Matrix<'_>) -> usize {
    match *m {
        Matrix::F32 { cols, .. } => cols,
        Matrix::I8 { stride, .. } => stride,
    }
}

/// `out[i] = act(x[i] · Wᵀ + bias)` for `m` rows of `x` (row-major, `cols` wide); `out` is
/// row-major `m × rows(W)`. An empty `bias` means no bias. Large INT8 products are split across
/// `par` (see [`Tiles`]), with the same bits for every thread count; f32 weights (the
/// reference path) always run on the calling thread.
#[allow(clippy::too_many_arguments)]
pub fn linear(
    kern: &Kernels,
    par: Parallel<'_>,
    layer: &Linear<'_>,
    x: &[f32],
    m: usize,
    act: Activation,
    out: &mut [f32],
    qs: Quant<'_>,
) {
    let (weight, bias) = (&layer.weight, layer.bias);
    let n = matrix_rows(weight);
    let k = matrix_cols(weight);
    let x = &x[..m * k];
    let out = &mut out[..m * n];
    match *weight {
        Matrix::F32 { data, .. } => {
            // Weight row outer, activation row inner: each weight row is read from memory once
            // per call whatever `m` is, which is what bounds batch-1 decoding.
            for (j, w) in data.chunks_exact(k).take(n).enumerate() {
                let b = bias.get(j).copied().unwrap_or(0.0);
                for (i, xi) in x.chunks_exact(k).enumerate() {
                    out[i * n + j] = math::dot(xi, w) + b;
                }
            }
            (kern.activate)(act, out);
        }
        Matrix::I8 {
            data,
            scales,
            stride,
            ..
        } => {
            let qa = &mut qs.qa[..m * stride];
            let a_scales = &mut qs.scales[..m];
            for ((xi, qi), s) in x
                .chunks_exact(k)
                .zip(qa.chunks_exact_mut(stride))
                .zip(a_scales.iter_mut())
            {
                *s = (kern.quantize_row)(xi, qi);
            }
            let product = Int8Product {
                qa,
                a_scales,
                w: &data[..n * stride],
                w_scales: &scales[..n],
                bias,
                act,
                m,
                n,
                k: stride,
            };
            int8_product(kern, par, &product, qs.acc, out);
        }
    }
}

/// Writes `scale * E[row]` into `out` (`cols` values); INT8 rows are dequantized with their scale.
pub fn embed_row(e: &Matrix<'_>, row: usize, scale: f32, out: &mut [f32]) {
    match *e {
        Matrix::F32 { data, cols, .. } => {
            for (o, w) in out.iter_mut().zip(&data[row * cols..(row + 1) * cols]) {
                *o = *w * scale;
            }
        }
        Matrix::I8 {
            data,
            scales,
            cols,
            stride,
            ..
        } => {
            let s = scales[row];
            for (o, q) in out.iter_mut().zip(&data[row * stride..row * stride + cols]) {
                *o = (f32::from(*q) * s) * scale;
            }
        }
    }
}

/// The inference-time network: a model, its kernels (INT8 models) and derived constants.
#[derive(Debug, Clone, Copy)]
pub struct Net<'m> {
    model: &'m Model,
    kern: &'static Kernels,
    par: Parallel<'m>,
    embed_scale: f32,
}

impl<'m> Net<'m> {
    /// Wraps `model` with the kernels that run its SIMD work and the pool that splits its
    /// large products.
    pub fn new(model: &'m Model, kern: &'static Kernels, par: Parallel<'m>) -> Self {
        let c = model.config();
        let embed_scale = if c.scale_embedding {
            (c.d_model as f32).sqrt()
        } else {
            1.0
        };
        Net {
            model,
            kern,
            par,
            embed_scale,
        }
    }

    /// Runs the encoder over `ids` (one sentence, at most `dims.max_src` ids) and stores the
    /// cross-attention keys and values of every decoder layer for batch slot `sent`.
    pub fn encode(&self, ws: &mut NnWorkspace, ids: &[u32], sent: usize) {
        let cfg = self.model.config();
        let d = cfg.d_model;
        let rows = ids.len();
        let NnWorkspace {
            dims,
            encoder_shape,
            shared,
            scores,
            cross_memory,
            pos_row,
            ..
        } = ws;
        // The sentence's activations, then its quantization scratch, from the front of the
        // shared buffer (`NnWorkspace::new` sizes it).
        let (stream, rest) = shared.split_at_mut(encoder_shape.len(rows));
        let encoder = &mut encoder_shape.carve(stream, rows);
        let quant = encoder_quant(rest, rows, cfg);
        let emb = self.model.src_embedding();
        for (i, (&id, row)) in ids
            .iter()
            .zip(encoder.hidden.chunks_exact_mut(d))
            .enumerate()
        {
            embed_row(&emb, id as usize, self.embed_scale, row);
            math::add_assign(row, self.model.position(i, pos_row));
        }
        let mut ctx = Ctx {
            kern: self.kern,
            par: self.par,
            cfg,
            scores,
            quant,
        };
        for l in 0..cfg.encoder_layers {
            for block in self.model.encoder_layer(l) {
                match block {
                    LayerBlock::SelfAttention(a) => {
                        residual(&mut ctx, encoder, rows, &a.norm, |ctx, x, bufs, out| {
                            blocks::self_attention(ctx, &a, x, bufs, out)
                        })
                    }
                    LayerBlock::FeedForward(f) => {
                        residual(&mut ctx, encoder, rows, &f.norm, |ctx, x, bufs, out| {
                            blocks::feed_forward(ctx, &f, x, bufs, out)
                        })
                    }
                    LayerBlock::CrossAttention(_) => {
                        unreachable!("encoder layers have no cross-attention")
                    }
                }
            }
        }
        // Every decoder layer's cross-attention keys and values over this sentence, once.
        let x = &encoder.hidden[..rows * d];
        let per_layer = dims.sents * dims.max_src * d;
        for l in 0..cfg.decoder_layers {
            for block in self.model.decoder_layer(l) {
                if let LayerBlock::CrossAttention(a) = block {
                    let at = l * per_layer + sent * dims.max_src * d;
                    let none = Activation::None;
                    let (keys, values) = (&mut cross_memory.keys, &mut cross_memory.values);
                    linear(
                        ctx.kern,
                        ctx.par,
                        &a.k,
                        x,
                        rows,
                        none,
                        &mut keys[at..at + rows * d],
                        ctx.quant.reborrow(),
                    );
                    linear(
                        ctx.kern,
                        ctx.par,
                        &a.v,
                        x,
                        rows,
                        none,
                        &mut values[at..at + rows * d],
                        ctx.quant.reborrow(),
                    );
                }
            }
        }
        cross_memory.src_len[sent] = rows;
    }

    /// One decoder step at position `t` for `tokens.len()` rows; row `r` reads the encoder output
    /// of batch slot `row_sent[r]` and its own history through the self-attention cache. Leaves
    /// the logits (with `final_logits_bias`) in `ws.logits[..rows * vocab]`, or only those of the
    /// ids chosen by [`NnWorkspace::select_outputs`] (`rows * ids.len()`).
    pub fn decode_step(&self, ws: &mut NnWorkspace, t: usize, tokens: &[u32], row_sent: &[usize]) {
        let cfg = self.model.config();
        let d = cfg.d_model;
        let rows = tokens.len();
        ws.cache_step(t, rows);
        let NnWorkspace {
            dims,
            decoder_shape,
            decoder,
            shared,
            logits,
            scores,
            quant,
            self_cache: cache,
            cross_memory,
            outputs: ws_outputs,
            align,
            align_probs,
            pos_row,
            ..
        } = ws;
        let max_tgt = dims.max_tgt;
        let decoder = &mut decoder_shape.carve(decoder, dims.rows);
        let emb = self.model.tgt_embedding();
        let pos = self.model.position(t, pos_row);
        for (r, (&tok, row)) in tokens
            .iter()
            .zip(decoder.hidden.chunks_exact_mut(d))
            .enumerate()
        {
            embed_row(&emb, tok as usize, self.embed_scale, row);
            math::add_assign(row, pos);
            cache.origin[r * max_tgt + t] = r as u32;
        }
        let mut ctx = Ctx {
            kern: self.kern,
            par: self.par,
            cfg,
            scores,
            quant: quant.parts(),
        };
        let cross_per_layer = dims.sents * dims.max_src * d;
        for l in 0..cfg.decoder_layers {
            for block in self.model.decoder_layer(l) {
                match block {
                    LayerBlock::SelfAttention(a) => {
                        let step = CacheStep {
                            t,
                            layer: l,
                            cache: shared,
                            step_start: &cache.step_start,
                            step_rows: &cache.step_rows,
                            origin: &cache.origin,
                            max_tgt,
                        };
                        residual(&mut ctx, decoder, rows, &a.norm, |ctx, x, bufs, out| {
                            blocks::cached_self_attention(ctx, &a, x, step, bufs, out)
                        })
                    }
                    LayerBlock::CrossAttention(a) => {
                        let layer = l * cross_per_layer..(l + 1) * cross_per_layer;
                        let memory = Memory {
                            keys: &cross_memory.keys[layer.clone()],
                            values: &cross_memory.values[layer],
                            max_src: dims.max_src,
                            src_len: &cross_memory.src_len,
                            row_sent,
                            // The last layer: see docs/alignment.md for why.
                            capture: (*align && l + 1 == cfg.decoder_layers)
                                .then_some(&mut align_probs[..]),
                        };
                        residual(&mut ctx, decoder, rows, &a.norm, |ctx, x, bufs, out| {
                            blocks::cross_attention(ctx, &a, x, memory, bufs, out)
                        })
                    }
                    LayerBlock::FeedForward(f) => {
                        residual(&mut ctx, decoder, rows, &f.norm, |ctx, x, bufs, out| {
                            blocks::feed_forward(ctx, &f, x, bufs, out)
                        })
                    }
                }
            }
        }
        let full = self.model.output_projection();
        let o = &ws_outputs;
        // No bias stays no bias (a zero added would turn a -0.0 logit into +0.0).
        let bias = |n: usize| {
            if self.model.final_logits_bias().is_empty() {
                &[][..]
            } else {
                &o.bias[..n]
            }
        };
        let output = match (o.rows, full) {
            (None, _) => Linear {
                weight: full,
                bias: self.model.final_logits_bias(),
            },
            (Some(n), Matrix::I8 { cols, stride, .. }) => Linear {
                weight: Matrix::I8 {
                    data: &o.weight_i8[..n * stride],
                    scales: &o.scales[..n],
                    rows: n,
                    cols,
                    stride,
                },
                bias: bias(n),
            },
            (Some(n), Matrix::F32 { cols, .. }) => Linear {
                weight: Matrix::F32 {
                    data: &o.weight_f32[..n * cols],
                    rows: n,
                    cols,
                },
                bias: bias(n),
            },
        };
        linear(
            self.kern,
            self.par,
            &output,
            &decoder.hidden[..rows * d],
            rows,
            Activation::None,
            logits,
            ctx.quant.reborrow(),
        );
    }
}

/// Deterministic pseudo-random test values in [-`half`, `half`), four decimals (xorshift from
/// `seed`), shared by this module's tests and attention's.
#[cfg(test)]
pub(crate) fn test_values(n: usize, seed: u32, half: u32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(2_654_435_761).max(1);
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s % (20_000 * half)) as f32 / 10_000.0 - half as f32
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(n: usize, seed: u32) -> Vec<f32> {
        test_values(n, seed, 1)
    }

    #[test]
    fn f32_linear_matches_naive_product() {
        let (m, n, k) = (3, 5, 7);
        let x = values(m * k, 1);
        let w = values(n * k, 2);
        let b = values(n, 3);
        let weight = Matrix::F32 {
            data: &w,
            rows: n,
            cols: k,
        };
        let mut out = vec![0.0; m * n];
        let mut qs = QuantScratch::new(m, k, m * n);
        linear(
            &crate::kernels::scalar::KERNELS,
            Parallel::new(&crate::pool::Pool::new(1).unwrap()),
            &Linear { weight, bias: &b },
            &x,
            m,
            Activation::Relu,
            &mut out,
            qs.parts(),
        );
        for i in 0..m {
            for j in 0..n {
                let want: f32 = (0..k).map(|t| x[i * k + t] * w[j * k + t]).sum::<f32>() + b[j];
                assert!((out[i * n + j] - want.max(0.0)).abs() < 1e-5);
            }
        }
    }

    #[test]
    fn int8_linear_approximates_its_dequantized_weights() {
        let kern = crate::kernels::active().expect("kernels");
        let (m, n, k, stride) = (4, 9, 70, 128);
        let x = values(m * k, 4);
        let wf = values(n * k, 5);
        let b = values(n, 6);
        // Per-row symmetric quantization, rows zero-padded to `stride`, as the converter does.
        let mut q = vec![0i8; n * stride];
        let mut scales = vec![0.0f32; n];
        let mut deq = vec![0.0f32; n * k];
        for j in 0..n {
            let row = &wf[j * k..(j + 1) * k];
            let s = row.iter().fold(0f32, |a, v| a.max(v.abs())) / 127.0;
            scales[j] = s;
            for t in 0..k {
                let v = (row[t] / s).round().clamp(-127.0, 127.0);
                q[j * stride + t] = v as i8;
                deq[j * k + t] = v * s;
            }
        }
        let int8 = Matrix::I8 {
            data: &q,
            scales: &scales,
            rows: n,
            cols: k,
            stride,
        };
        let reference = Matrix::F32 {
            data: &deq,
            rows: n,
            cols: k,
        };
        let mut qs = QuantScratch::new(m, stride, m * n);
        let (mut got, mut want) = (vec![0.0; m * n], vec![0.0; m * n]);
        let int8 = Linear {
            weight: int8,
            bias: &b,
        };
        let one = crate::pool::Pool::new(1).unwrap();
        let one = Parallel::new(&one);
        linear(kern, one, &int8, &x, m, Activation::None, &mut got, qs.parts());
        linear(
            &crate::kernels::scalar::KERNELS,
            one,
            &Linear {
                weight: reference,
                bias: &b,
            },
            &x,
            m,
            Activation::None,
            &mut want,
            qs.parts(),
        );
        let scale = want.iter().fold(0f32, |a, v| a.max(v.abs()));
        for (g, w) in got.iter().zip(&want) {
            // Only the activations' quantization differs: at most half a step per input.
            assert!((g - w).abs() <= 0.02 * scale, "{g} vs {w}");
        }
        assert!(got != want, "the INT8 path must actually quantize");
    }

    #[test]
    fn int8_embedding_rows_are_dequantized_and_scaled() {
        let q = [10i8, -20, 0, 0, 127, -127, 0, 0];
        let e = Matrix::I8 {
            data: &q,
            scales: &[0.5, 0.25],
            rows: 2,
            cols: 2,
            stride: 4,
        };
        let mut out = [0.0; 2];
        embed_row(&e, 1, 2.0, &mut out);
        assert_eq!(out, [63.5, -63.5]);
        embed_row(&e, 0, 1.0, &mut out);
        assert_eq!(out, [5.0, -10.0]);
    }
}
