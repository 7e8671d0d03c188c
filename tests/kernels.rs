//! Every INT8 kernel this CPU supports, held bit-identical to the scalar oracle.

mod kernel_checks;

use kernel_checks as kc;
use mobilenmt::kernels::{self, Isa};

fn for_each_available(check: fn(Isa) -> Result<(), String>) {
    let avail = kernels::available();
    eprintln!("available: {avail:?}");
    for isa in avail {
        check(isa).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn scalar_oracle_matches_naive_gemm() {
    kc::check_scalar_oracle().unwrap();
}

#[test]
fn scalar_quantizer_follows_its_contract() {
    kc::check_quantize_oracle().unwrap();
}

#[test]
fn gemm_matches_scalar_on_every_isa() {
    for_each_available(kc::check_gemm);
}

#[test]
fn quantize_matches_scalar_on_every_isa() {
    for_each_available(kc::check_quantize);
}

#[test]
fn dequantize_matches_scalar_on_every_isa() {
    for_each_available(kc::check_dequantize);
}

#[test]
fn gemm_column_ranges_match_the_full_product_on_every_isa() {
    for_each_available(kc::check_gemm_columns);
}

#[test]
fn exp_activations_and_dot_match_scalar_on_every_isa() {
    for_each_available(kc::check_exp);
}

#[test]
fn forcing_parses_and_only_lowers() {
    kc::check_select().unwrap();
}

#[cfg(target_arch = "x86_64")]
#[test]
fn x86_tables_follow_detection() {
    let avail = kernels::available();
    assert_eq!(
        avail.contains(&Isa::Avx2),
        std::arch::is_x86_feature_detected!("avx2")
    );
    assert_eq!(
        avail.contains(&Isa::Sse41),
        std::arch::is_x86_feature_detected!("sse4.1")
            && std::arch::is_x86_feature_detected!("ssse3")
    );
    // AVX-VNNI: CPUID leaf 7 subleaf 1, EAX bit 4, on top of AVX2.
    // `__cpuid_count` is an unsafe fn before Rust 1.90 (older than our MSRV allows) and safe since.
    // SAFETY: `cpuid` exists on every x86-64 CPU; an unknown leaf just reads as zeros.
    #[allow(unused_unsafe)]
    let vnni = unsafe { std::arch::x86_64::__cpuid_count(7, 1) }.eax & (1 << 4) != 0;
    // Or its EVEX twin: AVX512-VNNI with AVX512VL (the same instruction on ymm registers).
    let evex = std::arch::is_x86_feature_detected!("avx512vnni")
        && std::arch::is_x86_feature_detected!("avx512vl");
    assert_eq!(
        avail.contains(&Isa::AvxVnni),
        (vnni || evex) && avail.contains(&Isa::Avx2)
    );
    assert_eq!(
        kernels::get(Isa::AvxVnni).map(|k| k.name),
        avail.contains(&Isa::AvxVnni).then_some(if vnni {
            "x86_64-avxvnni"
        } else {
            "x86_64-avx512vnni"
        })
    );
    if avail.contains(&Isa::AvxVnni) {
        assert_eq!(avail[0], Isa::AvxVnni, "AVX-VNNI is the best x86 choice");
    }
    assert!(!avail.contains(&Isa::Neon) && !avail.contains(&Isa::Dotprod));
    assert_eq!(
        kernels::get(Isa::Avx2).map(|k| k.name),
        avail.contains(&Isa::Avx2).then_some("x86_64-avx2")
    );
}

#[test]
#[should_panic(expected = "gemm_i8: w has")]
fn gemm_rejects_short_weights() {
    let k = kernels::select(None).unwrap();
    let mut c = [0i32; 4];
    k.gemm(2, 2, 8, &[0; 16], &[0; 15], &mut c);
}

#[test]
#[should_panic(expected = "quantize_row: q has")]
fn quantize_rejects_short_output() {
    let k = kernels::select(None).unwrap();
    (k.quantize_row)(&[1.0; 9], &mut [0; 8]);
}
