//! Loader tests: valid files expose the right config and views; every corruption in the table
//! gives the expected error kind and a message naming the problem; nothing panics.

#[path = "common/gguf_builder.rs"]
mod gguf_builder;

use std::path::{Path, PathBuf};

use gguf_builder::{quant, tiny_model, value, Builder, Shape, Tensor, F32, I8, SHARED_INT8, V};
use mobilenmt::model::{DType, LayerBlock, Matrix, Model};
use mobilenmt::ErrorKind;

const UNTIED_F32: Shape = Shape {
    d: 24,
    enc_layers: 1,
    dec_layers: 2,
    enc_ffn: 40,
    dec_ffn: 72,
    vocab: 10,
    dec_vocab: 14,
    shared: false,
    tied: false,
    int8: false,
};

/// Loading must never panic; a panic here fails the test with the case's name.
fn load(bytes: &[u8], case: &str) -> mobilenmt::Result<Model> {
    match std::panic::catch_unwind(|| Model::from_bytes(bytes)) {
        Ok(r) => r,
        Err(_) => panic!("case {case}: the loader panicked"),
    }
}

fn expect_err(bytes: &[u8], kind: ErrorKind, needles: &[&str], case: &str) {
    match load(bytes, case) {
        Ok(_) => panic!("case {case}: loaded, expected {kind:?}"),
        Err(e) => {
            assert_eq!(e.kind(), kind, "case {case}: message {}", e.message());
            for n in needles {
                assert!(
                    e.message().contains(n),
                    "case {case}: message {:?} should contain {n:?}",
                    e.message()
                );
            }
        }
    }
}

#[test]
fn tiny_int8_model_loads_with_expected_config_and_views() {
    let b = tiny_model(SHARED_INT8);
    let bytes = b.build();
    let m = load(&bytes, "valid int8").unwrap();
    let c = m.config();
    assert_eq!(c.d_model, 24);
    assert_eq!((c.encoder_layers, c.decoder_layers), (2, 1));
    assert_eq!((c.encoder_heads, c.decoder_heads), (4, 2));
    assert_eq!((c.encoder_ffn_dim, c.decoder_ffn_dim), (72, 40));
    assert_eq!(c.activation, mobilenmt::math::Activation::Swish);
    assert!(c.scale_embedding && c.shared_embeddings && c.tied_output);
    assert_eq!((c.vocab_size, c.decoder_vocab_size), (10, 10));
    assert_eq!(
        (c.pad_id, c.eos_id, c.unk_id, c.decoder_start_id),
        (9, 0, 1, 9)
    );
    assert_eq!(c.forbidden_ids, vec![9]);
    assert_eq!(c.source_lang.as_deref(), Some("en"));
    assert_eq!(c.name.as_deref(), Some("tiny"));
    assert_eq!((c.dtype, c.format_version), (DType::Int8, 1));
    assert_eq!(m.file_size(), bytes.len() as u64);
    assert_eq!(m.source_spm(), b"source spm bytes");
    assert_eq!(m.target_spm(), b"target spm!");
    assert_eq!(m.source_vocab().get(1), Some("<unk>"));
    assert_eq!(m.target_vocab(), m.source_vocab());

    // Tensor 0 is token_embd.weight: INT8 rows padded from 24 to 64 columns.
    let Matrix::I8 {
        data,
        scales,
        rows,
        cols,
        stride,
    } = m.src_embedding()
    else {
        panic!("expected an INT8 embedding")
    };
    assert_eq!((rows, cols, stride), (10, 24, 64));
    assert_eq!(data[3 * 64 + 5], quant(0, 3 * 24 + 5));
    assert!(data[3 * 64 + 24..4 * 64].iter().all(|&x| x == 0));
    assert_eq!(scales[2], 0.012);
    // Shared and tied: all three views are the same matrix.
    for other in [m.tgt_embedding(), m.output_projection()] {
        let Matrix::I8 { data: o, .. } = other else {
            panic!("expected INT8")
        };
        assert_eq!(o.as_ptr(), data.as_ptr());
    }
    assert_eq!(m.final_logits_bias().len(), 10);

    let [LayerBlock::SelfAttention(attn), LayerBlock::FeedForward(ffn)] = m.encoder_layer(1) else {
        panic!("an encoder layer is self-attention then feed-forward")
    };
    assert_eq!((ffn.up.weight.rows(), ffn.up.weight.cols()), (72, 24));
    assert_eq!((ffn.down.weight.rows(), ffn.down.weight.cols()), (24, 72));
    let Matrix::I8 { stride, data, .. } = ffn.down.weight else {
        panic!("expected INT8")
    };
    assert_eq!((stride, data.len()), (128, 24 * 128));
    assert_eq!(ffn.up.bias.len(), 72);
    assert_eq!(attn.norm.weight.len(), 24);
    let [_, LayerBlock::CrossAttention(cross), LayerBlock::FeedForward(ffn)] = m.decoder_layer(0)
    else {
        panic!("a decoder layer is self-attention, cross-attention, feed-forward")
    };
    assert_eq!(cross.k.weight.rows(), 24);
    assert_eq!(ffn.up.weight.rows(), 40);

    assert_eq!(m.positions().len(), 16 * 24);
    assert_eq!(&m.positions()[..24], {
        let mut row0 = [0.0f32; 24];
        row0[12..].fill(1.0);
        row0
    });
    // Matrices once (embedding shared and tied), without padding or scales, plus vectors.
    let per_enc = 4 * (24 * 24 + 24) + 2 * 24 + (72 * 24 + 72) + (24 * 72 + 24) + 2 * 24;
    let per_dec = 8 * (24 * 24 + 24) + 4 * 24 + (40 * 24 + 40) + (24 * 40 + 24) + 2 * 24;
    assert_eq!(
        m.parameter_count(),
        (10 * 24 + 10 + 2 * per_enc + per_dec) as u64
    );
}

#[test]
fn untied_f32_model_has_separate_matrices_and_vocabularies() {
    let bytes = tiny_model(UNTIED_F32).build();
    let m = load(&bytes, "valid untied f32").unwrap();
    let c = m.config();
    assert!(!c.shared_embeddings && !c.tied_output);
    assert_eq!((c.vocab_size, c.decoder_vocab_size), (10, 14));
    assert_eq!(c.dtype, DType::F32);
    assert_eq!(m.source_vocab().len(), 10);
    assert_eq!(m.target_vocab().len(), 14);
    assert_eq!(m.target_vocab().get(0), Some("t</s>"));
    let (src, tgt, out) = (m.src_embedding(), m.tgt_embedding(), m.output_projection());
    assert_eq!((src.rows(), tgt.rows(), out.rows()), (10, 14, 14));
    let (Matrix::F32 { data: s, .. }, Matrix::F32 { data: t, .. }, Matrix::F32 { data: o, .. }) =
        (src, tgt, out)
    else {
        panic!("expected f32 matrices")
    };
    // Tensors 0, 1, 2 are token_embd, dec_token_embd, output: distinct data.
    assert_eq!(s[7], value(0, 7));
    assert_eq!(t[7], value(1, 7));
    assert_eq!(o[7], value(2, 7));
    assert_eq!(m.final_logits_bias()[5], value(3, 5));
    let [_, _, LayerBlock::FeedForward(ffn)] = m.decoder_layer(1) else {
        panic!("a decoder layer ends with feed-forward")
    };
    assert_eq!((ffn.up.weight.rows(), ffn.up.weight.cols()), (72, 24));
}

#[test]
fn from_bytes_copies_and_accepts_unaligned_input() {
    let bytes = tiny_model(SHARED_INT8).build();
    let mut shifted = vec![0u8; bytes.len() + 1];
    shifted[1..].copy_from_slice(&bytes);
    let m = load(&shifted[1..], "unaligned input").unwrap();
    drop(shifted); // the model must not borrow the caller's bytes
    assert_eq!(m.config().d_model, 24);
    assert_eq!(m.source_spm(), b"source spm bytes");
}

#[test]
fn load_maps_a_file_and_matches_from_bytes() {
    let bytes = tiny_model(UNTIED_F32).build();
    let path = temp_path("untied.gguf");
    std::fs::write(&path, &bytes).unwrap();
    let mapped = Model::load(&path).unwrap();
    let owned = Model::from_bytes(&bytes).unwrap();
    assert_eq!(mapped.config(), owned.config());
    assert_eq!(mapped.final_logits_bias(), owned.final_logits_bias());
    let debug = format!("{mapped:?}");
    assert!(debug.len() < 2000, "Debug must not dump data: {debug}");
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn load_errors_name_the_path() {
    let e = Model::load("no/such/dir/model.gguf").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
    assert!(e.message().contains("model.gguf"), "{}", e.message());

    let path = temp_path("empty.gguf");
    std::fs::write(&path, b"").unwrap();
    let e = Model::load(&path).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadModel);
    assert!(e.message().contains("empty"), "{}", e.message());
    std::fs::remove_file(&path).unwrap();

    let e = Model::load(std::env::temp_dir()).unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Io | ErrorKind::BadModel),
        "{e:?}"
    );
}

fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "mobilenmt-model-load-{}-{name}",
        std::process::id()
    ))
}

#[test]
fn truncation_at_every_offset_is_an_error() {
    let full = tiny_model(SHARED_INT8).build_full();
    let bytes = &full.bytes;
    // Every offset through the header, metadata and directory, then a stride through the data.
    let offsets = (0..full.data_start + 8).chain((full.data_start + 8..bytes.len()).step_by(61));
    for n in offsets {
        let case = format!("truncated at {n} of {}", bytes.len());
        match load(&bytes[..n], &case) {
            Ok(_) => panic!("{case}: loaded"),
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::BadModel, "{case}: {}", e.message());
                let m = e.message();
                assert!(
                    m.contains("truncated")
                        || m.contains("empty")
                        || m.contains("cannot fit")
                        || m.contains("past the end"),
                    "{case}: {m}"
                );
            }
        }
    }
}

#[test]
fn random_byte_corruption_never_panics() {
    let bytes = tiny_model(UNTIED_F32).build();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let header_end = 4096.min(bytes.len());
    for round in 0..3000 {
        let mut b = bytes.clone();
        for _ in 0..1 + round % 3 {
            // Mostly in the header and directory, where structure lives.
            let limit = if round % 4 == 0 { b.len() } else { header_end };
            let at = (next() as usize) % limit;
            b[at] = next() as u8;
        }
        let _ = load(&b, &format!("random corruption round {round}"));
    }
}

type Edit = Box<dyn Fn(&mut Builder)>;

fn set(key: &'static str, v: V) -> Edit {
    Box::new(move |b| {
        b.set(key, v.clone());
    })
}

fn remove(key: &'static str) -> Edit {
    Box::new(move |b| {
        b.remove(key);
    })
}

fn tensor(name: &'static str, f: fn(&mut Tensor)) -> Edit {
    Box::new(move |b| f(b.tensor(name)))
}

#[test]
fn corrupted_metadata_and_tensor_table() {
    use ErrorKind::{BadModel, UnsupportedModel};
    let cases: Vec<(&str, Edit, ErrorKind, Vec<&str>)> = vec![
        (
            "wrong magic",
            Box::new(|b| b.magic = *b"GGML"),
            BadModel,
            vec!["magic"],
        ),
        (
            "version 2",
            Box::new(|b| b.version = 2),
            UnsupportedModel,
            vec!["version", "expected 3, found 2"],
        ),
        (
            "version 77",
            Box::new(|b| b.version = 77),
            BadModel,
            vec!["version", "found 77"],
        ),
        (
            "missing alignment",
            remove("general.alignment"),
            BadModel,
            vec!["general.alignment"],
        ),
        (
            "alignment 48",
            set("general.alignment", V::U32(48)),
            BadModel,
            vec!["general.alignment", "48"],
        ),
        (
            "alignment 4",
            set("general.alignment", V::U32(4)),
            BadModel,
            vec!["general.alignment"],
        ),
        (
            "missing d_model",
            remove("marian.d_model"),
            BadModel,
            vec!["missing key marian.d_model"],
        ),
        (
            "d_model as i32",
            set("marian.d_model", V::I32(24)),
            BadModel,
            vec!["marian.d_model", "expected u32, found i32"],
        ),
        (
            "d_model as string",
            set("marian.d_model", V::Str("24".into())),
            BadModel,
            vec!["marian.d_model", "found string"],
        ),
        (
            "d_model zero",
            set("marian.d_model", V::U32(0)),
            BadModel,
            vec!["marian.d_model"],
        ),
        (
            "scale_embedding as u8",
            set("marian.scale_embedding", V::U8(1)),
            BadModel,
            vec!["marian.scale_embedding", "expected bool, found u8"],
        ),
        (
            "bool value 2",
            set("marian.scale_embedding", V::Raw(7, vec![2])),
            BadModel,
            vec!["marian.scale_embedding", "0 or 1"],
        ),
        (
            "unknown value type",
            set("marian.d_model", V::Raw(13, vec![0; 8])),
            BadModel,
            vec!["marian.d_model", "unknown value type 13"],
        ),
        (
            "invalid UTF-8 string",
            set(
                "general.name",
                V::Raw(
                    8,
                    [&4u64.to_le_bytes()[..], &[0xff, 0xfe, b'a', b'b']].concat(),
                ),
            ),
            BadModel,
            vec!["general.name", "UTF-8"],
        ),
        (
            "duplicate key",
            Box::new(|b| b.kv.push(("marian.d_model".into(), V::U32(24)))),
            BadModel,
            vec!["duplicate metadata key marian.d_model"],
        ),
        (
            "architecture bert",
            set("general.architecture", V::Str("bert".into())),
            UnsupportedModel,
            vec!["general.architecture", "bert"],
        ),
        (
            "format_version 2",
            set("mobilenmt.format_version", V::U32(2)),
            UnsupportedModel,
            vec!["mobilenmt.format_version", "found 2"],
        ),
        (
            "format_version 0",
            set("mobilenmt.format_version", V::U32(0)),
            BadModel,
            vec!["mobilenmt.format_version"],
        ),
        (
            "missing format_version",
            remove("mobilenmt.format_version"),
            BadModel,
            vec!["missing key mobilenmt.format_version"],
        ),
        (
            "dtype int4",
            set("mobilenmt.dtype", V::Str("int4".into())),
            UnsupportedModel,
            vec!["mobilenmt.dtype", "int4"],
        ),
        (
            "pre-norm",
            set("marian.normalize_before", V::Bool(true)),
            UnsupportedModel,
            vec!["marian.normalize_before"],
        ),
        (
            "activation tanh",
            set("marian.activation_function", V::Str("tanh".into())),
            UnsupportedModel,
            vec!["marian.activation_function", "tanh"],
        ),
        (
            "heads do not divide",
            set("marian.encoder_attention_heads", V::U32(5)),
            BadModel,
            vec!["marian.encoder_attention_heads", "divide"],
        ),
        (
            "eps negative",
            set("marian.layer_norm_eps", V::F32(-1.0)),
            BadModel,
            vec!["marian.layer_norm_eps"],
        ),
        (
            "eos out of range",
            set("marian.eos_token_id", V::U32(10)),
            BadModel,
            vec!["marian.eos_token_id", "found 10"],
        ),
        (
            "forbidden id out of range",
            set("marian.forbidden_token_ids", V::ArrU32(vec![3, 99])),
            BadModel,
            vec!["marian.forbidden_token_ids", "99"],
        ),
        (
            "forbidden ids as i32",
            set("marian.forbidden_token_ids", V::ArrI32(vec![9])),
            BadModel,
            vec!["marian.forbidden_token_ids", "array[u32]", "array[i32]"],
        ),
        (
            "huge max positions",
            set("marian.max_position_embeddings", V::U32(u32::MAX)),
            BadModel,
            vec!["marian.max_position_embeddings"],
        ),
        (
            "shared but vocab sizes differ",
            set("marian.decoder_vocab_size", V::U32(12)),
            BadModel,
            vec!["marian.decoder_vocab_size"],
        ),
        (
            "spm as i32 array",
            set("tokenizer.source_spm", V::ArrI32(vec![1, 2])),
            BadModel,
            vec!["tokenizer.source_spm", "expected array[u8]"],
        ),
        (
            // The target model may be absent (a shared SentencePiece model is stored once); the
            // source model may not.
            "spm missing",
            remove("tokenizer.source_spm"),
            BadModel,
            vec!["missing key tokenizer.source_spm"],
        ),
        (
            "vocab too short",
            set("tokenizer.vocab", V::ArrStr(vec!["a".into(); 9])),
            BadModel,
            vec!["tokenizer.vocab", "expected 10", "found 9"],
        ),
        (
            "vocab wrong type",
            set("tokenizer.vocab", V::ArrU32(vec![0; 10])),
            BadModel,
            vec!["tokenizer.vocab", "array[string]"],
        ),
        (
            "huge string length",
            set("general.name", V::Raw(8, u64::MAX.to_le_bytes().to_vec())),
            BadModel,
            vec!["general.name", "cannot fit"],
        ),
        (
            "huge array length",
            set(
                "tokenizer.vocab",
                V::Raw(
                    9,
                    [&8u32.to_le_bytes()[..], &(1u64 << 60).to_le_bytes()].concat(),
                ),
            ),
            BadModel,
            vec!["tokenizer.vocab", "cannot fit"],
        ),
        (
            "deeply nested array",
            set(
                "x.nested",
                V::Raw(
                    9,
                    (0..40)
                        .flat_map(|_| [&9u32.to_le_bytes()[..], &1u64.to_le_bytes()].concat())
                        .collect(),
                ),
            ),
            BadModel,
            vec!["x.nested", "nested"],
        ),
        (
            "missing tensor",
            Box::new(|b| {
                b.remove_tensor("enc.1.ffn_norm.bias");
            }),
            BadModel,
            vec!["missing tensor enc.1.ffn_norm.bias"],
        ),
        (
            "missing scale",
            Box::new(|b| {
                b.remove_tensor("dec.0.cross_v.scale");
            }),
            BadModel,
            vec!["missing tensor dec.0.cross_v.scale"],
        ),
        (
            "layers beyond the file",
            set("marian.encoder_layers", V::U32(4_000_000_000)),
            BadModel,
            vec!["missing tensor enc.2."],
        ),
        (
            "unexpected tensor",
            Box::new(|b| {
                b.tensors.push(Tensor {
                    name: "output.weight".into(),
                    dims: vec![64, 10],
                    ty: I8,
                    data: vec![0; 640],
                    offset: None,
                })
            }),
            BadModel,
            vec!["unexpected tensor output.weight", "tie_word_embeddings"],
        ),
        (
            "duplicate tensor name",
            Box::new(|b| {
                let t = b.tensor("enc.0.attn_q.bias").clone();
                b.tensors.push(t);
            }),
            BadModel,
            vec!["duplicate tensor enc.0.attn_q.bias"],
        ),
        (
            "wrong dtype f32 for int8",
            tensor("enc.0.attn_k.weight", |t| {
                t.ty = F32;
                t.dims = vec![16, 24];
            }),
            BadModel,
            vec![
                "enc.0.attn_k.weight",
                "expected type I8 (24), found F32 (0)",
            ],
        ),
        (
            "f16 tensor",
            tensor("final_logits_bias", |t| t.ty = 1),
            BadModel,
            vec!["final_logits_bias", "F16"],
        ),
        (
            "shape not matching config",
            tensor("enc.0.ffn_up.weight", |t| t.dims = vec![64, 71]),
            BadModel,
            vec!["enc.0.ffn_up.weight", "[64, 72]", "[64, 71]"],
        ),
        (
            "unpadded int8 rows",
            tensor("enc.0.attn_q.weight", |t| {
                t.dims = vec![24, 24];
                t.data.truncate(576);
            }),
            BadModel,
            vec!["enc.0.attn_q.weight", "expected dims [64, 24]"],
        ),
        (
            "bias shape",
            tensor("dec.0.cross_o.bias", |t| t.dims = vec![24, 1]),
            BadModel,
            vec!["dec.0.cross_o.bias", "[24]"],
        ),
        (
            "n_dims 5",
            tensor("enc.0.attn_q.bias", |t| t.dims = vec![24, 1, 1, 1, 1]),
            BadModel,
            vec!["enc.0.attn_q.bias", "n_dims"],
        ),
        (
            "offset past the end",
            tensor("dec.0.ffn_norm.bias", |t| t.offset = Some(1 << 40)),
            BadModel,
            vec!["dec.0.ffn_norm.bias", "past the end"],
        ),
        (
            "offset overflow",
            tensor("dec.0.ffn_norm.bias", |t| t.offset = Some(u64::MAX - 63)),
            BadModel,
            vec!["dec.0.ffn_norm.bias", "past the end"],
        ),
        (
            "misaligned offset",
            tensor("enc.0.attn_v.bias", |t| t.offset = Some(68)),
            BadModel,
            vec!["enc.0.attn_v.bias", "not a multiple of the alignment 64"],
        ),
        (
            "overlapping tensors",
            tensor("enc.0.attn_v.bias", |t| t.offset = Some(0)),
            BadModel,
            vec!["overlaps", "enc.0.attn_v.bias", "token_embd"],
        ),
    ];
    let valid = tiny_model(SHARED_INT8);
    for (case, edit, kind, needles) in &cases {
        let mut b = valid.clone();
        edit(&mut b);
        expect_err(&b.build(), *kind, needles, case);
    }
}

#[test]
fn untied_model_without_target_vocab_is_rejected() {
    let mut b = tiny_model(UNTIED_F32);
    b.remove("tokenizer.target_vocab");
    expect_err(
        &b.build(),
        ErrorKind::BadModel,
        &["tokenizer.target_vocab"],
        "no target vocab",
    );
    let mut b = tiny_model(UNTIED_F32);
    b.remove_tensor("dec_token_embd.weight");
    expect_err(
        &b.build(),
        ErrorKind::BadModel,
        &["missing tensor dec_token_embd.weight"],
        "no dec emb",
    );
    let mut b = tiny_model(UNTIED_F32);
    b.tensors.push(Tensor {
        name: "enc.0.attn_q.scale".into(),
        dims: vec![24],
        ty: F32,
        data: vec![0; 96],
        offset: None,
    });
    expect_err(
        &b.build(),
        ErrorKind::BadModel,
        &["unexpected tensor enc.0.attn_q.scale", "f32"],
        "scale in f32 model",
    );
}

#[test]
fn patched_header_counts_are_rejected() {
    let bytes = tiny_model(SHARED_INT8).build();
    for (at, what, needle) in [
        (8usize, "tensor count", "tensor count"),
        (16, "kv count", "key-value count"),
    ] {
        let mut b = bytes.clone();
        b[at..at + 8].copy_from_slice(&u64::MAX.to_le_bytes());
        expect_err(&b, ErrorKind::BadModel, &[needle, "cannot fit"], what);
    }
    // One tensor more than the directory holds: reading runs into the data section and fails.
    let mut b = bytes.clone();
    let n = u64::from_le_bytes(b[8..16].try_into().unwrap());
    b[8..16].copy_from_slice(&(n + 1).to_le_bytes());
    assert!(load(&b, "tensor count + 1").is_err());
}

/// The trained fixture models (added with their Hugging Face sources under tests/data/tiny-*).
fn fixture(dir: &str, file: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(dir)
        .join(file);
    p.exists().then_some(p)
}

#[test]
fn fixture_models_load_with_their_config() {
    for dir in ["tiny-swish", "tiny-relu-untied"] {
        let Some(hf_config) = fixture(dir, "config.json") else {
            eprintln!("tests/data/{dir}/config.json not present yet; skipping");
            continue;
        };
        let cfg = std::fs::read_to_string(hf_config).unwrap();
        for (file, dtype) in [
            ("model-f32.gguf", DType::F32),
            ("model-int8.gguf", DType::Int8),
        ] {
            let path =
                fixture(dir, file).unwrap_or_else(|| panic!("tests/data/{dir}/{file} missing"));
            let m = Model::load(&path).unwrap_or_else(|e| panic!("{dir}/{file}: {e}"));
            let c = m.config();
            assert_eq!(c.dtype, dtype);
            for (key, got) in [
                ("d_model", c.d_model),
                ("encoder_layers", c.encoder_layers),
                ("decoder_layers", c.decoder_layers),
                ("encoder_ffn_dim", c.encoder_ffn_dim),
                ("decoder_ffn_dim", c.decoder_ffn_dim),
                ("vocab_size", c.vocab_size),
                ("max_position_embeddings", c.max_position_embeddings),
                ("pad_token_id", c.pad_id as usize),
            ] {
                assert!(
                    cfg.contains(&format!("\"{key}\": {got}")),
                    "{dir}/{file}: {key} = {got} not in config.json"
                );
            }
            assert_eq!(c.forbidden_ids[0], c.pad_id);
            assert_eq!(m.source_vocab().len(), c.vocab_size);
            assert_eq!(m.target_vocab().len(), c.decoder_vocab_size);
            let spm = std::fs::read(path.with_file_name("source.spm")).unwrap();
            assert_eq!(m.source_spm(), &spm[..]);
            let spm = std::fs::read(path.with_file_name("target.spm")).unwrap();
            assert_eq!(m.target_spm(), &spm[..]);
            assert_eq!(c.shared_embeddings, dir == "tiny-swish");
        }
    }
}
