//! Resolving the tensor directory against the configuration.
//!
//! Every tensor the configuration implies is looked up by name and checked (type, shape,
//! alignment, bounds) once at load; what remains are plain byte offsets, so weight views are
//! built later without allocation or further checks. Tensors are requested in a fixed order and
//! each request either consumes a distinct directory entry or fails, so a configuration that
//! claims absurd layer counts fails at the first missing tensor instead of allocating for it.

use std::collections::HashMap;

use super::gguf::{Gguf, TensorInfo, GGML_TYPE_F32, GGML_TYPE_I8};
use super::schema::{self, Block, Kind};
use super::{Config, DType};
use crate::error::{Error, Result};

/// Rows of INT8 matrices are padded to this many values (one cache line).
pub const ROW_ALIGN: usize = 64;

/// A validated matrix: absolute byte offsets of its data and (INT8) scales.
#[derive(Debug, Clone, Copy)]
pub(super) struct MatRef {
    pub data: usize,
    pub scales: usize,
    pub rows: usize,
    pub cols: usize,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct LinearRef {
    pub weight: MatRef,
    pub bias: usize,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct NormRef {
    pub weight: usize,
    pub bias: usize,
}

/// One resolved entry of a block's schema table (see [`super::schema::Kind`]).
#[derive(Debug, Clone, Copy)]
pub(super) enum ParamRef {
    Linear(LinearRef),
    Norm(NormRef),
}

/// Everything the model needs to find its weights.
#[derive(Debug)]
pub(super) struct Layout {
    pub src_embedding: MatRef,
    pub tgt_embedding: MatRef,
    pub output: MatRef,
    pub final_logits_bias: usize,
    /// Per encoder layer, the parameters of [`schema::ENCODER_LAYER`]'s blocks in table order.
    pub encoder: Vec<Vec<ParamRef>>,
    /// Per decoder layer, likewise for [`schema::DECODER_LAYER`].
    pub decoder: Vec<Vec<ParamRef>>,
    pub parameter_count: u64,
}

/// `cols` rounded up to a whole number of 64-byte rows (saturating: an absurd width then fails
/// the size check instead of wrapping).
pub fn padded(cols: usize) -> usize {
    cols.div_ceil(ROW_ALIGN).saturating_mul(ROW_ALIGN)
}

fn type_name(t: u32) -> String {
    match t {
        GGML_TYPE_F32 => "F32 (0)".into(),
        GGML_TYPE_I8 => "I8 (24)".into(),
        1 => "F16 (1)".into(),
        30 => "BF16 (30)".into(),
        t => format!("ggml type {t}"),
    }
}

struct Resolver<'a> {
    g: &'a Gguf,
    file_len: usize,
    dtype: DType,
    by_name: HashMap<&'a str, usize>,
    used: Vec<bool>,
    /// (start, end, tensor index) of every resolved tensor, for the overlap check.
    spans: Vec<(usize, usize, usize)>,
    params: u64,
}

impl<'a> Resolver<'a> {
    /// Checks one tensor and returns the absolute offset of its data.
    /// `shape` is numpy order (outermost first).
    fn tensor(&mut self, name: &str, ggml_type: u32, shape: &[usize]) -> Result<usize> {
        let Some(&idx) = self.by_name.get(name) else {
            return Err(Error::bad_model(format!("missing tensor {name}")));
        };
        let t: &TensorInfo = &self.g.tensors[idx];
        self.used[idx] = true;
        if t.ggml_type != ggml_type {
            return Err(Error::bad_model(format!(
                "tensor {name}: expected type {}, found {}",
                type_name(ggml_type),
                type_name(t.ggml_type)
            )));
        }
        let expected: Vec<u64> = shape.iter().rev().map(|&d| d as u64).collect();
        if t.dims != expected {
            return Err(Error::bad_model(format!(
                "tensor {name}: expected dims {expected:?} (shape {shape:?}), found dims {:?}",
                t.dims
            )));
        }
        let elem_size: usize = if ggml_type == GGML_TYPE_F32 { 4 } else { 1 };
        let Some(nbytes) = shape
            .iter()
            .try_fold(elem_size, |acc, &d| acc.checked_mul(d))
        else {
            return Err(Error::bad_model(format!(
                "tensor {name}: shape {shape:?} is too large to address"
            )));
        };
        if t.offset % self.g.alignment as u64 != 0 {
            return Err(Error::bad_model(format!(
                "tensor {name}: offset {} is not a multiple of the alignment {}",
                t.offset, self.g.alignment
            )));
        }
        let start = usize::try_from(t.offset)
            .ok()
            .and_then(|o| o.checked_add(self.g.data_start));
        let end = start.and_then(|s| s.checked_add(nbytes));
        match (start, end) {
            (Some(start), Some(end)) if end <= self.file_len => {
                self.spans.push((start, end, idx));
                Ok(start)
            }
            _ => Err(Error::bad_model(format!(
                "tensor {name}: {nbytes} bytes at data offset {} (file offset {}) run past the end of the file ({} bytes)",
                t.offset,
                t.offset as u128 + self.g.data_start as u128,
                self.file_len
            ))),
        }
    }

    fn vector(&mut self, name: &str, n: usize) -> Result<usize> {
        let off = self.tensor(name, GGML_TYPE_F32, &[n])?;
        self.params += n as u64;
        Ok(off)
    }

    fn matrix(&mut self, name: &str, rows: usize, cols: usize) -> Result<MatRef> {
        let (data, scales) = match self.dtype {
            DType::F32 => (self.tensor(name, GGML_TYPE_F32, &[rows, cols])?, 0),
            DType::Int8 => {
                let stride = padded(cols);
                let data = self.tensor(name, GGML_TYPE_I8, &[rows, stride])?;
                let base = name.strip_suffix(".weight").unwrap_or(name);
                let scales = self.tensor(&format!("{base}.scale"), GGML_TYPE_F32, &[rows])?;
                (data, scales)
            }
        };
        self.params += rows as u64 * cols as u64;
        Ok(MatRef {
            data,
            scales,
            rows,
            cols,
        })
    }

    fn linear(&mut self, prefix: &str, out: usize, inp: usize) -> Result<LinearRef> {
        Ok(LinearRef {
            weight: self.matrix(&format!("{prefix}.weight"), out, inp)?,
            bias: self.vector(&format!("{prefix}.bias"), out)?,
        })
    }

    fn norm(&mut self, prefix: &str, d: usize) -> Result<NormRef> {
        Ok(NormRef {
            weight: self.vector(&format!("{prefix}.weight"), d)?,
            bias: self.vector(&format!("{prefix}.bias"), d)?,
        })
    }

    /// The tensors of one layer, `{side}.{i}.{block}_{tensor}` for every block and tensor of
    /// the schema, in table order.
    fn layer(
        &mut self,
        cfg: &Config,
        name: &str,
        blocks: &[Block],
        ffn_dim: usize,
    ) -> Result<Vec<ParamRef>> {
        let mut params = Vec::new();
        for b in blocks {
            for t in b.kind.tensors() {
                let full = format!("{name}.{}_{}", b.prefix, t.name);
                let dim = |i: usize| t.shape[i].value(cfg, ffn_dim);
                params.push(match t.kind {
                    Kind::Linear => ParamRef::Linear(self.linear(&full, dim(0), dim(1))?),
                    Kind::Norm => ParamRef::Norm(self.norm(&full, dim(0))?),
                    Kind::Matrix | Kind::Vector => unreachable!("layer tensors are linear or norm"),
                });
            }
        }
        Ok(params)
    }
}

/// Resolves every tensor of the model described by `cfg`, checking it completely.
pub(super) fn resolve(g: &Gguf, file_len: usize, cfg: &Config) -> Result<Layout> {
    let mut by_name = HashMap::with_capacity(g.tensors.len());
    for (i, t) in g.tensors.iter().enumerate() {
        if by_name.insert(t.name.as_str(), i).is_some() {
            return Err(Error::bad_model(format!("duplicate tensor {}", t.name)));
        }
    }
    let mut r = Resolver {
        g,
        file_len,
        dtype: cfg.dtype,
        by_name,
        used: vec![false; g.tensors.len()],
        spans: Vec::with_capacity(g.tensors.len()),
        params: 0,
    };
    // The top-level tensors, in schema order; absent ones alias the matrix they are tied to.
    let mut mats: [Option<MatRef>; 3] = [None; 3];
    let mut final_logits_bias = 0;
    for (i, t) in schema::GLOBAL.iter().enumerate() {
        if !t.presence.holds(cfg) {
            continue;
        }
        let dim = |i: usize| t.shape[i].value(cfg, 0);
        match t.kind {
            Kind::Matrix => {
                mats[i] = Some(r.matrix(&format!("{}.weight", t.name), dim(0), dim(1))?)
            }
            Kind::Vector => final_logits_bias = r.vector(t.name, dim(0))?,
            Kind::Linear | Kind::Norm => unreachable!("top-level tensors are matrices or vectors"),
        }
    }
    let src_embedding = mats[0].expect("the source embedding is always present");
    let tgt_embedding = mats[1].unwrap_or(src_embedding);
    let output = mats[2].unwrap_or(tgt_embedding);

    let mut encoder = Vec::new();
    for i in 0..cfg.encoder_layers {
        let name = format!("{}.{i}", schema::ENCODER_PREFIX);
        encoder.push(r.layer(cfg, &name, &schema::ENCODER_LAYER, cfg.encoder_ffn_dim)?);
    }
    let mut decoder = Vec::new();
    for i in 0..cfg.decoder_layers {
        let name = format!("{}.{i}", schema::DECODER_PREFIX);
        decoder.push(r.layer(cfg, &name, &schema::DECODER_LAYER, cfg.decoder_ffn_dim)?);
    }

    if let Some(i) = r.used.iter().position(|u| !u) {
        let why = match g.tensors[i].name.as_str() {
            "output.weight" | "output.scale" => " (marian.tie_word_embeddings is true)",
            n if n.starts_with("dec_token_embd.") => {
                " (marian.share_encoder_decoder_embeddings is true)"
            }
            n if n.ends_with(".scale") && cfg.dtype == DType::F32 => {
                " (mobilenmt.dtype is f32: no scales)"
            }
            _ => "",
        };
        return Err(Error::bad_model(format!(
            "unexpected tensor {}{why}",
            g.tensors[i].name
        )));
    }

    r.spans.sort_unstable();
    for w in r.spans.windows(2) {
        let ((_, a_end, a), (b_start, _, b)) = (w[0], w[1]);
        if b_start < a_end {
            return Err(Error::bad_model(format!(
                "tensor {} overlaps tensor {} (file offsets {}..{} and {}..)",
                g.tensors[b].name, g.tensors[a].name, w[0].0, a_end, b_start
            )));
        }
    }

    Ok(Layout {
        src_embedding,
        tgt_embedding,
        output,
        final_logits_bias,
        encoder,
        decoder,
        parameter_count: r.params,
    })
}
