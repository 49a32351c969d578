//! The CTC example (examples/ctc_align.c) learns per-frame logits for two label
//! sequences with loss_ctc_with_workspace_f32 and checks their best-path decodings.

#[test]
fn ctc_align_example_decodes_its_labels() {
    // SAFETY: the example's main takes no arguments and only calls libloss.
    let rc = unsafe { c_tests::loss_ctc_align_main() };
    assert_eq!(rc, 0, "examples/ctc_align.c reported a failure");
}
