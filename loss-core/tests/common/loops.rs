//! One elementwise loop `out[i] = f(x[i])` run through the library's dispatch
//! (`kernels::simd`) with each instruction set, for comparing the bits
//! (tests/math.rs) and the speed (benches/math.rs) of `kernels::math`.
//!
//! The function is called directly in the kernel's body, as a loss kernel does: its
//! `#[inline(always)]` then puts it inside the `#[target_feature]` function, where
//! LLVM vectorises it for that instruction set. (Passing it in as `impl Fn` is not
//! enough: the call shim of a function item may stay out of line, and the loop scalar.)

/// For each `name: type => function;`, a module `name` with `run(isa, x, out)`
/// (`isa` one of `Isa::available()`) and `scalar(x, out)` (one element at a time,
/// each argument through `black_box`, so never vectorised).
macro_rules! loops {
    ($($name:ident: $t:ty => $f:path;)*) => {$(
        #[allow(dead_code)]
        pub mod $name {
            use loss_core::kernels::simd::{dispatch_with, Isa, Kernel, Simd};

            struct Map<'a> {
                x: &'a [$t],
                out: &'a mut [$t],
            }

            impl Kernel for Map<'_> {
                type Output = ();
                #[inline(always)]
                fn run<S: Simd>(self, _: S) {
                    for (o, &v) in self.out.iter_mut().zip(self.x) {
                        *o = $f(v);
                    }
                }
            }

            pub fn run(isa: Isa, x: &[$t], out: &mut [$t]) {
                dispatch_with(isa, Map { x, out })
            }

            pub fn scalar(x: &[$t], out: &mut [$t]) {
                for (o, &v) in out.iter_mut().zip(x) {
                    *o = $f(std::hint::black_box(v));
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
    expm132: f32 => loss_core::kernels::math::expm1::<f32>;
    tanh32: f32 => loss_core::kernels::math::tanh::<f32>;
    ln_cosh32: f32 => loss_core::kernels::math::ln_cosh::<f32>;
    exp64: f64 => loss_core::kernels::math::exp::<f64>;
    ln64: f64 => loss_core::kernels::math::ln::<f64>;
    ln_1p64: f64 => loss_core::kernels::math::ln_1p::<f64>;
    softplus64: f64 => loss_core::kernels::math::softplus::<f64>;
    sigmoid64: f64 => loss_core::kernels::math::sigmoid::<f64>;
    log_sigmoid64: f64 => loss_core::kernels::math::log_sigmoid::<f64>;
    expm164: f64 => loss_core::kernels::math::expm1::<f64>;
    tanh64: f64 => loss_core::kernels::math::tanh::<f64>;
    ln_cosh64: f64 => loss_core::kernels::math::ln_cosh::<f64>;
}
