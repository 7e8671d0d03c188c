//! The optional vocabulary shortlist section of a model file: absent means no shortlist, present
//! and valid gives the lists in place (u16 and u32 ids), and every malformed variant is a clear
//! `BadModel` error, never a panic.

#[path = "common/gguf_builder.rs"]
mod gguf_builder;

use gguf_builder::{tiny_model, Builder, SHARED_INT8, V};
use mobilenmt::model::{CandidateSet, Model};
use mobilenmt::ErrorKind;

/// The tiny model's vocabulary is 10 tokens: eos 0, unk 1, pad 9 (forbidden).
const OFFSETS: [u32; 11] = [0, 0, 1, 3, 3, 3, 3, 3, 5, 5, 6];
const TARGETS: [u32; 6] = [1, 4, 6, 2, 8, 9];
const FREQUENT: [u32; 2] = [1, 3];

fn raw_u16_array(v: &[u32]) -> V {
    let mut payload = 2u32.to_le_bytes().to_vec(); // element type u16
    payload.extend_from_slice(&(v.len() as u64).to_le_bytes());
    for &x in v {
        payload.extend_from_slice(&u16::try_from(x).unwrap().to_le_bytes());
    }
    V::Raw(9, payload)
}

fn with_shortlist(wide: bool) -> Builder {
    let mut b = tiny_model(SHARED_INT8);
    let ids = |v: &[u32]| {
        if wide {
            V::ArrU32(v.to_vec())
        } else {
            raw_u16_array(v)
        }
    };
    b.set("shortlist.version", V::U32(1))
        .set("shortlist.offsets", V::ArrU32(OFFSETS.to_vec()))
        .set("shortlist.targets", ids(&TARGETS))
        .set("shortlist.frequent", ids(&FREQUENT));
    b
}

fn load(bytes: &[u8], case: &str) -> mobilenmt::Result<Model> {
    std::panic::catch_unwind(|| Model::from_bytes(bytes))
        .unwrap_or_else(|_| panic!("case {case}: the loader panicked"))
}

#[test]
fn files_without_a_shortlist_have_none() {
    let m = load(&tiny_model(SHARED_INT8).build(), "plain").unwrap();
    assert!(m.shortlist().is_none());
    let root = env!("CARGO_MANIFEST_DIR");
    // The captions model carries one (`make shortlist`), built from its training corpus; the
    // default model carries one when it passed the gate (tools/ship_model.sh).
    for (dir, required) in [
        ("mobilenmt-en-de-captions", true),
        ("mobilenmt-en-de", false),
    ] {
        let path = format!("{root}/models/{dir}/model-int8.gguf");
        if !std::path::Path::new(&path).exists() {
            continue;
        }
        let m = Model::load(&path).unwrap();
        match m.shortlist() {
            Some(sl) => assert_eq!(sl.source_tokens(), m.config().vocab_size, "{dir}"),
            None => assert!(!required, "{dir} has no shortlist"),
        }
    }
}

#[test]
fn a_valid_shortlist_is_read_in_place_with_u16_and_u32_ids() {
    for wide in [false, true] {
        let m = load(&with_shortlist(wide).build(), "valid").unwrap();
        let sl = m.shortlist().expect("shortlist");
        assert_eq!(
            (sl.source_tokens(), sl.target_tokens(), sl.entries()),
            (10, 10, 6)
        );
        assert_eq!(sl.list(2).collect::<Vec<_>>(), [4, 6]);
        assert_eq!(sl.list(9).collect::<Vec<_>>(), [9]);
        assert_eq!(sl.frequent().collect::<Vec<_>>(), FREQUENT);
        let mut set = CandidateSet::new(10);
        sl.candidates(&[2, 7, 9, 0], &mut set).unwrap();
        // frequent {1, 3} + eos 0 + pad 9 (forbidden, kept for the normaliser) + lists {4, 6}
        // {2, 8} {9}.
        assert_eq!(set.ids(), [0, 1, 2, 3, 4, 6, 8, 9]);
    }
}

#[test]
fn another_shortlist_version_is_ignored() {
    let mut b = with_shortlist(true);
    b.set("shortlist.version", V::U32(2));
    assert!(load(&b.build(), "v2").unwrap().shortlist().is_none());
}

#[test]
fn malformed_shortlists_are_bad_models() {
    type Edit = fn(&mut Builder);
    let cases: [(&str, Edit, &str); 9] = [
        (
            "no version",
            |b| {
                b.remove("shortlist.version");
            },
            "shortlist.version is missing",
        ),
        (
            "version type",
            |b| {
                b.set("shortlist.version", V::Str("1".into()));
            },
            "expected u32",
        ),
        (
            "no offsets",
            |b| {
                b.remove("shortlist.offsets");
            },
            "missing key shortlist.offsets",
        ),
        (
            "offsets type",
            |b| {
                b.set("shortlist.offsets", V::ArrI32(vec![0; 11]));
            },
            "expected array[u32]",
        ),
        (
            "short offsets",
            |b| {
                b.set("shortlist.offsets", V::ArrU32(vec![0, 6]));
            },
            "expected 11 entries",
        ),
        (
            "mixed widths",
            |b| {
                b.set("shortlist.frequent", V::ArrU32(FREQUENT.to_vec()));
            },
            "like shortlist.targets",
        ),
        (
            "id range",
            |b| {
                b.set("shortlist.targets", raw_u16_array(&[1, 4, 6, 2, 8, 10]));
            },
            "outside the target vocabulary",
        ),
        (
            "unsorted",
            |b| {
                b.set("shortlist.targets", raw_u16_array(&[1, 6, 4, 2, 8, 9]));
            },
            "source token 2",
        ),
        (
            "frequent dup",
            |b| {
                b.set("shortlist.frequent", raw_u16_array(&[3, 3]));
            },
            "shortlist.frequent",
        ),
    ];
    for (case, edit, needle) in cases {
        let mut b = with_shortlist(false);
        edit(&mut b);
        match load(&b.build(), case) {
            Ok(_) => panic!("case {case}: loaded"),
            Err(e) => {
                assert_eq!(
                    e.kind(),
                    ErrorKind::BadModel,
                    "case {case}: {}",
                    e.message()
                );
                assert!(e.message().contains(needle), "case {case}: {}", e.message());
            }
        }
    }
}
