//! Every instruction-set path gives the same bits: this test runs itself as a child
//! process under `LOSS_SIMD=baseline`, `avx2` and `avx512` (each capped at what the
//! CPU has), computes a digest of the losses and gradients of every vectorised loss
//! family through the C ABI, and compares the digests.

use loss::*;
use std::process::Command;

const CHILD: &str = "LOSS_ISA_PATHS_CHILD";

/// FNV-1a over the bits of everything computed.
struct Digest(u64);

impl Digest {
    fn add(&mut self, bits: u64) {
        for b in bits.to_le_bytes() {
            self.0 ^= b as u64;
            self.0 = self.0.wrapping_mul(0x100_0000_01b3);
        }
    }
    fn f32s(&mut self, v: &[f32]) {
        v.iter().for_each(|x| self.add(x.to_bits() as u64));
    }
    fn f64s(&mut self, v: &[f64]) {
        v.iter().for_each(|x| self.add(x.to_bits()));
    }
}

type DenseFn<T> = unsafe extern "C" fn(
    *const T,
    *const T,
    usize,
    usize,
    *const T,
    *const loss_options,
    *mut T,
    *mut T,
) -> loss_status;

fn digest() -> u64 {
    let mut d = Digest(0xcbf2_9ce4_8422_2325);
    let (batch, dim) = (9usize, 1037usize); // odd sizes: full lanes and remainders
    let n = batch * dim;
    let mut s = 7u32;
    let mut next = || {
        s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (s >> 8) as f64 / (1u64 << 24) as f64
    };
    let t: Vec<f64> = (0..n).map(|_| (next() * 3.0).floor() / 2.0).collect();
    let p: Vec<f64> = (0..n).map(|_| next() * 8.0 - 4.0).collect();
    let prob: Vec<f64> = (0..n).map(|_| next()).collect();
    let w: Vec<f64> = (0..300).map(|_| next() * 2.0).collect();
    let f32s = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
    let (t32, p32, prob32, w32) = (f32s(&t), f32s(&p), f32s(&prob), f32s(&w));
    let dense: [(DenseFn<f32>, DenseFn<f64>, bool, bool); 9] = [
        (
            loss_mean_squared_error_f32,
            loss_mean_squared_error_f64,
            false,
            false,
        ),
        (
            loss_mean_absolute_error_f32,
            loss_mean_absolute_error_f64,
            false,
            false,
        ),
        (loss_huber_f32, loss_huber_f64, false, false),
        (
            loss_binary_crossentropy_f32,
            loss_binary_crossentropy_f64,
            true,
            false,
        ),
        (
            loss_binary_crossentropy_f32,
            loss_binary_crossentropy_f64,
            false,
            true,
        ),
        (loss_poisson_f32, loss_poisson_f64, false, true),
        (loss_log_cosh_f32, loss_log_cosh_f64, false, false),
        (
            loss_mean_squared_logarithmic_error_f32,
            loss_mean_squared_logarithmic_error_f64,
            false,
            true,
        ),
        (
            loss_categorical_crossentropy_f32,
            loss_categorical_crossentropy_f64,
            true,
            false,
        ),
    ];
    // Also rows of one element and short rows (their own loops).
    for (batch, dim) in [(batch, dim), (300, 1), (40, 17)] {
        let n = batch * dim;
        let (t, p, prob, w) = (&t[..n], &p[..n], &prob[..n], &w[..batch]);
        let (t32, p32, prob32, w32) = (&t32[..n], &p32[..n], &prob32[..n], &w32[..batch]);
        for (f32_fn, f64_fn, logits, probabilities) in dense {
            let mut o = loss_options_default();
            o.from_logits = logits;
            o.reduction = loss_reduction::LOSS_REDUCTION_NONE;
            let (pp, pp32) = if probabilities {
                (&prob, &prob32)
            } else {
                (&p, &p32)
            };
            let (mut l64, mut g64) = (vec![0f64; batch], vec![0f64; n]);
            let (mut l32, mut g32) = (vec![0f32; batch], vec![0f32; n]);
            // SAFETY: the targets, predictions and gradients hold `n = batch * dim`
            // values, the weights and NONE's losses `batch`, in each type; the outputs
            // are vectors of their own.
            unsafe {
                assert_eq!(
                    f64_fn(
                        t.as_ptr(),
                        pp.as_ptr(),
                        batch,
                        dim,
                        w.as_ptr(),
                        &o,
                        l64.as_mut_ptr(),
                        g64.as_mut_ptr()
                    ),
                    loss_status::LOSS_OK
                );
                assert_eq!(
                    f32_fn(
                        t32.as_ptr(),
                        pp32.as_ptr(),
                        batch,
                        dim,
                        w32.as_ptr(),
                        &o,
                        l32.as_mut_ptr(),
                        g32.as_mut_ptr()
                    ),
                    loss_status::LOSS_OK
                );
            }
            d.f64s(&l64);
            d.f64s(&g64);
            d.f32s(&l32);
            d.f32s(&g32);
        }
    }
    // Sparse CE from logits with smoothing: the softmax row kernel, and the block
    // kernel of short rows (37 rows: full blocks and a partial one).
    for (batch, dim) in [(batch, dim), (37, 10), (37, 29)] {
        let n = batch * dim;
        let (p32, p) = (&p32[..n], &p[..n]);
        let labels: Vec<i32> = (0..batch as i32).map(|i| (i * 131) % dim as i32).collect();
        let mut o = loss_options_default();
        o.from_logits = true;
        o.label_smoothing = 0.1;
        o.reduction = loss_reduction::LOSS_REDUCTION_NONE;
        let (mut l32, mut g32) = (vec![0f32; batch], vec![0f32; n]);
        let (mut l64, mut g64) = (vec![0f64; batch], vec![0f64; n]);
        // SAFETY: `labels` and NONE's losses hold `batch` values, the logits and the
        // gradients `n = batch * dim`, in each type; the outputs are vectors of their
        // own.
        unsafe {
            assert_eq!(
                loss_sparse_categorical_crossentropy_f32(
                    labels.as_ptr(),
                    p32.as_ptr(),
                    batch,
                    dim,
                    std::ptr::null(),
                    std::ptr::null(),
                    &o,
                    l32.as_mut_ptr(),
                    g32.as_mut_ptr()
                ),
                loss_status::LOSS_OK
            );
            assert_eq!(
                loss_sparse_categorical_crossentropy_f64(
                    labels.as_ptr(),
                    p.as_ptr(),
                    batch,
                    dim,
                    std::ptr::null(),
                    std::ptr::null(),
                    &o,
                    l64.as_mut_ptr(),
                    g64.as_mut_ptr()
                ),
                loss_status::LOSS_OK
            );
        }
        d.f32s(&l32);
        d.f32s(&g32);
        d.f64s(&l64);
        d.f64s(&g64);
    }
    // CTC from logits: [time 40, batch 3, alphabet 29].
    let (time, b, a) = (40usize, 3usize, 29usize);
    let acts: Vec<f32> = (0..time * b * a).map(|i| p32[i % n]).collect();
    let ctc_labels: Vec<i32> = (0..15).map(|i| 1 + (i * 7) % (a as i32 - 1)).collect();
    let (label_lengths, input_lengths) = ([5i32, 6, 4], [40i32, 33, 40]);
    let mut o = loss_options_default();
    o.from_logits = true;
    o.reduction = loss_reduction::LOSS_REDUCTION_NONE;
    let (mut cl, mut cg) = (vec![0f32; b], vec![0f32; time * b * a]);
    // SAFETY: `acts` and `cg` hold `time * b * a` values, the length arrays `b`,
    // `ctc_labels` their sum (15), `cl` NONE's `b` losses; outputs are their own vectors.
    unsafe {
        assert_eq!(
            loss_ctc_f32(
                acts.as_ptr(),
                ctc_labels.as_ptr(),
                label_lengths.as_ptr(),
                input_lengths.as_ptr(),
                time,
                b,
                a,
                &o,
                cl.as_mut_ptr(),
                cg.as_mut_ptr()
            ),
            loss_status::LOSS_OK
        );
    }
    d.f32s(&cl);
    d.f32s(&cg);
    // The batch-pair losses (their row dot products in lanes): NT-Xent and Circle,
    // rows of 37 values (two lane blocks and a remainder), f32 and f64.
    let (pb, pd) = (24usize, 37usize);
    let e32: Vec<f32> = (0..pb * pd).map(|i| p32[i % n] - 0.5).collect();
    let e64: Vec<f64> = e32.iter().map(|&x| x as f64).collect();
    let plabels: Vec<i32> = (0..pb as i32).map(|i| i % 5).collect();
    let o = loss_options_default();
    let (mut l32, mut g32) = (0f32, vec![0f32; pb * pd]);
    let (mut l64, mut g64) = (0f64, vec![0f64; pb * pd]);
    // SAFETY: the embeddings and gradients hold `pb * pd` values, the labels `pb`;
    // the reduced loss is one value.
    unsafe {
        for circle in [false, true] {
            let (s32, s64) = if circle {
                (
                    loss_circle_f32(
                        plabels.as_ptr(),
                        e32.as_ptr(),
                        pb,
                        pd,
                        std::ptr::null(),
                        &o,
                        &mut l32,
                        g32.as_mut_ptr(),
                    ),
                    loss_circle_f64(
                        plabels.as_ptr(),
                        e64.as_ptr(),
                        pb,
                        pd,
                        std::ptr::null(),
                        &o,
                        &mut l64,
                        g64.as_mut_ptr(),
                    ),
                )
            } else {
                (
                    loss_ntxent_f32(
                        e32.as_ptr(),
                        plabels.as_ptr(),
                        pb,
                        pd,
                        std::ptr::null(),
                        &o,
                        &mut l32,
                        g32.as_mut_ptr(),
                    ),
                    loss_ntxent_f64(
                        e64.as_ptr(),
                        plabels.as_ptr(),
                        pb,
                        pd,
                        std::ptr::null(),
                        &o,
                        &mut l64,
                        g64.as_mut_ptr(),
                    ),
                )
            };
            assert_eq!((s32, s64), (loss_status::LOSS_OK, loss_status::LOSS_OK));
            d.f32s(&[l32]);
            d.f32s(&g32);
            d.f64s(&[l64]);
            d.f64s(&g64);
        }
    }
    // The half twins of every dense loss (elementwise: converted in the kernel's
    // loop; the others: staged) and of the label losses.
    let b16: Vec<loss_bf16> = prob32.iter().map(|&x| loss_f32_to_bf16(x)).collect();
    let tb16: Vec<loss_bf16> = t32.iter().map(|&x| loss_f32_to_bf16(x)).collect();
    let h16: Vec<loss_f16> = prob32.iter().map(|&x| loss_f32_to_f16(x)).collect();
    let th16: Vec<loss_f16> = t32.iter().map(|&x| loss_f32_to_f16(x)).collect();
    let labels: Vec<i32> = (0..batch).map(|i| (i * 389 % dim) as i32).collect();
    for r in [
        loss_reduction::LOSS_REDUCTION_MEAN,
        loss_reduction::LOSS_REDUCTION_NONE,
    ] {
        let mut o = loss_options_default();
        o.reduction = r;
        let mut loss = vec![0f32; batch];
        let (mut gb, mut gh) = (vec![loss_bf16::default(); n], vec![loss_f16::default(); n]);
        for dl in DENSE {
            // SAFETY: every buffer holds `batch * dim` values (`loss` and `w32`
            // at least `batch`).
            unsafe {
                (dl.bf16)(
                    tb16.as_ptr(),
                    b16.as_ptr(),
                    batch,
                    dim,
                    w32.as_ptr(),
                    &o,
                    loss.as_mut_ptr(),
                    gb.as_mut_ptr(),
                );
                d.f32s(&loss);
                (dl.f16)(
                    th16.as_ptr(),
                    h16.as_ptr(),
                    batch,
                    dim,
                    w32.as_ptr(),
                    &o,
                    loss.as_mut_ptr(),
                    gh.as_mut_ptr(),
                );
                d.f32s(&loss);
            }
            gb.iter().for_each(|g| d.add(u64::from(g.0)));
            gh.iter().for_each(|g| d.add(u64::from(g.0)));
        }
        for l in LABELS {
            // SAFETY: `labels` and `w32` hold at least `batch` values, `b16`/`h16`
            // and the gradients `batch * dim`, `loss` `batch`.
            unsafe {
                (l.bf16)(
                    labels.as_ptr(),
                    b16.as_ptr(),
                    batch,
                    dim,
                    w32.as_ptr(),
                    std::ptr::null(),
                    &o,
                    loss.as_mut_ptr(),
                    gb.as_mut_ptr(),
                );
                d.f32s(&loss);
                (l.f16)(
                    labels.as_ptr(),
                    h16.as_ptr(),
                    batch,
                    dim,
                    w32.as_ptr(),
                    std::ptr::null(),
                    &o,
                    loss.as_mut_ptr(),
                    gh.as_mut_ptr(),
                );
                d.f32s(&loss);
            }
            gb.iter().for_each(|g| d.add(u64::from(g.0)));
            gh.iter().for_each(|g| d.add(u64::from(g.0)));
        }
    }
    linear(&mut d);
    d.0
}

/// The linear cross-entropy (its matrix products and rows), f32 and f64, with a
/// bias, smoothing, z-loss and an ignored label; sizes with partial tiles.
fn linear(d: &mut Digest) {
    let (n, h, v) = (37usize, 29usize, 101usize);
    let mut s = 11u32;
    let mut next = || {
        s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (s >> 8) as f64 / (1u64 << 24) as f64 - 0.5
    };
    let hidden: Vec<f64> = (0..n * h).map(|_| next() * 4.0).collect();
    let weight: Vec<f64> = (0..v * h).map(|_| next()).collect();
    let bias: Vec<f64> = (0..v).map(|_| next()).collect();
    let labels: Vec<i32> = (0..n)
        .map(|i| if i == 5 { -100 } else { (i * 37 % v) as i32 })
        .collect();
    let mut o = loss_options_default();
    o.label_smoothing = 0.1;
    o.z_loss = 1e-3;
    o.ignore_index = -100;
    let f32s = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
    let (h32, w32, b32) = (f32s(&hidden), f32s(&weight), f32s(&bias));
    let (mut l32, mut gh32, mut gw32, mut gb32) = (
        vec![0f32; 1],
        vec![0f32; n * h],
        vec![0f32; v * h],
        vec![0f32; v],
    );
    let (mut l64, mut gh64, mut gw64, mut gb64) = (
        vec![0f64; 1],
        vec![0f64; n * h],
        vec![0f64; v * h],
        vec![0f64; v],
    );
    // SAFETY: every buffer holds the sizes the function reads and writes for [n, h, v].
    unsafe {
        let st = loss_linear_cross_entropy_f32(
            h32.as_ptr(),
            w32.as_ptr(),
            b32.as_ptr(),
            labels.as_ptr(),
            n,
            h,
            v,
            std::ptr::null(),
            &o,
            l32.as_mut_ptr(),
            gh32.as_mut_ptr(),
            gw32.as_mut_ptr(),
            gb32.as_mut_ptr(),
        );
        assert_eq!(st, loss_status::LOSS_OK);
        let st = loss_linear_cross_entropy_f64(
            hidden.as_ptr(),
            weight.as_ptr(),
            bias.as_ptr(),
            labels.as_ptr(),
            n,
            h,
            v,
            std::ptr::null(),
            &o,
            l64.as_mut_ptr(),
            gh64.as_mut_ptr(),
            gw64.as_mut_ptr(),
            gb64.as_mut_ptr(),
        );
        assert_eq!(st, loss_status::LOSS_OK);
    }
    for x in [&l32, &gh32, &gw32, &gb32] {
        d.f32s(x);
    }
    for x in [&l64, &gh64, &gw64, &gb64] {
        d.f64s(x);
    }
}

#[test]
fn every_instruction_set_gives_the_same_bits() {
    if std::env::var_os(CHILD).is_some() {
        println!("DIGEST {:016x}", digest());
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let mut digests = Vec::new();
    for isa in ["baseline", "avx2", "avx512"] {
        let out = Command::new(&exe)
            .args([
                "--exact",
                "every_instruction_set_gives_the_same_bits",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, "1")
            .env("LOSS_SIMD", isa)
            .env_remove("LOSS_NO_SIMD")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let digest = text
            .split("DIGEST ")
            .nth(1)
            .map(|rest| rest.chars().take(16).collect::<String>())
            .unwrap_or_else(|| panic!("{isa}: no digest in {text}"));
        digests.push((isa, digest));
    }
    for (isa, dg) in &digests[1..] {
        assert_eq!(dg, &digests[0].1, "{isa} differs from the baseline");
    }
}
