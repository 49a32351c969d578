//! The Iris example (examples/iris_softmax.c) checks its embedded data, trains softmax
//! regression with sparse CE and gradient clipping, and checks loss and accuracy.

#[test]
fn iris_softmax_example_learns_the_species() {
    // SAFETY: the example's main takes no arguments and only calls libloss.
    let rc = unsafe { c_tests::loss_iris_softmax_main() };
    assert_eq!(rc, 0, "examples/iris_softmax.c reported a failure");
}
