//! The multi-task example (examples/multitask.c) runs and checks that both heads learn.

#[test]
fn multitask_example_trains_both_heads() {
    // SAFETY: the example's main takes no arguments and only calls libloss.
    let rc = unsafe { c_tests::loss_multitask_main() };
    assert_eq!(rc, 0, "examples/multitask.c reported a failure");
}
