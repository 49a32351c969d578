//! The README's demo (examples/demo.c) runs and checks its own fit.

#[test]
fn demo_fits_huber_close_and_mse_far() {
    // SAFETY: the demo's main takes no arguments and only calls libloss.
    let rc = unsafe { c_tests::loss_demo_main() };
    assert_eq!(rc, 0, "examples/demo.c reported a failure");
}
