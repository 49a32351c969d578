//! `cargo test` entry point of the C test programs: runs every suite and ends with a
//! ctest-style summary; exits non-zero when any C test failed.

fn main() {
    // A child scenario of test_teardown.c: this binary started again by a C test.
    if let Ok(name) = std::env::var("LOSS_CTEST_CHILD") {
        std::process::exit(c_tests::run_child(&name));
    }
    c_tests::set_self_path();
    println!(
        "Running the C tests of libloss ({} suites)",
        c_tests::SUITES.len()
    );
    let (passed, failed) = c_tests::run_all();
    let total = passed + failed;
    let pct = if total == 0 { 0 } else { 100 * passed / total };
    println!();
    println!("{pct}% tests passed, {failed} tests failed out of {total}");
    if failed > 0 || total == 0 {
        std::process::exit(1);
    }
}
