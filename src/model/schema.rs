//! The one table of a model file's tensors: names, shapes and kinds. The loader resolves the file
//! against it, the weight views are built from what it resolved, the test model builder writes
//! from it, and `tools/convert.py` reads the same table from `tools/weight_schema.json`, which a
//! test holds equal to `to_json`.
//!
//! Names in the file: a layer tensor is `{side}.{layer}.{block}_{tensor}` (`enc.3.attn_q`); a
//! [`Kind::Matrix`] is stored as `{name}.weight` (f32 `[out, in]`, or INT8 `[out, in padded to
//! 64]` plus `{name}.scale`, f32 `[out]`); a [`Kind::Linear`] is that matrix plus `{name}.bias`
//! (f32 `[out]`); a [`Kind::Norm`] is `{name}.weight` and `{name}.bias` (f32 `[d_model]`); a
//! [`Kind::Vector`] is `{name}` itself (f32).

use super::Config;

/// How a tensor is stored (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A weight matrix: `.weight`, plus `.scale` in INT8 files.
    Matrix,
    /// An f32 vector under the bare name.
    Vector,
    /// A matrix and its bias.
    Linear,
    /// Layer-norm gain and bias.
    Norm,
}

/// A dimension, named after the configuration value it takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)] // `FfnDim` is the configuration key's name (`*_ffn_dim`)
pub enum Dim {
    /// `marian.d_model`.
    DModel,
    /// The side's FFN width (`marian.encoder_ffn_dim` or `marian.decoder_ffn_dim`).
    FfnDim,
    /// `marian.vocab_size`.
    VocabSize,
    /// `marian.decoder_vocab_size`.
    DecoderVocabSize,
}

/// When a top-level tensor is present.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    /// In every file.
    Always,
    /// Only when the two sides have separate embeddings.
    UnlessSharedEmbeddings,
    /// Only when the output projection is not the target embedding.
    UnlessTiedOutput,
}

/// One tensor (or tensor group, see [`Kind`]) of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tensor {
    /// The name, or for layer tensors the part after `{block}_`.
    pub name: &'static str,
    /// How it is stored.
    pub kind: Kind,
    /// `[out, in]` for matrices, `[len]` for vectors and norms.
    pub shape: &'static [Dim],
    /// When it is present (always, for layer tensors).
    pub presence: Presence,
}

const fn t(name: &'static str, kind: Kind, shape: &'static [Dim]) -> Tensor {
    Tensor {
        name,
        kind,
        shape,
        presence: Presence::Always,
    }
}

const D: Dim = Dim::DModel;
const F: Dim = Dim::FfnDim;

/// What a block of a layer computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockKind {
    /// Multi-head attention over the layer's own input: projections `q`, `k`, `v`, `o`, then
    /// the block's norm.
    SelfAttention,
    /// Multi-head attention over the encoder output, with the same tensors.
    CrossAttention,
    /// Position-wise feed-forward: `up`, the activation, `down`, then the block's norm.
    FeedForward,
}

impl BlockKind {
    /// The block's tensors, in file order.
    pub const fn tensors(self) -> &'static [Tensor] {
        match self {
            BlockKind::SelfAttention | BlockKind::CrossAttention => &ATTENTION,
            BlockKind::FeedForward => &FEED_FORWARD,
        }
    }
}

/// Tensors of an attention block, in file order (the views take them by position).
pub const ATTENTION: [Tensor; 5] = [
    t("q", Kind::Linear, &[D, D]),
    t("k", Kind::Linear, &[D, D]),
    t("v", Kind::Linear, &[D, D]),
    t("o", Kind::Linear, &[D, D]),
    t("norm", Kind::Norm, &[D]),
];

/// Tensors of a feed-forward block, in file order (the views take them by position).
pub const FEED_FORWARD: [Tensor; 3] = [
    t("up", Kind::Linear, &[F, D]),
    t("down", Kind::Linear, &[D, F]),
    t("norm", Kind::Norm, &[D]),
];

/// One block of a layer: its name prefix in the file and what it computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block {
    /// `attn`, `cross` or `ffn`.
    pub prefix: &'static str,
    /// What it computes, and so its tensors.
    pub kind: BlockKind,
}

/// Self-attention.
pub const SELF_ATTENTION: Block = Block {
    prefix: "attn",
    kind: BlockKind::SelfAttention,
};
/// The decoder's attention over the encoder output.
pub const CROSS_ATTENTION: Block = Block {
    prefix: "cross",
    kind: BlockKind::CrossAttention,
};
/// The feed-forward block.
pub const FEED_FORWARD_BLOCK: Block = Block {
    prefix: "ffn",
    kind: BlockKind::FeedForward,
};

/// File prefix of encoder layers.
pub const ENCODER_PREFIX: &str = "enc";
/// File prefix of decoder layers.
pub const DECODER_PREFIX: &str = "dec";
/// The blocks of an encoder layer, in file and execution order.
pub const ENCODER_LAYER: [Block; 2] = [SELF_ATTENTION, FEED_FORWARD_BLOCK];
/// The blocks of a decoder layer, in file and execution order.
pub const DECODER_LAYER: [Block; 3] = [SELF_ATTENTION, CROSS_ATTENTION, FEED_FORWARD_BLOCK];

/// The tensors outside the layers, in file order.
pub const GLOBAL: [Tensor; 4] = [
    t("token_embd", Kind::Matrix, &[Dim::VocabSize, D]),
    Tensor {
        name: "dec_token_embd",
        kind: Kind::Matrix,
        shape: &[Dim::DecoderVocabSize, D],
        presence: Presence::UnlessSharedEmbeddings,
    },
    Tensor {
        name: "output",
        kind: Kind::Matrix,
        shape: &[Dim::DecoderVocabSize, D],
        presence: Presence::UnlessTiedOutput,
    },
    t("final_logits_bias", Kind::Vector, &[Dim::DecoderVocabSize]),
];

impl Dim {
    /// The name used in `tools/weight_schema.json` (the configuration key's last part).
    #[cfg_attr(not(feature = "internals"), allow(dead_code))] // for the tests
    pub fn name(self) -> &'static str {
        match self {
            Dim::DModel => "d_model",
            Dim::FfnDim => "ffn_dim",
            Dim::VocabSize => "vocab_size",
            Dim::DecoderVocabSize => "decoder_vocab_size",
        }
    }

    /// The value for `cfg`, on the side whose FFN width is `ffn_dim`.
    pub fn value(self, cfg: &Config, ffn_dim: usize) -> usize {
        match self {
            Dim::DModel => cfg.d_model,
            Dim::FfnDim => ffn_dim,
            Dim::VocabSize => cfg.vocab_size,
            Dim::DecoderVocabSize => cfg.decoder_vocab_size,
        }
    }
}

impl Presence {
    /// Whether the tensor is in a file with this configuration.
    pub fn holds(self, cfg: &Config) -> bool {
        match self {
            Presence::Always => true,
            Presence::UnlessSharedEmbeddings => !cfg.shared_embeddings,
            Presence::UnlessTiedOutput => !cfg.tied_output,
        }
    }

    #[cfg(test)]
    fn name(self) -> &'static str {
        match self {
            Presence::Always => "always",
            Presence::UnlessSharedEmbeddings => "unless_shared_embeddings",
            Presence::UnlessTiedOutput => "unless_tied_output",
        }
    }
}

impl Kind {
    #[cfg(test)]
    fn name(self) -> &'static str {
        match self {
            Kind::Matrix => "matrix",
            Kind::Vector => "vector",
            Kind::Linear => "linear",
            Kind::Norm => "norm",
        }
    }
}

/// The table as JSON, exactly as committed in `tools/weight_schema.json`.
#[cfg(test)]
pub fn to_json() -> String {
    fn tensor(out: &mut String, t: &Tensor, name: &str, indent: &str) {
        let shape: Vec<String> = t
            .shape
            .iter()
            .map(|d| format!("\"{}\"", d.name()))
            .collect();
        out.push_str(&format!(
            "{indent}{{\"name\": \"{name}\", \"kind\": \"{}\", \"shape\": [{}], \"presence\": \"{}\"}}",
            t.kind.name(),
            shape.join(", "),
            t.presence.name()
        ));
    }
    fn layer(out: &mut String, key: &str, prefix: &str, blocks: &[Block]) {
        out.push_str(&format!(
            "  \"{key}\": {{\n    \"prefix\": \"{prefix}\",\n    \"tensors\": [\n"
        ));
        let mut first = true;
        for b in blocks {
            for t in b.kind.tensors() {
                if !first {
                    out.push_str(",\n");
                }
                first = false;
                tensor(out, t, &format!("{}_{}", b.prefix, t.name), "      ");
            }
        }
        out.push_str("\n    ]\n  }");
    }
    let mut out = String::from("{\n  \"global\": [\n");
    for (i, t) in GLOBAL.iter().enumerate() {
        if i > 0 {
            out.push_str(",\n");
        }
        tensor(&mut out, t, t.name, "    ");
    }
    out.push_str("\n  ],\n");
    layer(&mut out, "encoder_layer", ENCODER_PREFIX, &ENCODER_LAYER);
    out.push_str(",\n");
    layer(&mut out, "decoder_layer", DECODER_PREFIX, &DECODER_LAYER);
    out.push_str("\n}\n");
    out
}

#[cfg(test)]
mod tests {
    /// The converter reads the committed copy: it must be this table. Regenerate it with
    /// `MNMT_WRITE_SCHEMA=1 cargo test --lib schema`.
    #[test]
    fn committed_json_matches_the_table() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tools/weight_schema.json");
        let want = super::to_json();
        if std::env::var_os("MNMT_WRITE_SCHEMA").is_some() {
            std::fs::write(path, &want).unwrap();
        }
        let got = std::fs::read_to_string(path).unwrap();
        assert_eq!(
            got, want,
            "tools/weight_schema.json is stale: run MNMT_WRITE_SCHEMA=1 cargo test --lib schema"
        );
    }
}
