//! Soak benchmark: 100,000 translations in one process through the C ABI (single, beam, batch,
//! n-best and failing calls mixed), with the resident set size measured after the first 1,000
//! and at the end; the end must be within 1 MiB of the early figure. Ignored by default (it
//! takes minutes): `make soak`, or `cargo test --release --test soak -- --ignored --nocapture`.
//! `MNMT_SOAK_CALLS` and `MNMT_SOAK_MODEL` override the count and the model file.

use std::ffi::{c_char, c_void, CString};
use std::ptr;
use std::time::Instant;

use mobilenmt::capi::{
    mnmt_free, mnmt_load, mnmt_options_default, mnmt_status, mnmt_translate, mnmt_translate_batch,
    mnmt_translate_nbest, mnmt_translator,
};

const SENTENCES: [&str; 8] = [
    "A man rides a bike down the street.",
    "Two dogs play in the snow.",
    "A woman is reading a book in the park.",
    "Children are playing soccer on a field.",
    "A group of people stand outside a building.",
    "The cat sleeps.",
    "",
    "A little girl in a pink dress is jumping into a pool while her father watches.",
];

/// Resident set size in KiB, from /proc/self/status.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status")
}

unsafe extern "C" fn count_batch(user: *mut c_void, _i: usize, _t: *const c_char, len: usize) {
    // SAFETY: `user` is the `usize` counter `one_call` passes, alive for the call.
    unsafe { *user.cast::<usize>() += len };
}

unsafe extern "C" fn count_nbest(
    user: *mut c_void,
    _rank: usize,
    _t: *const c_char,
    len: usize,
    _score: f32,
) {
    // SAFETY: as in `count_batch`.
    unsafe { *user.cast::<usize>() += len };
}

/// Call `i` of the soak: mostly greedy, some beam, batch, n-best and invalid input.
fn one_call(t: *mut mnmt_translator, i: usize, out: &mut [u8]) {
    let text = SENTENCES[i % SENTENCES.len()];
    let mut opts = mnmt_options_default();
    opts.max_output_tokens = 24;
    let mut len = 0usize;
    let mut sink = 0usize;
    let status = match i % 20 {
        0 => {
            let ptrs: Vec<*const c_char> = SENTENCES.iter().map(|s| s.as_ptr().cast()).collect();
            let lens: Vec<usize> = SENTENCES.iter().map(|s| s.len()).collect();
            // SAFETY: `ptrs`/`lens` describe live strings; the callback matches its contract.
            unsafe {
                mnmt_translate_batch(
                    t,
                    ptrs.as_ptr(),
                    lens.as_ptr(),
                    ptrs.len(),
                    &opts,
                    Some(count_batch),
                    ptr::addr_of_mut!(sink).cast(),
                )
            }
        }
        5 => {
            opts.beam_size = 4;
            opts.num_hypotheses = 3;
            // SAFETY: `text` is live for `text.len()` bytes; the callback matches its contract.
            unsafe {
                mnmt_translate_nbest(
                    t,
                    text.as_ptr().cast(),
                    text.len(),
                    &opts,
                    Some(count_nbest),
                    ptr::addr_of_mut!(sink).cast(),
                )
            }
        }
        10 => {
            // Invalid UTF-8: the error path builds a message each time.
            let bad = b"\xff\xfe bad";
            // SAFETY: `bad` and `out` are live for the lengths passed.
            let s = unsafe {
                mnmt_translate(
                    t,
                    bad.as_ptr().cast(),
                    bad.len(),
                    &opts,
                    out.as_mut_ptr().cast(),
                    out.len(),
                    &mut len,
                )
            };
            assert_eq!(s, mnmt_status::MNMT_INVALID_UTF8);
            mnmt_status::MNMT_OK
        }
        k => {
            if k % 4 == 1 {
                opts.beam_size = 4;
            }
            // SAFETY: `text` and `out` are live for the lengths passed.
            unsafe {
                mnmt_translate(
                    t,
                    text.as_ptr().cast(),
                    text.len(),
                    &opts,
                    out.as_mut_ptr().cast(),
                    out.len(),
                    &mut len,
                )
            }
        }
    };
    assert_eq!(status, mnmt_status::MNMT_OK, "call {i}");
}

#[test]
#[ignore = "minutes long: run with `make soak`"]
fn soak_100k_translations_rss_stable() {
    let calls: usize = std::env::var("MNMT_SOAK_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let model = std::env::var("MNMT_SOAK_MODEL").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/tiny-swish/model-int8.gguf"
        )
        .to_owned()
    });
    let path = CString::new(model.clone()).unwrap();
    let mut t: *mut mnmt_translator = ptr::null_mut();
    // SAFETY: `path` is NUL-terminated; `t` is a valid out-pointer.
    let s = unsafe { mnmt_load(path.as_ptr(), &mut t) };
    assert_eq!(s, mnmt_status::MNMT_OK, "loading {model}");
    let mut out = vec![0u8; 1 << 16];
    let warm = calls.min(1000);
    let start = Instant::now();
    for i in 0..warm {
        one_call(t, i, &mut out);
    }
    let early = rss_kib();
    let mut peak = early;
    for i in warm..calls {
        one_call(t, i, &mut out);
        if i % 5000 == 0 {
            peak = peak.max(rss_kib());
        }
    }
    let end = rss_kib();
    peak = peak.max(end);
    let secs = start.elapsed().as_secs_f64();
    // SAFETY: `t` came from `mnmt_load` and is no longer used.
    unsafe { mnmt_free(t) };
    println!(
        "soak: {calls} calls on {model} in {secs:.1} s ({:.0} calls/s); RSS after {warm}: {early} KiB, \
         at the end: {end} KiB (growth {} KiB, peak {peak} KiB)",
        calls as f64 / secs,
        end as i64 - early as i64
    );
    assert!(
        end <= early + 1024,
        "RSS grew by {} KiB (more than 1 MiB) between call {warm} and call {calls}",
        end - early
    );
}
