//! The same INT8 translations on every ISA: the golden sentences of each fixture, translated with
//! the INT8 model greedily and with beam 4, must give exactly the token ids and text committed in
//! `tests/data/<fixture>/int8-expected.txt` (written on x86 with `-- --write`).
//!
//! The kernels are chosen once per process, so the ISA is picked by running this binary under
//! `MNMT_FORCE_ISA=scalar|sse41|avx2|neon|dotprod` (`make test-isa`, `make test-aarch64`). It is a
//! plain single-threaded `main` (`harness = false`) because qemu-user hangs on threads.

mod common;

use common::{golden, golden_max_new, golden_sources, translator, FIXTURES};
use mobilenmt::kernels::{self, Isa};
use mobilenmt::TranslateOptions;
use std::fmt::Write as _;
use std::process::ExitCode;

/// One line per sentence and mode: `mode<TAB>ids<TAB>text`.
fn translate_all(name: &str) -> String {
    let tr = translator(name, "model-int8.gguf");
    let g = golden(name);
    let mut out = String::new();
    for src in golden_sources(name) {
        for (mode, beam) in [("greedy", 1), ("beam4", 4)] {
            let opts = TranslateOptions {
                beam_size: beam,
                max_output_tokens: golden_max_new(&g, mode),
                ..TranslateOptions::default()
            };
            tr.translate_nbest_with(&src, &opts, |hyps| {
                let ids: Vec<String> = hyps[0].ids.iter().map(u32::to_string).collect();
                writeln!(out, "{mode}\t{}\t{}", ids.join(" "), hyps[0].text).unwrap();
            })
            .unwrap_or_else(|e| panic!("{name}: translating {src:?}: {e}"));
        }
    }
    out
}

fn main() -> ExitCode {
    let write = std::env::args().any(|a| a == "--write");
    // `make test-isa` lists every x86 ISA; one this CPU lacks is reported, not failed.
    if let Ok(forced) = std::env::var("MNMT_FORCE_ISA") {
        if let Some(isa) = Isa::parse(&forced) {
            if kernels::get(isa).is_none() {
                println!("isa_golden: {forced} is not available on this CPU, nothing to check");
                return ExitCode::SUCCESS;
            }
        }
    }
    let kernel = kernels::active().map(|k| k.name).unwrap_or("none");
    let (mut passed, mut failed) = (0, 0);
    for name in FIXTURES {
        let path = common::fixture(name, "int8-expected.txt");
        let got = translate_all(name);
        if write {
            std::fs::write(&path, &got).expect("writing the expected translations");
            println!("wrote {} with {kernel}", path.display());
            continue;
        }
        let want = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let (got_lines, want_lines): (Vec<_>, Vec<_>) =
            (got.lines().collect(), want.lines().collect());
        if got_lines.len() != want_lines.len() {
            println!(
                "FAIL {name} on {kernel}: {} lines, expected {}",
                got_lines.len(),
                want_lines.len()
            );
            failed += 1;
            continue;
        }
        for (i, (g, w)) in got_lines.iter().zip(&want_lines).enumerate() {
            if g == w {
                passed += 1;
            } else {
                failed += 1;
                println!(
                    "FAIL {name} line {} on {kernel}:\n  got  {g}\n  want {w}",
                    i + 1
                );
            }
        }
    }
    println!("translations checked with the {kernel} kernels");
    println!("isa_golden: {passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
