//! # loss-core
//!
//! The loss functions of deep-learning training and their gradients, written once,
//! generic over `f32` and `f64`, over `ndarray` views.
//!
//! Every loss computes its value and, when asked, its gradient in one fused call
//! ([`Loss::compute`]). Sample weights and the four reductions are applied in one
//! place ([`reduction`]) for every loss, so every loss reduces the same way.
//!
//! Elementwise losses are [`pointwise`] kernels; losses that couple a row (softmax
//! cross-entropies, cosine similarity, categorical hinge) are [`rows`] kernels;
//! integer labels, class weights and an ignored label are turned into sample weights
//! by [`weights`].
//!
//! Sums are taken over fixed-size chunks combined in a fixed tree
//! ([`kernels::tree`]), so results are bit-identical whatever the number of threads
//! ([`kernels::threads`]).
//!
//! ```
//! use loss_core::{Loss, Reduction, Targets, pointwise::MeanSquaredError};
//! use ndarray::{array, Array1, Array2};
//!
//! let y_true = array![[0.0_f64, 1.0], [1.0, 1.0]];
//! let y_pred = array![[1.0_f64, 1.0], [1.0, 0.0]];
//! let mut loss = Array1::zeros(1);
//! let mut grad = Array2::zeros((2, 2));
//! MeanSquaredError
//!     .compute(Targets::Dense(y_true.view()), y_pred.view(), None,
//!              Reduction::SumOverBatchSize, loss.view_mut(), Some(grad.view_mut()))
//!     .unwrap();
//! assert_eq!(loss[0], 0.5); // (0.5 + 0.5) / 2
//! assert_eq!(grad, array![[0.5, 0.0], [0.0, -0.5]]);
//! ```

pub mod clip;
pub mod composite;
pub mod ctc;
pub mod error;
pub mod half;
pub mod kernels;
pub mod linear;
pub mod loss;
pub mod pairs;
pub mod pointwise;
pub mod real;
pub mod reduction;
pub mod rows;
pub mod weights;

pub use error::LossError;
pub use loss::{Loss, Targets};
pub use real::Real;
pub use reduction::Reduction;
