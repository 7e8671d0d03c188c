//! The blocks a layer is a list of (self-attention, cross-attention, feed-forward), and the
//! residual connection with its layer norm that wraps each of them.
//!
//! A block reads its input rows and writes its output rows; [`residual`] adds the output to the
//! residual stream and normalises, before (pre-norm) or after (post-norm) as the model says.

use super::attention;
use super::workspace::Stream;
use super::{linear, Parallel, Quant};
use crate::kernels::Kernels;
use crate::math::{self, Activation};
use crate::model::{Attention, Config, FeedForward, LayerNorm, Linear, NormPosition};

/// What every block needs besides its weights and buffers: the kernels, the model constants and
/// the shared scratch.
pub(super) struct Ctx<'a> {
    pub kern: &'a Kernels,
    pub par: Parallel<'a>,
    pub cfg: &'a Config,
    /// Attention scores of one query row and head.
    pub scores: &'a mut [f32],
    pub quant: Quant<'a>,
}

impl Ctx<'_> {
    /// [`linear`] with this context's kernels, threads and quantization scratch.
    fn linear(
        &mut self,
        layer: &Linear<'_>,
        x: &[f32],
        rows: usize,
        act: Activation,
        out: &mut [f32],
    ) {
        linear(self.kern, self.par, layer, x, rows, act, out, self.quant.reborrow());
    }
}

/// A block's working buffers: a [`Stream`] less its residual and output rows.
pub(super) struct Buffers<'a> {
    pub queries: &'a mut [f32],
    pub keys: &'a mut [f32],
    pub values: &'a mut [f32],
    pub context: &'a mut [f32],
    pub ffn_hidden: &'a mut [f32],
}

/// `x = x + block(x)` for the first `rows` rows of `stream`, with the layer norm where the model
/// puts it: after the addition (post-norm, `x = LayerNorm(x + block(x))`), or on the block's
/// input (pre-norm, `x = x + block(LayerNorm(x))`). `block(ctx, input, buffers, out)` writes its
/// output rows into `out`.
pub(super) fn residual(
    ctx: &mut Ctx<'_>,
    stream: &mut Stream<'_>,
    rows: usize,
    norm: &LayerNorm<'_>,
    block: impl FnOnce(&mut Ctx<'_>, &[f32], &mut Buffers<'_>, &mut [f32]),
) {
    let (d, eps) = (ctx.cfg.d_model, ctx.cfg.layer_norm_eps);
    let Stream {
        hidden,
        normed,
        queries,
        keys,
        values,
        context,
        block_out,
        ffn_hidden,
    } = stream;
    let x = &mut hidden[..rows * d];
    let out = &mut block_out[..rows * d];
    let mut bufs = Buffers {
        queries,
        keys,
        values,
        context,
        ffn_hidden,
    };
    match ctx.cfg.norm_position {
        NormPosition::Post => {
            block(ctx, x, &mut bufs, out);
            for (xi, oi) in x.chunks_exact_mut(d).zip(out.chunks_exact(d)) {
                math::add_assign(xi, oi);
                math::layer_norm(xi, norm.weight, norm.bias, eps);
            }
        }
        NormPosition::Pre => {
            let normed = &mut normed[..rows * d];
            normed.copy_from_slice(x);
            for row in normed.chunks_exact_mut(d) {
                math::layer_norm(row, norm.weight, norm.bias, eps);
            }
            block(ctx, normed, &mut bufs, out);
            math::add_assign(x, out);
        }
    }
}

/// Encoder self-attention: every row of `x` (one sentence, no padding) attends to every row.
pub(super) fn self_attention(
    ctx: &mut Ctx<'_>,
    a: &Attention<'_>,
    x: &[f32],
    bufs: &mut Buffers<'_>,
    out: &mut [f32],
) {
    let (d, heads) = (ctx.cfg.d_model, ctx.cfg.encoder_heads);
    let rows = x.len() / d;
    let none = Activation::None;
    ctx.linear(&a.q, x, rows, none, bufs.queries);
    ctx.linear(&a.k, x, rows, none, bufs.keys);
    ctx.linear(&a.v, x, rows, none, bufs.values);
    let kv = attention::contiguous(&bufs.keys[..rows * d], &bufs.values[..rows * d], rows, d);
    for (q, o) in bufs.queries[..rows * d]
        .chunks_exact(d)
        .zip(bufs.context.chunks_exact_mut(d))
    {
        attention::attend(ctx.kern, q, &kv, heads, ctx.scores, o, None);
    }
    ctx.linear(&a.o, bufs.context, rows, none, out);
}

/// The decoder self-attention cache at step `t` (see `workspace::SelfAttentionCache`).
pub(super) struct CacheStep<'a> {
    /// The position being decoded.
    pub t: usize,
    /// The layer.
    pub layer: usize,
    /// The cache; step `t`'s block is declared (`NnWorkspace::cache_step`).
    pub cache: &'a mut [f32],
    pub step_start: &'a [usize],
    pub step_rows: &'a [usize],
    /// `origin[r * max_tgt + t]`: the slot holding row r's ancestor at step t.
    pub origin: &'a [u32],
    pub max_tgt: usize,
}

/// Decoder self-attention at step `cache.t`: each row's key and value go into slot `row` of the
/// step's block, then each row attends to its own history.
pub(super) fn cached_self_attention(
    ctx: &mut Ctx<'_>,
    a: &Attention<'_>,
    x: &[f32],
    cache: CacheStep<'_>,
    bufs: &mut Buffers<'_>,
    out: &mut [f32],
) {
    let (d, heads) = (ctx.cfg.d_model, ctx.cfg.decoder_heads);
    let rows = x.len() / d;
    let CacheStep {
        t,
        layer,
        cache,
        step_start,
        step_rows,
        origin,
        max_tgt,
    } = cache;
    let none = Activation::None;
    // Rows later reordered by beam search keep pointing at their ancestors' slots through
    // `origin`, so no cache copy.
    let at = step_start[t] + 2 * layer * rows * d;
    let (keys, values) = cache[at..at + 2 * rows * d].split_at_mut(rows * d);
    ctx.linear(&a.k, x, rows, none, keys);
    ctx.linear(&a.v, x, rows, none, values);
    ctx.linear(&a.q, x, rows, none, bufs.queries);
    let (step_start, step_rows) = (&step_start[..=t], &step_rows[..=t]);
    for r in 0..rows {
        let own = &origin[r * max_tgt..r * max_tgt + t + 1];
        let kv = attention::history(cache, step_start, step_rows, own, layer, d);
        let q = &bufs.queries[r * d..(r + 1) * d];
        let o = &mut bufs.context[r * d..(r + 1) * d];
        attention::attend(ctx.kern, q, &kv, heads, ctx.scores, o, None);
    }
    ctx.linear(&a.o, bufs.context, rows, none, out);
}

/// One layer's cross-attention keys and values (see `workspace::CrossAttentionMemory`).
pub(super) struct Memory<'a> {
    /// `(sents, max_src, d_model)` keys and values of this layer.
    pub keys: &'a [f32],
    pub values: &'a [f32],
    pub max_src: usize,
    /// Source length of each batch slot.
    pub src_len: &'a [usize],
    /// The batch slot each decoder row translates.
    pub row_sent: &'a [usize],
    /// When alignments are asked for: `(rows, max_src)` head-averaged attention probabilities of
    /// each row over its source tokens.
    pub capture: Option<&'a mut [f32]>,
}

/// Decoder cross-attention: each row attends to its sentence's encoder output.
pub(super) fn cross_attention(
    ctx: &mut Ctx<'_>,
    a: &Attention<'_>,
    x: &[f32],
    mut memory: Memory<'_>,
    bufs: &mut Buffers<'_>,
    out: &mut [f32],
) {
    let (d, heads) = (ctx.cfg.d_model, ctx.cfg.decoder_heads);
    let rows = x.len() / d;
    let none = Activation::None;
    ctx.linear(&a.q, x, rows, none, bufs.queries);
    for r in 0..rows {
        let sent = memory.row_sent[r];
        let s = memory.src_len[sent];
        let at = sent * memory.max_src * d;
        let kv = attention::contiguous(
            &memory.keys[at..at + s * d],
            &memory.values[at..at + s * d],
            s,
            d,
        );
        let q = &bufs.queries[r * d..(r + 1) * d];
        let o = &mut bufs.context[r * d..(r + 1) * d];
        let ms = memory.max_src;
        let probs = memory
            .capture
            .as_deref_mut()
            .map(|c| &mut c[r * ms..(r + 1) * ms]);
        attention::attend(ctx.kern, q, &kv, heads, ctx.scores, o, probs);
    }
    ctx.linear(&a.o, bufs.context, rows, none, out);
}

/// Most rows the feed-forward block computes at once: the inner activations and the
/// accumulators of its products hold this many rows (4 KB and 4 KB a row at an FFN width of
/// 1,024), not a whole long sentence's. Every GEMM still has enough rows to run at full speed.
pub(super) const FFN_ROWS: usize = 32;

/// The position-wise feed-forward block: `down(act(up(x)))`, [`FFN_ROWS`] rows at a time.
pub(super) fn feed_forward(
    ctx: &mut Ctx<'_>,
    f: &FeedForward<'_>,
    x: &[f32],
    bufs: &mut Buffers<'_>,
    out: &mut [f32],
) {
    let d = ctx.cfg.d_model;
    let act = ctx.cfg.activation;
    let none = Activation::None;
    // Rows are independent (activations quantized per row, exact integer products), so taking
    // them FFN_ROWS at a time changes no bit and keeps the inner activations and their
    // accumulators to FFN_ROWS rows however long the sentence.
    for (x, out) in x.chunks(FFN_ROWS * d).zip(out.chunks_mut(FFN_ROWS * d)) {
        let rows = x.len() / d;
        ctx.linear(&f.up, x, rows, act, bufs.ffn_hidden);
        ctx.linear(&f.down, bufs.ffn_hidden, rows, none, out);
    }
}
