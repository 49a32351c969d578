//! The macro that writes every numeric function twice, for `float` and `double`.

/// Emits each `pub unsafe extern "C" fn loss_x(...)` item twice, as `loss_x_f32` and
/// `loss_x_f64`, with the type `Float` standing for `f32` and `f64` respectively.
///
/// cbindgen does not expand macros, so the build script performs the same textual
/// expansion on `twins!` blocks to generate the header (see `build.rs`); one
/// `twins!` block per module.
macro_rules! twins {
    (@emit $suffix:ident;
     $( $(#[$attr:meta])* pub unsafe extern "C" fn $name:ident $args:tt -> $ret:ty $body:block )*) => {
        paste::paste! {
            $(
                $(#[$attr])*
                ///
                /// # Safety
                /// Every non-NULL pointer must point to as many readable (inputs) or
                /// writable (outputs) elements as the sizes say; outputs must not
                /// overlap inputs.
                #[no_mangle]
                pub unsafe extern "C" fn [<$name $suffix>] $args -> $ret $body
            )*
        }
    };
    ($($items:tt)*) => {
        #[doc(hidden)]
        mod twins_f32 {
            #[allow(unused_imports)]
            use super::*;
            #[doc(hidden)]
            type Float = f32;
            twins!(@emit _f32; $($items)*);
        }
        #[doc(hidden)]
        mod twins_f64 {
            #[allow(unused_imports)]
            use super::*;
            #[doc(hidden)]
            type Float = f64;
            twins!(@emit _f64; $($items)*);
        }
        pub use twins_f32::*;
        pub use twins_f64::*;
    };
}

/// Emits each `pub unsafe extern "C" fn loss_x(...)` item twice, as `loss_x_bf16` and
/// `loss_x_f16`, with the type `Half` standing for `loss_bf16` and `loss_f16`: the
/// half-precision twins, whose data buffers are 16-bit and whose weights, loss
/// outputs and parameters are `float`. The build script expands `halves!` blocks for
/// the header as it expands `twins!`.
macro_rules! halves {
    ($($items:tt)*) => {
        #[doc(hidden)]
        mod halves_bf16 {
            #[allow(unused_imports)]
            use super::*;
            #[doc(hidden)]
            type Half = $crate::half::loss_bf16;
            twins!(@emit _bf16; $($items)*);
        }
        #[doc(hidden)]
        mod halves_f16 {
            #[allow(unused_imports)]
            use super::*;
            #[doc(hidden)]
            type Half = $crate::half::loss_f16;
            twins!(@emit _f16; $($items)*);
        }
        pub use halves_bf16::*;
        pub use halves_f16::*;
    };
}
