//! The library-wide functions: `loss_status_string` (any int), `loss_version`,
//! `loss_options_default` (the documented defaults), `loss_set_num_threads` /
//! `loss_get_num_threads` (any `size_t`: clamped to `loss_max_num_threads()`, with no
//! sentinel value), `loss_last_error_message` (empty after a success, per thread).
#![no_main]

use libfuzzer_sys::fuzz_target;
use loss_fuzz::oracle::{last_message, NAMES};
use loss_fuzz::*;
use std::ffi::CStr;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let _ = case(&mut u);
});

fn case(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    let s: i32 = u.arbitrary()?;
    // SAFETY: a static NUL-terminated string for any value.
    let name = unsafe { CStr::from_ptr(loss::loss_status_string(s)) }
        .to_str()
        .unwrap();
    let want = usize::try_from(s)
        .ok()
        .and_then(|i| NAMES.get(i).copied())
        .unwrap_or("LOSS_UNKNOWN_STATUS");
    assert_eq!(name, want, "loss_status_string({s})");

    // SAFETY: as above.
    let version = unsafe { CStr::from_ptr(loss::loss_version()) }
        .to_str()
        .unwrap();
    assert!(!version.is_empty() && version.split('.').count() == 3);

    let mut d = std::mem::MaybeUninit::<loss::loss_options>::uninit();
    // SAFETY: writes a whole loss_options.
    unsafe { d.as_mut_ptr().write(loss::loss_options_default()) };
    let bytes = |p: *const u8, n: usize| unsafe { std::slice::from_raw_parts(p, n).to_vec() };
    let mut want = std::mem::MaybeUninit::<loss::loss_options>::uninit();
    // SAFETY: the documented defaults, written field by field.
    unsafe { RawOpts::default().write(want.as_mut_ptr()) };
    // Compare the fields (not the padding) through their offsets.
    let (a, b) = (d.as_ptr(), want.as_ptr());
    macro_rules! same_field {
        ($($f:ident),*) => {$(
            // SAFETY: both are initialised loss_options.
            let (x, y) = unsafe { (std::ptr::addr_of!((*a).$f), std::ptr::addr_of!((*b).$f)) };
            let n = std::mem::size_of_val(unsafe { &*x });
            assert_eq!(bytes(x.cast(), n), bytes(y.cast(), n), "default {}", stringify!($f));
        )*};
    }
    same_field!(
        struct_size,
        reduction,
        from_logits,
        label_smoothing,
        delta,
        margin,
        epsilon,
        pos_weight,
        gamma,
        alpha,
        apply_class_balancing,
        log_input,
        ignore_index,
        blank,
        zero_infinity,
        batch_first
    );

    // loss_options_init: a known layout (or a larger one, zero-filled past this
    // library's) is filled with the defaults; anything else is refused, untouched.
    let n = std::mem::size_of::<loss::loss_options>();
    let old = loss_fuzz::opts::LAYOUT_0_2;
    let size = [
        0,
        1,
        8,
        n - 8,
        n - 1,
        n,
        n + 8,
        n + 16,
        1 << 20,
        usize::MAX,
        old,
    ][u.choose_index(11)?];
    let mut buf = [0x5au8; std::mem::size_of::<loss::loss_options>() + 24];
    let base = buf.as_mut_ptr().align_offset(8);
    let before = buf;
    // SAFETY: buf holds n + 16 bytes from the 8-aligned `base`, and the library
    // writes nothing for the sizes beyond that (it rejects them first).
    let st = unsafe { loss::loss_options_init(buf.as_mut_ptr().add(base).cast(), size) };
    if size == old {
        // A 0.2 caller's struct: its 88 bytes are written, nothing past them.
        assert_eq!(st as i32, 0, "loss_options_init({size})");
        assert_eq!(&buf[base..base + 8], &size.to_ne_bytes(), "struct_size");
        assert_eq!(
            &buf[base + old..],
            &before[base + old..],
            "past the 0.2 layout"
        );
    } else if size == n || (size > n && size <= n + 16) {
        assert_eq!(st as i32, 0, "loss_options_init({size})");
        let got = &buf[base..base + size];
        assert_eq!(&got[..8], &size.to_ne_bytes(), "struct_size");
        assert!(
            got[n..].iter().all(|&b| b == 0),
            "the tail past the layout is zeroed"
        );
    } else {
        assert_eq!(st as i32, 2, "loss_options_init({size})");
        assert_eq!(buf, before, "nothing written on error");
    }

    let max = loss::loss_max_num_threads();
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    assert_eq!(max, (4 * cores).max(16));
    let n: usize = match u.int_in_range(0..=3)? {
        0 => u.int_in_range(0..=4)?,
        1 => u.int_in_range(max - 2..=max + 2)?,
        2 => usize::MAX - u.int_in_range(0..=2)?,
        _ => u.arbitrary()?,
    };
    loss::loss_set_num_threads(n);
    let got = loss::loss_get_num_threads();
    assert_eq!(
        got,
        if n == 0 { cores.min(max) } else { n.min(max) },
        "set({n})"
    );
    loss::loss_set_num_threads(1);

    // A failing call sets the message on this thread only; a success clears it.
    let mut out = 0.0_f32;
    // SAFETY: NULL inputs are rejected before anything is read.
    let st = unsafe {
        loss::loss_huber_f32(
            std::ptr::null(),
            std::ptr::null(),
            1,
            1,
            std::ptr::null(),
            std::ptr::null(),
            &mut out,
            std::ptr::null_mut(),
        )
    };
    assert_eq!(st as i32, 1);
    assert!(last_message().starts_with("loss_huber_f32: "));
    let other = std::thread::spawn(last_message).join().unwrap();
    assert_eq!(other, "");
    let x = [0.5_f32];
    // SAFETY: one element each.
    let st = unsafe {
        loss::loss_huber_f32(
            x.as_ptr(),
            x.as_ptr(),
            1,
            1,
            std::ptr::null(),
            std::ptr::null(),
            &mut out,
            std::ptr::null_mut(),
        )
    };
    assert_eq!(st as i32, 0);
    assert_eq!(last_message(), "");
    Ok(())
}
