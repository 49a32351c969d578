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
