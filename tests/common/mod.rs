//! Test-only helpers: a small JSON reader for the golden files and fixture paths.
#![allow(dead_code)]

use std::path::PathBuf;

use mobilenmt::model::Model;
use mobilenmt::nn::{Dims, Net, NnWorkspace, Parallel};

/// A parsed JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    /// Parses a whole document; panics with the byte offset on malformed input.
    pub fn parse(text: &str) -> Json {
        let mut p = Parser {
            b: text.as_bytes(),
            i: 0,
        };
        let v = p.value();
        p.ws();
        assert_eq!(p.i, p.b.len(), "trailing data at byte {}", p.i);
        v
    }

    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(kv) => kv.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// `self[key]`, panicking with the key name when absent.
    pub fn at(&self, key: &str) -> &Json {
        self.get(key)
            .unwrap_or_else(|| panic!("missing JSON key {key:?}"))
    }

    pub fn arr(&self) -> &[Json] {
        match self {
            Json::Arr(a) => a,
            other => panic!("expected an array, got {other:?}"),
        }
    }

    pub fn num(&self) -> f64 {
        match self {
            Json::Num(x) => *x,
            other => panic!("expected a number, got {other:?}"),
        }
    }

    pub fn str(&self) -> &str {
        match self {
            Json::Str(s) => s,
            other => panic!("expected a string, got {other:?}"),
        }
    }

    pub fn ids(&self) -> Vec<u32> {
        self.arr().iter().map(|v| v.num() as u32).collect()
    }
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\n' | b'\r' | b'\t') {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) {
        self.ws();
        assert_eq!(
            self.b.get(self.i),
            Some(&c),
            "expected {:?} at byte {}",
            c as char,
            self.i
        );
        self.i += 1;
    }

    fn value(&mut self) -> Json {
        self.ws();
        match self.b.get(self.i) {
            Some(b'{') => {
                self.i += 1;
                let mut kv = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Json::Obj(kv);
                }
                loop {
                    self.ws();
                    let k = self.string();
                    self.eat(b':');
                    let v = self.value();
                    kv.push((k, v));
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Json::Obj(kv);
                        }
                        _ => panic!("bad object at byte {}", self.i),
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut a = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Json::Arr(a);
                }
                loop {
                    a.push(self.value());
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Json::Arr(a);
                        }
                        _ => panic!("bad array at byte {}", self.i),
                    }
                }
            }
            Some(b'"') => Json::Str(self.string()),
            Some(b't') => self.lit("true", Json::Bool(true)),
            Some(b'f') => self.lit("false", Json::Bool(false)),
            Some(b'n') => self.lit("null", Json::Null),
            Some(_) => self.number(),
            None => panic!("unexpected end of JSON"),
        }
    }

    fn lit(&mut self, word: &str, v: Json) -> Json {
        assert!(
            self.b[self.i..].starts_with(word.as_bytes()),
            "bad literal at byte {}",
            self.i
        );
        self.i += word.len();
        v
    }

    fn number(&mut self) -> Json {
        let start = self.i;
        while self.i < self.b.len()
            && matches!(
                self.b[self.i],
                b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'
            )
        {
            self.i += 1;
        }
        let s = std::str::from_utf8(&self.b[start..self.i]).unwrap();
        match s {
            "" => panic!("bad value at byte {start}"),
            _ => Json::Num(s.parse().unwrap_or_else(|_| panic!("bad number {s:?}"))),
        }
    }

    fn hex4(&mut self) -> u32 {
        let s = std::str::from_utf8(&self.b[self.i..self.i + 4]).unwrap();
        self.i += 4;
        u32::from_str_radix(s, 16).unwrap()
    }

    fn string(&mut self) -> String {
        self.eat(b'"');
        let mut out = Vec::new();
        loop {
            let c = self.b[self.i];
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let e = self.b[self.i];
                    self.i += 1;
                    let ch = match e {
                        b'n' => '\n',
                        b't' => '\t',
                        b'r' => '\r',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'u' => {
                            let mut cp = self.hex4();
                            if (0xd800..0xdc00).contains(&cp)
                                && self.b[self.i..].starts_with(b"\\u")
                            {
                                self.i += 2;
                                let lo = self.hex4();
                                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                            }
                            char::from_u32(cp).unwrap_or('\u{fffd}')
                        }
                        other => other as char,
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                _ => out.push(c),
            }
        }
        String::from_utf8(out).expect("JSON strings are UTF-8")
    }
}

/// The fixture folders with trained models and golden files.
pub const FIXTURES: [&str; 2] = ["tiny-swish", "tiny-relu-untied"];

/// `tests/data/<name>/<file>`.
pub fn fixture(name: &str, file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
        .join(file)
}

/// The golden file of a fixture.
pub fn golden(name: &str) -> Json {
    let path = fixture(name, "golden.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    Json::parse(&text)
}

/// The golden per-step logits, `logits.f32` as f32 values.
pub fn golden_logits(name: &str) -> Vec<f32> {
    let path = fixture(name, "logits.f32");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// The `generate` kwargs of one golden mode (`"greedy"` or `"beam4"`); older files keep one
/// set of kwargs directly under `"generation"`.
pub fn golden_kwargs<'a>(g: &'a Json, mode: &str) -> &'a Json {
    let gen = g.at("generation");
    gen.get(mode).unwrap_or(gen)
}

/// Most tokens HF may generate (including `</s>`) under the golden kwargs of `mode`.
pub fn golden_max_new(g: &Json, mode: &str) -> usize {
    let gen = golden_kwargs(g, mode);
    if let Some(n) = gen.get("max_new_tokens") {
        n.num() as usize
    } else {
        gen.at("max_length").num() as usize - 1
    }
}

/// Largest relative error of `got` against `want`, relative to the row's largest magnitude.
fn rel_err(got: &[f32], want: &[f32]) -> f32 {
    let scale = want.iter().fold(0f32, |m, x| m.max(x.abs())).max(1e-6);
    got.iter()
        .zip(want)
        .fold(0f32, |m, (a, b)| m.max((a - b).abs() / scale))
}

/// Teacher-forced per-step logits of `model`, compared with the golden ones; returns the worst
/// relative error over every step of every golden logits entry.
pub fn worst_logits_error(name: &str, file: &str) -> f32 {
    let g = golden(name);
    let all = golden_logits(name);
    let model = Model::load(fixture(name, file)).unwrap();
    let kern = mobilenmt::kernels::active().unwrap();
    let vocab = model.config().decoder_vocab_size;
    let one = mobilenmt::pool::Pool::new(1).unwrap();
    let net = Net::new(&model, kern, Parallel::new(&one));
    let mut worst = 0f32;
    for entry in g.at("logits").arr() {
        let src = entry.at("src_ids").ids();
        let dec = entry.at("decoder_input_ids").ids();
        let shape = entry.at("shape").arr();
        let steps = shape[0].num() as usize;
        assert_eq!(shape[1].num() as usize, vocab);
        assert_eq!(steps, dec.len());
        let offset = entry.at("offset").num() as usize;
        let mut ws = NnWorkspace::new(
            &model,
            Dims {
                max_src: src.len(),
                max_tgt: steps,
                rows: 1,
                sents: 1,
            },
        );
        net.encode(&mut ws, &src, 0);
        for (t, &tok) in dec.iter().enumerate() {
            net.decode_step(&mut ws, t, &[tok], &[0]);
            let want = &all[offset + t * vocab..offset + (t + 1) * vocab];
            let e = rel_err(&ws.logits[..vocab], want);
            worst = worst.max(e);
        }
    }
    worst
}

#[test]
fn json_parses_nested_values() {
    let v =
        Json::parse(r#"{"a": [1, -2.5e1, "x\u00e9\ud83d\ude00"], "b": {"c": null, "d": true}}"#);
    assert_eq!(v.at("a").arr()[1].num(), -25.0);
    assert_eq!(v.at("a").arr()[2].str(), "xé😀");
    assert_eq!(v.at("b").at("c"), &Json::Null);
    assert_eq!(v.at("b").at("d"), &Json::Bool(true));
}

/// A translator over a fixture model file with default limits.
pub fn translator(name: &str, file: &str) -> mobilenmt::Translator {
    let model =
        Model::load(fixture(name, file)).unwrap_or_else(|e| panic!("loading {name}/{file}: {e}"));
    mobilenmt::Translator::new(model, mobilenmt::Limits::default()).expect("translator")
}

/// The source sentences of a fixture's golden file.
pub fn golden_sources(name: &str) -> Vec<String> {
    golden(name)
        .at("sentences")
        .arr()
        .iter()
        .map(|s| s.at("src").str().to_owned())
        .collect()
}
