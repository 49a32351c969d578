//! The C++17 wrapper `include/loss.hpp`: its test programs (`cpp/*.cpp`, compiled by
//! build.rs with -Wall -Wextra -Wpedantic -Werror) compare every wrapper with the C
//! function it forwards to and check its errors.

#[test]
fn cpp_wrapper_matches_the_c_functions_and_throws_their_errors() {
    // SAFETY: the test program takes no arguments and only calls libloss.
    let failed = unsafe { c_tests::loss_cpp_test_main() };
    assert_eq!(failed, 0, "test_loss_hpp.cpp: {failed} checks failed");
}

#[test]
fn cpp_wrapper_without_exceptions() {
    // SAFETY: as above.
    let failed = unsafe { c_tests::loss_cpp_noexcept_test_main() };
    assert_eq!(
        failed, 0,
        "test_loss_hpp_noexcept.cpp: {failed} checks failed"
    );
}
