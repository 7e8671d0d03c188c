//! The kernel checks as a plain, single-threaded binary (`harness = false`): qemu-user hangs on
//! programs that start threads, so this is how aarch64 (NEON, dotprod) is tested on an x86 host.
//! It runs on any host and checks whatever kernels the CPU has.
//!
//! `MNMT_REQUIRE_ISAS=neon,dotprod` makes a missing ISA a failure (under qemu, `QEMU_CPU=max`
//! provides dotprod), so a detection regression cannot pass by testing less.
//!
//! More sections (e.g. end-to-end translation) are added by appending to `checks`.

mod kernel_checks;

use mobilenmt::kernels::{self, Isa};
use std::process::ExitCode;

type Check = Box<dyn Fn() -> Result<(), String>>;

fn required_isas() -> Vec<(String, Check)> {
    let Ok(list) = std::env::var("MNMT_REQUIRE_ISAS") else {
        return Vec::new();
    };
    list.split(',')
        .filter(|s| !s.is_empty())
        .map(|name| {
            let name = name.trim().to_string();
            let label = format!("{name} is available");
            let check: Check = Box::new(move || match Isa::parse(&name) {
                None => Err(format!("unknown ISA {name:?} in MNMT_REQUIRE_ISAS")),
                Some(isa) if kernels::get(isa).is_some() => Ok(()),
                Some(_) => Err(format!(
                    "{name} is not available (available: {:?})",
                    kernels::available()
                )),
            });
            (label, check)
        })
        .collect()
}

fn main() -> ExitCode {
    let mut checks: Vec<(String, Check)> = required_isas();
    checks.extend(kernel_checks::all_checks());

    println!(
        "kernels available: {:?}",
        kernels::available()
            .iter()
            .map(|i| i.name())
            .collect::<Vec<_>>()
    );
    let (mut passed, mut failed) = (0usize, 0usize);
    for (name, check) in &checks {
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
