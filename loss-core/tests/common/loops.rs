//! One elementwise loop `out[i] = f(x[i])` compiled several ways, for comparing the
//! bits (tests/math.rs) and the speed (benches/math.rs) of `kernels::math`.
//!
//! The function is called directly in each loop body, as a loss kernel does: its
//! `#[inline(always)]` then puts it inside the `#[target_feature]` function, where
//! LLVM vectorises it for that instruction set. (Passing it in as `impl Fn` is not
//! enough: the call shim of a function item may stay out of line, and the loop scalar.)

/// How a loop is compiled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Build {
    /// One element at a time: each argument goes through `black_box`.
    Scalar,
    /// The plain loop, for the baseline target (SSE2 on x86-64).
    Plain,
    /// The loop in a `#[target_feature(enable = "avx2,fma")]` function.
    Avx2,
    /// The loop in a `#[target_feature(enable = "avx512f")]` function.
    Avx512,
}

#[allow(dead_code)]
pub const BUILDS: [Build; 4] = [Build::Scalar, Build::Plain, Build::Avx2, Build::Avx512];

/// For each `name: type => function;`, a module `name` whose `run(build, x, out)`
/// runs the loop as `build` and returns `false` (doing nothing) when the CPU lacks
/// the build's features.
macro_rules! loops {
    ($($name:ident: $t:ty => $f:path;)*) => {$(
        #[allow(dead_code)]
        pub mod $name {
            use super::*;

            pub fn run(build: Build, x: &[$t], out: &mut [$t]) -> bool {
                match build {
                    Build::Scalar => {
                        for (o, &v) in out.iter_mut().zip(x) {
                            *o = $f(std::hint::black_box(v));
                        }
                    }
                    Build::Plain => plain(x, out),
                    #[cfg(target_arch = "x86_64")]
                    Build::Avx2 => {
                        if !(is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")) {
                            return false;
                        }
                        // SAFETY: the CPU has the features the function is compiled for.
                        unsafe { avx2(x, out) }
                    }
                    #[cfg(target_arch = "x86_64")]
                    Build::Avx512 => {
                        if !is_x86_feature_detected!("avx512f") {
                            return false;
                        }
                        // SAFETY: as above.
                        unsafe { avx512(x, out) }
                    }
                    #[cfg(not(target_arch = "x86_64"))]
                    _ => return false,
                }
                true
            }

            fn plain(x: &[$t], out: &mut [$t]) {
                for (o, &v) in out.iter_mut().zip(x) {
                    *o = $f(v);
                }
            }

            /// # Safety
            /// The CPU must have AVX2 and FMA.
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,fma")]
            unsafe fn avx2(x: &[$t], out: &mut [$t]) {
                for (o, &v) in out.iter_mut().zip(x) {
                    *o = $f(v);
                }
            }

            /// # Safety
            /// The CPU must have AVX-512F.
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f")]
            unsafe fn avx512(x: &[$t], out: &mut [$t]) {
                for (o, &v) in out.iter_mut().zip(x) {
                    *o = $f(v);
                }
            }
        }
    )*};
}

loops! {
    exp32: f32 => loss_core::kernels::math::exp::<f32>;
    ln32: f32 => loss_core::kernels::math::ln::<f32>;
    ln_1p32: f32 => loss_core::kernels::math::ln_1p::<f32>;
    softplus32: f32 => loss_core::kernels::math::softplus::<f32>;
    sigmoid32: f32 => loss_core::kernels::math::sigmoid::<f32>;
    log_sigmoid32: f32 => loss_core::kernels::math::log_sigmoid::<f32>;
    exp64: f64 => loss_core::kernels::math::exp::<f64>;
    ln64: f64 => loss_core::kernels::math::ln::<f64>;
    ln_1p64: f64 => loss_core::kernels::math::ln_1p::<f64>;
    softplus64: f64 => loss_core::kernels::math::softplus::<f64>;
    sigmoid64: f64 => loss_core::kernels::math::sigmoid::<f64>;
    log_sigmoid64: f64 => loss_core::kernels::math::log_sigmoid::<f64>;
}
