//! `loss_set_num_threads` called at random moments, with random sizes (0, 1, small,
//! the bound, SIZE_MAX, huge), while several threads call losses large enough to use
//! the pool: every call must succeed with the same bits as on one thread, and the
//! size read back must always be a valid one. (A test binary of its own: the pool
//! size is global.)

use loss::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

const BATCH: usize = 256;
const DIM: usize = 512; // 131072 elements: above the parallel threshold

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
}

struct Inputs {
    t: Vec<f32>,
    p: Vec<f32>,
    labels: Vec<i32>,
}

fn inputs(seed: u64) -> Inputs {
    let mut r = Rng(seed);
    Inputs {
        t: (0..BATCH * DIM).map(|_| r.unit() * 2.0 - 1.0).collect(),
        p: (0..BATCH * DIM).map(|_| r.unit() * 4.0 - 2.0).collect(),
        labels: (0..BATCH).map(|_| (r.next() % DIM as u64) as i32).collect(),
    }
}

/// (loss bits, gradient bits) of Huber and of sparse CE from logits.
fn run(x: &Inputs) -> Vec<(u32, Vec<u32>)> {
    let mut results = Vec::new();
    let o = loss_options_default();
    let mut loss = 0.0f32;
    let mut grad = vec![0.0f32; BATCH * DIM];
    // SAFETY: every buffer holds BATCH * DIM (or BATCH) elements.
    let s = unsafe {
        loss_huber_f32(
            x.t.as_ptr(),
            x.p.as_ptr(),
            BATCH,
            DIM,
            std::ptr::null(),
            &o,
            &mut loss,
            grad.as_mut_ptr(),
        )
    };
    assert_eq!(s, loss_status::LOSS_OK);
    results.push((loss.to_bits(), grad.iter().map(|g| g.to_bits()).collect()));
    let mut o = loss_options_default();
    o.from_logits = true;
    // SAFETY: as above.
    let s = unsafe {
        loss_sparse_categorical_crossentropy_f32(
            x.labels.as_ptr(),
            x.p.as_ptr(),
            BATCH,
            DIM,
            std::ptr::null(),
            std::ptr::null(),
            &o,
            &mut loss,
            grad.as_mut_ptr(),
        )
    };
    assert_eq!(s, loss_status::LOSS_OK);
    results.push((loss.to_bits(), grad.iter().map(|g| g.to_bits()).collect()));
    results
}

#[test]
fn set_num_threads_interleaved_with_calls_from_several_threads() {
    let max = loss_max_num_threads();
    let data: Vec<Arc<Inputs>> = (1..=3u64).map(|s| Arc::new(inputs(s * 0x9E37))).collect();
    loss_set_num_threads(1);
    let expected: Vec<_> = data.iter().map(|x| run(x)).collect();

    let stop = Arc::new(AtomicBool::new(false));
    let setter = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let sizes = [0, 1, 2, 3, 7, max - 1, max, max + 1, 1000, usize::MAX];
            let mut r = Rng(0xDEAD_BEEF);
            let mut changes = 0u32;
            while !stop.load(Ordering::SeqCst) || changes < 50 {
                loss_set_num_threads(sizes[(r.next() % sizes.len() as u64) as usize]);
                let now = loss_get_num_threads();
                assert!(
                    (1..=max).contains(&now),
                    "num_threads {now} outside [1, {max}]"
                );
                changes += 1;
                std::thread::sleep(std::time::Duration::from_micros(200 + r.next() % 800));
            }
            changes
        })
    };
    let workers: Vec<_> = (0..3)
        .map(|w| {
            let data = data.clone();
            let expected = expected.clone();
            std::thread::spawn(move || {
                for round in 0..8 {
                    let i = (w + round) % data.len();
                    assert!(
                        run(&data[i]) == expected[i],
                        "worker {w}, round {round}: bits differ from the 1-thread result"
                    );
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("a worker failed");
    }
    stop.store(true, Ordering::SeqCst);
    let changes = setter.join().expect("the setter failed");
    assert!(changes >= 50);
    loss_set_num_threads(0);
}
