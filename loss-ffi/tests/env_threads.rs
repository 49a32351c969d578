//! `LOSS_NUM_THREADS` is read at first use, and `loss_set_num_threads` overrides it.
//! (A test binary of its own: the environment must be set before the first call.)

use loss::{loss_get_num_threads, loss_max_num_threads, loss_set_num_threads};

#[test]
fn environment_sets_the_pool_size_until_overridden() {
    std::env::set_var("LOSS_NUM_THREADS", "3");
    assert_eq!(loss_get_num_threads(), 3);
    // Read once: later changes of the environment do not matter.
    std::env::set_var("LOSS_NUM_THREADS", "5");
    assert_eq!(loss_get_num_threads(), 3);
    loss_set_num_threads(2);
    assert_eq!(loss_get_num_threads(), 2);
    // SIZE_MAX was the internal "never configured" value: it must not bring the
    // environment's 3 back, but clamp like any other request.
    loss_set_num_threads(5);
    loss_set_num_threads(usize::MAX);
    assert_eq!(loss_get_num_threads(), loss_max_num_threads());
    assert!(loss_max_num_threads() >= 16);
}
