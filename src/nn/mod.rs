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
mod workspace;

pub use workspace::{Dims, NnWorkspace};

use crate::kernels::{Dequantize, Kernels};
use crate::math::{self, Activation};
use crate::model::{LayerBlock, LayerNorm, Linear, Matrix, Model};

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
pub fn matrix_stride(m: &Matrix<'_>) -> usize {
    match *m {
        Matrix::F32 { cols, .. } => cols,
        Matrix::I8 { stride, .. } => stride,
    }
}

/// `out[i] = act(x[i] · Wᵀ + bias)` for `m` rows of `x` (row-major, `cols` wide); `out` is
/// row-major `m × rows(W)`. An empty `bias` means no bias.
#[allow(clippy::too_many_arguments)]
pub fn linear(
    kern: &Kernels,
    weight: &Matrix<'_>,
    bias: &[f32],
    x: &[f32],
    m: usize,
    act: Activation,
    out: &mut [f32],
    qs: &mut QuantScratch,
) {
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
            let acc = &mut qs.acc[..m * n];
            kern.gemm(m, n, stride, qa, &data[..n * stride], acc);
            let args = Dequantize {
                m,
                n,
                c: acc,
                a_scales,
                w_scales: &scales[..n],
                bias,
                act,
            };
            (kern.dequantize)(&args, out);
        }
    }
}

/// Applies a [`Linear`] layer (see [`linear`]).
fn apply(
    kern: &Kernels,
    l: &Linear<'_>,
    x: &[f32],
    m: usize,
    act: Activation,
    out: &mut [f32],
    qs: &mut QuantScratch,
) {
    linear(kern, &l.weight, l.bias, x, m, act, out, qs);
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

/// `x[i] = LayerNorm(x[i] + r[i])` for every `d`-wide row: the post-norm residual of Marian.
fn residual_norm(x: &mut [f32], r: &[f32], d: usize, norm: &LayerNorm<'_>, eps: f32) {
    for (xi, ri) in x.chunks_exact_mut(d).zip(r.chunks_exact(d)) {
        math::add_assign(xi, ri);
        math::layer_norm(xi, norm.weight, norm.bias, eps);
    }
}

/// The inference-time network: a model, its kernels (INT8 models) and derived constants.
#[derive(Debug, Clone, Copy)]
pub struct Net<'m> {
    model: &'m Model,
    kern: &'static Kernels,
    embed_scale: f32,
}

impl<'m> Net<'m> {
    /// Wraps `model` with the kernels that run its SIMD work.
    pub fn new(model: &'m Model, kern: &'static Kernels) -> Self {
        let c = model.config();
        let embed_scale = if c.scale_embedding {
            (c.d_model as f32).sqrt()
        } else {
            1.0
        };
        Net {
            model,
            kern,
            embed_scale,
        }
    }

    /// Runs the encoder over `ids` (one sentence, at most `dims.max_src` ids) and stores the
    /// cross-attention keys and values of every decoder layer for batch slot `sent`.
    pub fn encode(&self, ws: &mut NnWorkspace, ids: &[u32], sent: usize) {
        let c = self.model.config();
        let d = c.d_model;
        let s = ids.len();
        let kern = self.kern;
        let emb = self.model.src_embedding();
        let pos = self.model.positions();
        let NnWorkspace {
            dims,
            ex,
            eq,
            ek,
            ev,
            ectx,
            etmp,
            eh,
            scores,
            quant,
            cross_k,
            cross_v,
            src_len,
            ..
        } = ws;
        let ex = &mut ex[..s * d];
        for (i, (&id, row)) in ids.iter().zip(ex.chunks_exact_mut(d)).enumerate() {
            embed_row(&emb, id as usize, self.embed_scale, row);
            math::add_assign(row, &pos[i * d..(i + 1) * d]);
        }
        let heads = c.encoder_heads;
        for l in 0..c.encoder_layers {
            let [LayerBlock::SelfAttention(sa), LayerBlock::FeedForward(ff)] =
                self.model.encoder_layer(l)
            else {
                unreachable!("an encoder layer is self-attention then feed-forward")
            };
            apply(kern, &sa.q, ex, s, Activation::None, eq, quant);
            apply(kern, &sa.k, ex, s, Activation::None, ek, quant);
            apply(kern, &sa.v, ex, s, Activation::None, ev, quant);
            for i in 0..s {
                attention::attend_contiguous(
                    kern,
                    &eq[i * d..(i + 1) * d],
                    &ek[..s * d],
                    &ev[..s * d],
                    s,
                    heads,
                    scores,
                    &mut ectx[i * d..(i + 1) * d],
                );
            }
            apply(kern, &sa.o, ectx, s, Activation::None, etmp, quant);
            residual_norm(ex, etmp, d, &sa.norm, c.layer_norm_eps);
            apply(kern, &ff.up, ex, s, c.activation, eh, quant);
            apply(kern, &ff.down, eh, s, Activation::None, etmp, quant);
            residual_norm(ex, etmp, d, &ff.norm, c.layer_norm_eps);
        }
        let per_layer = dims.sents * dims.max_src * d;
        for l in 0..c.decoder_layers {
            let [_, LayerBlock::CrossAttention(ca), _] = self.model.decoder_layer(l) else {
                unreachable!("a decoder layer's second block is cross-attention")
            };
            let at = l * per_layer + sent * dims.max_src * d;
            apply(
                kern,
                &ca.k,
                ex,
                s,
                Activation::None,
                &mut cross_k[at..at + s * d],
                quant,
            );
            apply(
                kern,
                &ca.v,
                ex,
                s,
                Activation::None,
                &mut cross_v[at..at + s * d],
                quant,
            );
        }
        src_len[sent] = s;
    }

    /// One decoder step at position `t` for `tokens.len()` rows; row `r` reads the encoder output
    /// of batch slot `row_sent[r]` and its own history through [`NnWorkspace::origin`]. Leaves
    /// the logits (with `final_logits_bias`) in `ws.logits[..rows * vocab]`.
    pub fn decode_step(&self, ws: &mut NnWorkspace, t: usize, tokens: &[u32], row_sent: &[usize]) {
        let c = self.model.config();
        let d = c.d_model;
        let rows = tokens.len();
        let kern = self.kern;
        let emb = self.model.tgt_embedding();
        let pos = &self.model.positions()[t * d..(t + 1) * d];
        let NnWorkspace {
            dims,
            dx,
            dq,
            dctx,
            dtmp,
            dh,
            logits,
            scores,
            quant,
            self_k,
            self_v,
            cross_k,
            cross_v,
            src_len,
            origin,
            row_stride,
            ..
        } = ws;
        let (rcap, tcap) = (*row_stride, dims.max_tgt);
        assert!(
            rows <= rcap,
            "{rows} decoder rows exceed the declared {rcap}"
        );
        for (r, (&tok, row)) in tokens.iter().zip(dx.chunks_exact_mut(d)).enumerate() {
            embed_row(&emb, tok as usize, self.embed_scale, row);
            math::add_assign(row, pos);
            origin[r * tcap + t] = r as u32;
        }
        let dx = &mut dx[..rows * d];
        let heads = c.decoder_heads;
        let self_per_layer = tcap * rcap * d;
        let cross_per_layer = dims.sents * dims.max_src * d;
        for l in 0..c.decoder_layers {
            let [LayerBlock::SelfAttention(sa), LayerBlock::CrossAttention(ca), LayerBlock::FeedForward(ff)] =
                self.model.decoder_layer(l)
            else {
                unreachable!("a decoder layer is self-attention, cross-attention, feed-forward")
            };
            let kc = &mut self_k[l * self_per_layer..(l + 1) * self_per_layer];
            let vc = &mut self_v[l * self_per_layer..(l + 1) * self_per_layer];
            // Slot (t, r) of the cache holds row r's key at step t; rows later reordered by beam
            // search keep pointing at their ancestors' slots through `origin`, so no cache copy.
            let at = t * rcap * d;
            apply(
                kern,
                &sa.k,
                dx,
                rows,
                Activation::None,
                &mut kc[at..],
                quant,
            );
            apply(
                kern,
                &sa.v,
                dx,
                rows,
                Activation::None,
                &mut vc[at..],
                quant,
            );
            apply(kern, &sa.q, dx, rows, Activation::None, dq, quant);
            for r in 0..rows {
                attention::attend_history(
                    kern,
                    &dq[r * d..(r + 1) * d],
                    kc,
                    vc,
                    &origin[r * tcap..r * tcap + t + 1],
                    rcap,
                    heads,
                    scores,
                    &mut dctx[r * d..(r + 1) * d],
                );
            }
            apply(kern, &sa.o, dctx, rows, Activation::None, dtmp, quant);
            residual_norm(dx, dtmp, d, &sa.norm, c.layer_norm_eps);

            apply(kern, &ca.q, dx, rows, Activation::None, dq, quant);
            for r in 0..rows {
                let sent = row_sent[r];
                let s = src_len[sent];
                let at = l * cross_per_layer + sent * dims.max_src * d;
                attention::attend_contiguous(
                    kern,
                    &dq[r * d..(r + 1) * d],
                    &cross_k[at..at + s * d],
                    &cross_v[at..at + s * d],
                    s,
                    heads,
                    scores,
                    &mut dctx[r * d..(r + 1) * d],
                );
            }
            apply(kern, &ca.o, dctx, rows, Activation::None, dtmp, quant);
            residual_norm(dx, dtmp, d, &ca.norm, c.layer_norm_eps);

            apply(kern, &ff.up, dx, rows, c.activation, dh, quant);
            apply(kern, &ff.down, dh, rows, Activation::None, dtmp, quant);
            residual_norm(dx, dtmp, d, &ff.norm, c.layer_norm_eps);
        }
        linear(
            kern,
            &self.model.output_projection(),
            self.model.final_logits_bias(),
            dx,
            rows,
            Activation::None,
            logits,
            quant,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic pseudo-random values in [-1, 1).
    fn values(n: usize, seed: u32) -> Vec<f32> {
        let mut s = seed.wrapping_mul(2_654_435_761).max(1);
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (s % 20_000) as f32 / 10_000.0 - 1.0
            })
            .collect()
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
            &weight,
            &b,
            &x,
            m,
            Activation::Relu,
            &mut out,
            &mut qs,
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
        linear(kern, &int8, &b, &x, m, Activation::None, &mut got, &mut qs);
        linear(
            &crate::kernels::scalar::KERNELS,
            &reference,
            &b,
            &x,
            m,
            Activation::None,
            &mut want,
            &mut qs,
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
