//! Uses the allocator, formatting, threads and unwinding, so that its archive defines the same
//! runtime symbols as any Rust static library.

/// Length of a formatted string built on another thread (8 for 41: "[41, 41]").
#[no_mangle]
pub extern "C" fn second_answer(x: u32) -> u32 {
    let r = std::panic::catch_unwind(|| {
        std::thread::spawn(move || format!("{:?}", vec![x; 2]).len() as u32)
            .join()
            .unwrap_or(0)
    });
    r.unwrap_or(0)
}
