//! The translator within a 32-bit address space (`make test-armv7` runs this under qemu-arm) and
//! the shipped model's translations on the target at hand. A plain single-threaded `main`
//! (`harness = false`) because qemu-user hangs on threads; on 64-bit hosts it checks that
//! nothing is lowered there and tests the fitting arithmetic with explicit budgets.

#[path = "common/shipped.rs"]
mod shipped;

use mobilenmt::model::Model;
use mobilenmt::translator::address_space::{
    fit_workspace, workspace_bytes, WORKSPACE_BUDGET_32BIT,
};
use mobilenmt::ErrorKind;
use mobilenmt::{Limits, TranslateOptions, Translator};
use shipped::{CASES, MODEL as SHIPPED};
use std::process::ExitCode;

const IS_32BIT: bool = cfg!(target_pointer_width = "32");
const MIB: u64 = 1 << 20;

type Check = fn() -> Result<(), String>;

fn ensure(cond: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if cond {
        Ok(())
    } else {
        Err(what())
    }
}

fn shipped() -> Result<Model, String> {
    Model::load(SHIPPED).map_err(|e| format!("loading the shipped model: {e}"))
}

fn translations_match(tr: &Translator) -> Result<(), String> {
    for (src, greedy, beam4) in CASES {
        for (beam, want) in [(1, greedy), (4, beam4)] {
            let opts = TranslateOptions {
                beam_size: beam,
                ..TranslateOptions::default()
            };
            let got = tr.translate(src, &opts).map_err(|e| e.to_string())?;
            ensure(got == want, || {
                format!("beam {beam}: {src:?} gave {got:?}, want {want:?}")
            })?;
        }
    }
    let sources: Vec<&str> = CASES.iter().map(|c| c.0).collect();
    let mut got = Vec::new();
    tr.translate_batch_with(&sources, &TranslateOptions::default(), |_, text| {
        got.push(text.to_string())
    })
    .map_err(|e| e.to_string())?;
    let want: Vec<&str> = CASES.iter().map(|c| c.1).collect();
    ensure(got == want, || format!("batch gave {got:?}, want {want:?}"))
}

/// The estimate agrees with the measured reservation in docs/c-api.md (about 70 MB).
fn estimate_of_the_shipped_model() -> Result<(), String> {
    let m = shipped()?;
    let bytes = workspace_bytes(m.config(), &Limits::default());
    println!(
        "  shipped model, default limits: {} MiB per workspace",
        bytes / MIB
    );
    ensure((55 * MIB..=80 * MIB).contains(&bytes), || {
        format!("{bytes} bytes is not about 70 MB")
    })
}

/// Only `max_batch` moves, to the largest value that fits; too small a budget is an error.
fn fitting_lowers_only_the_batch() -> Result<(), String> {
    let m = shipped()?;
    let c = m.config();
    let big = Limits {
        max_batch: 1024,
        ..Limits::default()
    };
    let fitted = fit_workspace(c, big, WORKSPACE_BUDGET_32BIT).map_err(|e| e.to_string())?;
    let next = Limits {
        max_batch: fitted.max_batch + 1,
        ..fitted
    };
    println!(
        "  max_batch 1024 ({} MiB) -> {} ({} MiB)",
        workspace_bytes(c, &big) / MIB,
        fitted.max_batch,
        workspace_bytes(c, &fitted) / MIB
    );
    ensure(
        fitted
            == Limits {
                max_batch: fitted.max_batch,
                ..big
            },
        || format!("{fitted:?} changed more than max_batch"),
    )?;
    ensure(
        workspace_bytes(c, &fitted) <= WORKSPACE_BUDGET_32BIT
            && workspace_bytes(c, &next) > WORKSPACE_BUDGET_32BIT,
        || format!("{fitted:?} is not the largest batch that fits"),
    )?;
    let same = fit_workspace(c, Limits::default(), WORKSPACE_BUDGET_32BIT);
    ensure(same.as_ref().ok() == Some(&Limits::default()), || {
        format!("default limits changed: {same:?}")
    })?;
    match fit_workspace(c, big, MIB) {
        Err(e) if e.kind() == ErrorKind::OutOfMemory => Ok(()),
        other => Err(format!("a 1 MiB budget gave {other:?}")),
    }
}

/// An OPUS-MT base-sized configuration (d_model 512, 6 + 6 layers, FFN 2048, 58,101 tokens) needs
/// about 400 MiB per workspace at the default limits: on 32-bit its batch limit is lowered.
fn base_sized_model_is_lowered() -> Result<(), String> {
    let m = shipped()?;
    let mut c = m.config().clone();
    c.d_model = 512;
    c.encoder_layers = 6;
    c.decoder_layers = 6;
    c.encoder_ffn_dim = 2048;
    c.decoder_ffn_dim = 2048;
    c.vocab_size = 58_101;
    c.decoder_vocab_size = 58_101;
    let bytes = workspace_bytes(&c, &Limits::default());
    let fitted =
        fit_workspace(&c, Limits::default(), WORKSPACE_BUDGET_32BIT).map_err(|e| e.to_string())?;
    println!(
        "  base-sized model: {} MiB at max_batch 32 -> max_batch {} ({} MiB) on 32-bit",
        bytes / MIB,
        fitted.max_batch,
        workspace_bytes(&c, &fitted) / MIB
    );
    ensure((380 * MIB..=430 * MIB).contains(&bytes), || {
        format!("{bytes} bytes is not about 400 MiB")
    })?;
    ensure(fitted.max_batch < 32 && fitted.max_beam == 8, || {
        format!("{fitted:?}")
    })
}

/// The shipped model at the default limits, untouched on every target, translates as on x86.
fn shipped_model_translates() -> Result<(), String> {
    let tr = Translator::new(shipped()?, Limits::default()).map_err(|e| e.to_string())?;
    ensure(tr.limits() == Limits::default(), || {
        format!("limits changed to {:?}", tr.limits())
    })?;
    translations_match(&tr)
}

/// Limits whose workspace (about 2 GB) a 32-bit process cannot reserve: lowered on 32-bit, so
/// that six translators at once fit, and they still translate the same.
fn oversized_limits_fit_on_32bit() -> Result<(), String> {
    if !IS_32BIT {
        println!(
            "  64-bit target: limits are never lowered here (checked by the arithmetic above)"
        );
        return Ok(());
    }
    let big = Limits {
        max_batch: 1024,
        ..Limits::default()
    };
    let mut all = Vec::new();
    for _ in 0..6 {
        let tr = Translator::new(shipped()?, big).map_err(|e| e.to_string())?;
        let l = tr.limits();
        ensure(
            l.max_batch < 1024
                && workspace_bytes(tr.model().config(), &l) <= WORKSPACE_BUDGET_32BIT,
            || format!("limits {l:?} were not fitted"),
        )?;
        all.push(tr);
    }
    translations_match(&all[5])
}

/// A model file larger than the address space is a clean error (I/O on 32-bit: it cannot be
/// mapped), never a crash. The file is sparse: it takes no disk space.
fn file_larger_than_the_address_space() -> Result<(), String> {
    let path = std::env::temp_dir().join(format!("mnmt-huge-{}.gguf", std::process::id()));
    let f = std::fs::File::create(&path).map_err(|e| e.to_string())?;
    let r = f
        .set_len((1u64 << 32) + 4096)
        .map_err(|e| e.to_string())
        .map(|()| Model::load(&path));
    let _ = std::fs::remove_file(&path);
    match r? {
        Ok(_) => Err("a 4 GiB file of zeros loaded".into()),
        Err(e) if IS_32BIT && e.kind() != ErrorKind::Io => Err(format!("expected Io, got {e}")),
        Err(e) => {
            println!("  {:?}: {e}", e.kind());
            Ok(())
        }
    }
}

fn main() -> ExitCode {
    let checks: [(&str, Check); 6] = [
        (
            "workspace estimate of the shipped model",
            estimate_of_the_shipped_model,
        ),
        (
            "fitting lowers only max_batch",
            fitting_lowers_only_the_batch,
        ),
        ("base-sized model is lowered", base_sized_model_is_lowered),
        (
            "shipped model translates at the default limits",
            shipped_model_translates,
        ),
        (
            "oversized limits fit on 32-bit",
            oversized_limits_fit_on_32bit,
        ),
        (
            "file larger than the address space",
            file_larger_than_the_address_space,
        ),
    ];
    println!("{}-bit target", if IS_32BIT { 32 } else { 64 });
    let (mut passed, mut failed) = (0, 0);
    for (name, check) in checks {
        match check() {
            Ok(()) => {
                passed += 1;
                println!("ok     {name}");
            }
            Err(e) => {
                failed += 1;
                println!("FAILED {name}: {e}");
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
