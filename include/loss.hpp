/*
 * loss.hpp: a header-only C++17 front end of libloss over the C ABI of loss.h.
 *
 * Nothing here computes a loss: every function forwards to its `loss_*_f32`,
 * `loss_*_f64`, `loss_*_bf16` or `loss_*_f16` twin, chosen by the element type
 * (`float`, `double`, `loss::bf16` or `loss::f16`), so results are bit-identical to
 * the C functions. loss.h documents the formulas, layouts and errors of every
 * function; this header documents only what it adds.
 *
 * Two ways to call:
 *
 *   - `loss::huber(...)` and friends THROW `loss::error` (status + message) on any
 *     error. They exist only when exceptions are enabled (`__cpp_exceptions`).
 *   - `loss::nothrow::huber(...)` and friends RETURN a `loss::result` (status +
 *     message) and never throw a libloss error: use them with `-fno-exceptions`.
 *
 * Every function comes in two forms:
 *
 *   - Pointer form: the C function's arguments in the C order (pointer + sizes),
 *     with `const loss::options&` in place of `const loss_options*`. It writes into
 *     your buffers, which are left untouched on any error (as in C). The throwing
 *     form returns `void`.
 *   - `std::vector` form: sizes are taken from the vectors; outputs are returned as
 *     new vectors (`loss::output<T>` for the losses). Sizes that do not fit each
 *     other are reported by the wrapper as `LOSS_ERROR_SHAPE` with a message naming
 *     the function (`"loss::huber: ..."`), before libloss is called. The nothrow
 *     version takes what the throwing version returns as its FIRST argument, by
 *     reference, and assigns it only on success. Vector forms allocate their outputs
 *     (and nothing else); for allocation-free loops use the pointer forms.
 *
 * Other contiguous containers (std::array, your own tensors) go through the pointer
 * form with `.data()` and their sizes; C++17 has no std::span.
 *
 * Element types: `T` is `float` or `double`; it is deduced from the first
 * floating-point buffer of the call, and every other `T` buffer and scalar of the
 * call must have (or, for scalars, convert to) that type. `nullptr` is accepted
 * wherever loss.h says "nullable". Integer labels are `std::int32_t`.
 *
 * Half precision: every function whose C functions have `_bf16` / `_f16` twins in
 * loss.h (the dense-target losses, both label losses, CTC, sequence cross-entropy,
 * the losses of several inputs, `linear_cross_entropy`, clipping and weighted sums:
 * all but `class_weights_to_sample_weights`, `linear_cross_entropy_with_workspace`
 * and the vocabulary-sharded phases `linear_cross_entropy_shard_*`) also takes `T` =
 * `loss::bf16` or `loss::f16`, 16-bit storage types convertible to `float`. Then the
 * data (`y_true`, `y_pred`, `activations`, `x1`, `x2`, `y`, `anchor`, `positive`,
 * `negative`, `embeddings`, `hidden`, `weight`, `bias`, every gradient, the buffers
 * clipped) is of type `T`, while `sample_weight`, `class_weight`, the loss, the
 * clipping bounds and norms and a weighted sum's total are `float`: `loss::real_t<T>`
 * names that type (`T` itself for `float` and `double`). `T` is then deduced from the
 * data (for `clip_by_norm`, `clip_by_global_norm` and `weighted_sum` of vectors, from
 * the vectors, not from the norm or total). A custom term of a half weighted sum
 * (`loss::term<loss::bf16>`) computes on the widened `float` data, as loss.h's
 * `loss_custom_fn_f32`. `class_weights_to_sample_weights`,
 * `linear_cross_entropy_with_workspace` and `linear_cross_entropy_shard_*` have no
 * half twins and reject half types (a compile error):
 *
 *     std::vector<loss::bf16> t(tf.begin(), tf.end()), p(pf.begin(), pf.end());  // rounded
 *     loss::output<loss::bf16> o = loss::huber(t, p, batch);
 *     float l = o.value();                  // the loss, float
 *     float g0 = o.grad[0];                 // the gradient, bf16 (converts to float)
 *     float norm = loss::clip_by_norm(o.grad, 1.0f);  // clipped in place, norm float
 *
 * Thread safety: as the C functions (every call may run concurrently on disjoint
 * outputs); `loss::options`, `loss::term` and `loss::output` are plain values.
 */
#ifndef LOSS_HPP
#define LOSS_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <new>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "loss.h"

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
/** 1 when the throwing API (`loss::error` and the functions of namespace `loss`) is
 * available, 0 when the code is compiled without exceptions. */
#define LOSS_HPP_EXCEPTIONS 1
#include <stdexcept>
#else
#define LOSS_HPP_EXCEPTIONS 0
#endif

namespace loss {

// The half-precision storage types are the same with and without exceptions, so they
// are outside the inline namespace below: a buffer of them can be shared by code
// compiled either way.

/**
 * bfloat16 storage (loss.h `loss_bf16`): the upper 16 bits of an IEEE binary32, so
 * `float`'s range with 8 significant bits. A trivially copyable, standard-layout
 * 2-byte type holding those bits, layout-compatible with `loss_bf16` (an array of
 * `loss::bf16` is passed to the C functions as `loss_bf16*`). No arithmetic: it
 * converts to `float` implicitly and exactly, so `h + 1.0f` and `h < x` are `float`
 * expressions. The conversion from `float` rounds (to nearest even, as
 * `loss_f32_to_bf16`, which is what every `_bf16` function does to its gradient),
 * hence explicit: `loss::bf16(0.5f)`, `std::vector<loss::bf16>(f.begin(), f.end())`.
 * A `double` is converted to `float` first. Default construction leaves the bits
 * uninitialized, as for `float` (`loss::bf16{}` and vector elements are +0).
 */
class bf16 {
 public:
  /** Uninitialized (value-initialized: +0). */
  bf16() = default;
  /** `x` rounded to the nearest bfloat16 (`loss_f32_to_bf16`: ties to even, NaN stays NaN). */
  explicit bf16(float x) noexcept : bits_(loss_f32_to_bf16(x)) {}
  /** The value of these bits. */
  static constexpr bf16 from_bits(std::uint16_t bits) noexcept { return bf16(bits, tag()); }
  /** The bits. */
  constexpr std::uint16_t bits() const noexcept { return bits_; }
  /** The exact `float` value (`loss_bf16_to_f32`: the bits shifted into the upper half). */
  operator float() const noexcept {  // NOLINT: implicit on purpose
    const std::uint32_t wide = static_cast<std::uint32_t>(bits_) << 16;
    float x;
    std::memcpy(&x, &wide, sizeof x);
    return x;
  }

 private:
  struct tag {};
  constexpr bf16(std::uint16_t bits, tag) noexcept : bits_(bits) {}
  std::uint16_t bits_;
};

/**
 * IEEE 754 binary16 storage (loss.h `loss_f16`): 11 significant bits, largest finite
 * 65504. As `loss::bf16` (same layout and conversions), with `loss_f32_to_f16` and
 * `loss_f16_to_f32`: a `float` of magnitude 65520 or more becomes `±inf`, subnormals
 * are kept. `f16(65504.f)` is the largest finite value, `f16(65520.f)` is +inf.
 */
class f16 {
 public:
  /** Uninitialized (value-initialized: +0). */
  f16() = default;
  /** `x` rounded to the nearest binary16 (`loss_f32_to_f16`: ties to even, `±inf` beyond
   * the range, NaN stays NaN). */
  explicit f16(float x) noexcept : bits_(loss_f32_to_f16(x)) {}
  /** The value of these bits. */
  static constexpr f16 from_bits(std::uint16_t bits) noexcept { return f16(bits, tag()); }
  /** The bits. */
  constexpr std::uint16_t bits() const noexcept { return bits_; }
  /** The exact `float` value (`loss_f16_to_f32`; a signalling NaN is quietened). */
  operator float() const noexcept { return loss_f16_to_f32(bits_); }  // NOLINT: implicit on purpose

 private:
  struct tag {};
  constexpr f16(std::uint16_t bits, tag) noexcept : bits_(bits) {}
  std::uint16_t bits_;
};

// What lets the wrappers pass a buffer of them to the C functions as it is.
static_assert(sizeof(bf16) == sizeof(loss_bf16) && alignof(bf16) == alignof(loss_bf16) &&
                  std::is_standard_layout<bf16>::value && std::is_trivially_copyable<bf16>::value &&
                  std::is_trivially_default_constructible<bf16>::value,
              "loss::bf16 must have the layout of loss_bf16 (2 bytes)");
static_assert(sizeof(f16) == sizeof(loss_f16) && alignof(f16) == alignof(loss_f16) &&
                  std::is_standard_layout<f16>::value && std::is_trivially_copyable<f16>::value &&
                  std::is_trivially_default_constructible<f16>::value,
              "loss::f16 must have the layout of loss_f16 (2 bytes)");

// Code compiled with and without exceptions may be linked into one program: the
// inline namespace gives the two variants of every inline function distinct symbols
// (the one-definition rule holds). Invisible in use: write `loss::huber`.
#if LOSS_HPP_EXCEPTIONS
inline namespace with_exceptions {
#else
inline namespace without_exceptions {
#endif

/** The reduction of per-sample losses, as `loss_reduction` (loss.h documents each). */
enum class reduction : int {
  none = LOSS_REDUCTION_NONE,                               /**< `w_i l_i`, one per sample. */
  sum = LOSS_REDUCTION_SUM,                                 /**< `sum_i w_i l_i`. */
  mean = LOSS_REDUCTION_MEAN,                               /**< `sum_i w_i l_i / sum_i w_i`. */
  sum_over_batch_size = LOSS_REDUCTION_SUM_OVER_BATCH_SIZE, /**< `sum_i w_i l_i / batch` (default). */
};

/** The library version, e.g. `"0.1.0"` (static string). */
inline const char* version() noexcept { return loss_version(); }

/** The name of a status, e.g. `"LOSS_ERROR_SHAPE"` (static string, never NULL). */
inline const char* status_string(loss_status s) noexcept { return loss_status_string(s); }

/** The C library's last error message on this thread (see loss.h). The wrappers copy
 * it into `result::message` / `error::what()`, so you rarely need this. */
inline const char* last_error_message() noexcept { return loss_last_error_message(); }

/** Sets the size of libloss's thread pool (0 = one per core, 1 = never spawn),
 * clamped to `max_num_threads()`. */
inline void set_num_threads(std::size_t n) noexcept { loss_set_num_threads(n); }

/** The number of threads a call may use now (at least 1). */
inline std::size_t num_threads() noexcept { return loss_get_num_threads(); }

/** The largest thread count `set_num_threads` accepts (see loss.h). */
inline std::size_t max_num_threads() noexcept { return loss_max_num_threads(); }

/**
 * Options of a call: a `loss_options` that starts as `loss_options_default()`, with
 * one chainable setter per field, named as the field, and a getter of the same
 * name:
 *
 *     auto o = loss::options().reduction(loss::reduction::sum).from_logits(true);
 *     bool logits = o.from_logits();
 *
 * The setters store the value as given; libloss validates it at the call (a bad
 * value is `LOSS_ERROR_INVALID_ARGUMENT` there). Implicitly constructible from a
 * `loss_options`, so C options can be passed to every function.
 */
class options {
 public:
  /** The defaults of `loss_options_default()`. */
  options() noexcept : raw_(loss_options_default()) {}
  /** A copy of C options. */
  options(const loss_options& raw) noexcept : raw_(raw) {}  // NOLINT: implicit on purpose

  /** The C struct, for the C functions. */
  const loss_options& raw() const noexcept { return raw_; }
  /** The C struct, mutable. */
  loss_options& raw() noexcept { return raw_; }

  /** Reduction of the per-sample losses (default `sum_over_batch_size`). */
  options& reduction(loss::reduction r) noexcept {
    raw_.reduction = static_cast<loss_reduction>(r);
    return *this;
  }
  /** Reduction, from the C enum. */
  options& reduction(loss_reduction r) noexcept {
    raw_.reduction = r;
    return *this;
  }
  /** The reduction. */
  loss::reduction reduction() const noexcept { return static_cast<loss::reduction>(raw_.reduction); }

// One setter (chainable) and one getter per plain field of loss_options.
#define LOSS_HPP_OPTION(type, field) \
  options& field(type v) noexcept {  \
    raw_.field = v;                  \
    return *this;                    \
  }                                  \
  type field() const noexcept { return raw_.field; }

  /** Logits instead of probabilities (cross-entropies, focal; CTC: see loss.h). */
  LOSS_HPP_OPTION(bool, from_logits)
  /** Label smoothing, in [0, 1]. */
  LOSS_HPP_OPTION(double, label_smoothing)
  /** Huber threshold, > 0. */
  LOSS_HPP_OPTION(double, delta)
  /** Contrastive margin, >= 0. */
  LOSS_HPP_OPTION(double, margin)
  /** Clipping epsilon (default 1e-7). */
  LOSS_HPP_OPTION(double, epsilon)
  /** Binary cross-entropy weight of the positive term (default 1). */
  LOSS_HPP_OPTION(double, pos_weight)
  /** Focal gamma (default 2). */
  LOSS_HPP_OPTION(double, gamma)
  /** Focal alpha (default 0.25), used with `apply_class_balancing`. */
  LOSS_HPP_OPTION(double, alpha)
  /** Focal class balancing (default false). */
  LOSS_HPP_OPTION(bool, apply_class_balancing)
  /** Poisson: `y_pred` is the log-rate (default false). */
  LOSS_HPP_OPTION(bool, log_input)
  /** Sparse and sequence cross-entropy: the label to skip (default `LOSS_NO_IGNORE`). */
  LOSS_HPP_OPTION(std::int32_t, ignore_index)
  /** CTC blank index (default 0). */
  LOSS_HPP_OPTION(std::int32_t, blank)
  /** CTC: infeasible samples give 0 instead of +inf (default false). */
  LOSS_HPP_OPTION(bool, zero_infinity)
  /** CTC: activations are `[batch, time, alphabet]` (default false: time-major). */
  LOSS_HPP_OPTION(bool, batch_first)
  /** Categorical generalized cross-entropy q, in (0, 1] (default 0.5). */
  LOSS_HPP_OPTION(double, q)
  /** Tversky weight of `sum t (1 - p)` (default 0.5). */
  LOSS_HPP_OPTION(double, tversky_alpha)
  /** Tversky weight of `sum (1 - t) p` (default 0.5). */
  LOSS_HPP_OPTION(double, tversky_beta)
  /** Triplet margin: degree of the distance's norm (default 2). */
  LOSS_HPP_OPTION(double, norm_degree)
  /** Triplet margin: eps added to each difference (default 1e-6). */
  LOSS_HPP_OPTION(double, norm_eps)
  /** Margin ranking margin (default 0). */
  LOSS_HPP_OPTION(double, ranking_margin)
  /** Cosine embedding margin, in [-1, 1] (default 0). */
  LOSS_HPP_OPTION(double, cosine_margin)
  /** NT-Xent temperature (default 0.07). */
  LOSS_HPP_OPTION(double, temperature)
  /** Circle scale gamma (default 80). */
  LOSS_HPP_OPTION(double, circle_gamma)
  /** Circle relaxation margin (default 0.4). */
  LOSS_HPP_OPTION(double, circle_margin)
  /** Triplet margin: distance swap (default false). */
  LOSS_HPP_OPTION(bool, swap)
  /** Circle: a sample is not its own positive (default true). */
  LOSS_HPP_OPTION(bool, remove_diagonal)
  /** Linear cross-entropy: the z-loss coefficient, finite and >= 0 (default 0: none). */
  LOSS_HPP_OPTION(double, z_loss)
  /** Smooth L1 threshold beta, finite and >= 0 (default 1). */
  LOSS_HPP_OPTION(double, beta)
  /** Poisson: add the Stirling term (torch `full=True`; default false). */
  LOSS_HPP_OPTION(bool, full)
  /** Poly-1 cross-entropy epsilon, finite (default 2, optax's). */
  LOSS_HPP_OPTION(double, poly_epsilon)
  /** Multi-margin loss: power p of each hinge term, 1 or 2 (default 1, torch's). */
  LOSS_HPP_OPTION(int32_t, margin_power)
  /** KL divergence with log_input (torch): y_true holds log-probabilities (default false). */
  LOSS_HPP_OPTION(bool, log_target)
  /** CTC: divide each sample by its label length (torch's mean with SUM_OVER_BATCH_SIZE). */
  LOSS_HPP_OPTION(bool, divide_by_target_length)
  LOSS_HPP_OPTION(double, var_eps)
#undef LOSS_HPP_OPTION

 private:
  loss_options raw_;
};

namespace detail {

// `real<T>::type`: the type of the weights and the loss of a call on T data.
template <class T>
struct real {
  using type = T;
};
template <>
struct real<bf16> {
  using type = float;
};
template <>
struct real<f16> {
  using type = float;
};

// `c_term<T>::type`: the C struct of a weighted sum's term on T data.
template <class T>
struct c_term;
template <>
struct c_term<float> {
  using type = loss_term_f32;
};
template <>
struct c_term<double> {
  using type = loss_term_f64;
};
template <>
struct c_term<bf16> {
  using type = loss_term_bf16;
};
template <>
struct c_term<f16> {
  using type = loss_term_f16;
};

}  // namespace detail

/**
 * The type of `sample_weight`, `class_weight`, the loss, clipping bounds and norms
 * and a weighted sum's total of a call whose data is `T`: `T` for `float` and
 * `double`, `float` for `loss::bf16` and `loss::f16`.
 */
template <class T>
using real_t = typename detail::real<T>::type;

/**
 * The outcome of a `loss::nothrow` call: `LOSS_OK` and an empty message, or the
 * error's status and message (libloss's `loss_last_error_message()`, copied at once,
 * or the wrapper's own for size mismatches of the vector forms).
 */
struct [[nodiscard]] result {
  /** `LOSS_OK` on success. */
  loss_status status = LOSS_OK;
  /** Empty on success. */
  std::string message;
  /** True on success. */
  bool ok() const noexcept { return status == LOSS_OK; }
  /** True on success. */
  explicit operator bool() const noexcept { return ok(); }
};

/** What a `std::vector` form of a loss returns. */
template <class T>
struct output {
  /** One value, or `batch` values for `reduction::none` (see each function); `float`
   * for half-precision data (`real_t<T>`). */
  std::vector<real_t<T>> loss;
  /** The gradient, shaped as the predictions (activations for CTC), in the data's
   * type `T`; empty when it was not asked for. */
  std::vector<T> grad;
  /** The first loss value: the reduced loss unless the reduction is `none`. */
  real_t<T> value() const { return loss.at(0); }
};

#if LOSS_HPP_EXCEPTIONS
/**
 * What the throwing functions throw: the status (`status()`) and the message
 * (`what()`) of the failed call.
 */
class error : public std::runtime_error {
 public:
  /** An error with a status and a message. */
  error(loss_status status, const std::string& message) : std::runtime_error(message), status_(status) {}
  /** The status, never `LOSS_OK`. */
  loss_status status() const noexcept { return status_; }
  /** The status' name, e.g. `"LOSS_ERROR_SHAPE"`. */
  const char* status_name() const noexcept { return loss_status_string(status_); }

 private:
  loss_status status_;
};
#endif

/** Implementation details; not part of the API. */
namespace detail {

// std::type_identity (C++20).
template <class T>
struct identity {
  using type = T;
};
// `same_t<T>` takes part in no template argument deduction, so that `nullptr` and
// literals of another type are accepted where T is deduced from another argument.
template <class T>
using same_t = typename identity<T>::type;
// Enables a template for float and double only: the functions without half twins
// (`class_weights_to_sample_weights`, `linear_cross_entropy_with_workspace` and the
// vocabulary-sharded phases `linear_cross_entropy_shard_*`).
template <class T>
using if_real = std::enable_if_t<std::is_same<T, float>::value || std::is_same<T, double>::value, int>;
// float, double, bf16 or f16: the element types of every other function.
template <class T>
struct is_element
    : std::integral_constant<bool, std::is_same<T, float>::value || std::is_same<T, double>::value ||
                                       std::is_same<T, bf16>::value || std::is_same<T, f16>::value> {};
// Enables a template for those four.
template <class T>
using if_element = std::enable_if_t<is_element<T>::value, int>;

// The `_f32` twin for float, the `_f64` one for double.
template <class T, class F32, class F64>
constexpr auto pick(F32 f32, F64 f64) noexcept {
  if constexpr (std::is_same<T, float>::value) {
    return f32;
  } else {
    return f64;
  }
}
// The same with the `_bf16` twin for bf16 and the `_f16` one for f16.
template <class T, class F32, class F64, class BF16, class F16>
constexpr auto pick(F32 f32, F64 f64, BF16 half_bf16, F16 half_f16) noexcept {
  if constexpr (std::is_same<T, bf16>::value) {
    return half_bf16;
  } else if constexpr (std::is_same<T, f16>::value) {
    return half_f16;
  } else {
    return pick<T>(f32, f64);
  }
}

// A buffer as the C function takes it: float and double (and NULL) as they are,
// bf16 and f16 as their bits (same layout, see the static_asserts above).
template <class T>
constexpr T* c_data(T* p) noexcept {
  return p;
}
inline const loss_bf16* c_data(const bf16* p) noexcept { return reinterpret_cast<const loss_bf16*>(p); }
inline loss_bf16* c_data(bf16* p) noexcept { return reinterpret_cast<loss_bf16*>(p); }
inline const loss_f16* c_data(const f16* p) noexcept { return reinterpret_cast<const loss_f16*>(p); }
inline loss_f16* c_data(f16* p) noexcept { return reinterpret_cast<loss_f16*>(p); }
// An array of buffers (`clip_by_global_norm`): the pointers as the C function reads
// them (a pointer to a layout-compatible type, the same representation).
inline loss_bf16* const* c_data(bf16* const* p) noexcept { return reinterpret_cast<loss_bf16* const*>(p); }
inline loss_f16* const* c_data(f16* const* p) noexcept { return reinterpret_cast<loss_f16* const*>(p); }

// The result of a C call: the message is copied before anything else can reset it.
inline result from_status(loss_status s) {
  result r;
  if (s != LOSS_OK) {
    r.status = s;
    r.message = loss_last_error_message();
  }
  return r;
}

// A size mismatch found by a vector form before calling libloss.
inline result shape_error(const char* fn, const std::string& what) {
  return result{LOSS_ERROR_SHAPE, std::string("loss::") + fn + ": shape: " + what};
}

// A size in a message.
inline std::string sz(std::size_t n) { return std::to_string(n); }

// The buffer of a vector, or NULL for an absent optional one.
template <class V>
auto data_or_null(const V* v) noexcept -> decltype(v->data()) {
  return v ? v->data() : nullptr;
}

// Checks that an optional vector has `n` elements.
template <class V>
bool size_is(const V* v, std::size_t n) noexcept {
  return v == nullptr || v->size() == n;
}

// Runs `call(loss_out, grad_out)` into fresh vectors; assigns them to `out` on success.
template <class T, class Call>
result produce(output<T>& out, std::size_t n_loss, std::size_t n_grad, bool want_grad, Call call) {
  output<T> tmp;
  tmp.loss.resize(n_loss);
  if (want_grad) tmp.grad.resize(n_grad);
  result r = from_status(call(tmp.loss.data(), want_grad ? tmp.grad.data() : nullptr));
  if (r.ok()) out = std::move(tmp);
  return r;
}

// The number of loss values a call writes: `batch` for `reduction::none`, else 1.
inline std::size_t n_loss(const options& o, std::size_t batch) noexcept {
  return o.reduction() == reduction::none ? batch : 1;
}

// Vector form of a dense-target loss.
template <class T, class F>
result dense(const char* fn, F f, output<T>& out, const std::vector<T>& y_true, const std::vector<T>& y_pred,
             std::size_t batch, const options& o, bool want_grad, const std::vector<real_t<T>>* sample_weight) {
  const std::size_t n = y_pred.size();
  if (batch == 0 || n == 0 || n % batch != 0)
    return shape_error(fn, "y_pred has " + sz(n) + " values, not a positive multiple of batch " + sz(batch));
  if (y_true.size() != n)
    return shape_error(fn, "y_true has " + sz(y_true.size()) + " values, y_pred " + sz(n));
  if (!size_is(sample_weight, batch))
    return shape_error(fn, "sample_weight must have batch = " + sz(batch) + " values");
  return produce(out, n_loss(o, batch), n, want_grad, [&](real_t<T>* loss_out, T* grad_out) {
    return f(c_data(y_true.data()), c_data(y_pred.data()), batch, n / batch, data_or_null(sample_weight),
             &o.raw(), loss_out, c_data(grad_out));
  });
}

// Message of an exception thrown by a custom callback (see `term`), per thread.
inline std::string& callback_message() {
  static thread_local std::string m;
  return m;
}

#if LOSS_HPP_EXCEPTIONS
// What every throwing function does with its nothrow twin's result.
inline void check(result r) {
  if (!r.ok()) throw error(r.status, r.message);
}
#endif

}  // namespace detail

/**
 * The C++ type of a custom loss (`LOSS_KIND_CUSTOM` term): called with `y_true`,
 * `y_pred` (`[batch, dim]`), `batch`, `dim`, and the outputs `per_sample_loss`
 * (`[batch]`) and `grad` (nullable `[batch, dim]`, `d l_i / d y_pred_i`); returns
 * `LOSS_OK` or the error status that aborts the call (see loss.h). Any callable with
 * these parameters returning `loss_status` or `void` (= `LOSS_OK`) is accepted by
 * `custom_term`, e.g. a capturing lambda. `T` is `float` or `double`: the callable
 * of a term on half-precision data is a `custom_fn<float>` and sees the widened data.
 */
template <class T>
using custom_fn = std::function<loss_status(const T* y_true, const T* y_pred, std::size_t batch,
                                            std::size_t dim, T* per_sample_loss, T* grad)>;

/**
 * One term of `weighted_sum` (a `loss_term_f32`, `loss_term_f64`, `loss_term_bf16` or
 * `loss_term_f16` for `T` = `float`, `double`, `loss::bf16`, `loss::f16`), made by
 * `make_term`, `sparse_term` or `custom_term` and refined by chainable setters. The
 * data and gradient are `T`, the weights `real_t<T>` (`float` for the half types),
 * and a custom term's callable a `custom_fn<real_t<T>>`. A term only points to your
 * buffers: they must outlive the `weighted_sum` call. A custom term holds its
 * callable; copying the term copies it.
 */
template <class T>
class term {
  static_assert(detail::is_element<T>::value, "loss::term<T>: T is float, double, loss::bf16 or loss::f16");

 public:
  /** The C struct. */
  using raw_type = typename detail::c_term<T>::type;
  /** The type of the weights, of the total and of a custom callable's data. */
  using real_type = real_t<T>;

  /** A term of kind `kind` (weight 1, default options, nothing else set). */
  explicit term(loss_kind kind) noexcept : raw_(), opts_(loss_options_default()) {
    raw_.kind = kind;
    raw_.weight = 1.0;
  }

  /** The term's weight in the total (default 1). */
  term& weight(double w) noexcept {
    raw_.weight = w;
    return *this;
  }
  /** Nullable `[batch]` sample weights. */
  term& sample_weight(const real_t<T>* w) noexcept {
    raw_.sample_weight = w;
    return *this;
  }
  /** Nullable `[dim]` class weights (the label losses only). */
  term& class_weight(const real_t<T>* w) noexcept {
    raw_.class_weight = w;
    return *this;
  }
  /** The term's options (kept in the term; `weighted_sum` points the C struct at them). */
  term& opts(const options& o) noexcept {
    opts_ = o.raw();
    return *this;
  }
  /** The term's options. */
  const loss_options& opts() const noexcept { return opts_; }
  /** Nullable `[batch, dim]`: receives `weight * d(term)/d(y_pred)`. */
  term& grad_out(T* g) noexcept {
    raw_.grad_out = detail::c_data(g);
    return *this;
  }

  /** The C struct (its `options`, `custom` and `user_data` are set by `weighted_sum`). */
  const raw_type& raw() const noexcept { return raw_; }
  /** The C struct, mutable. */
  raw_type& raw() noexcept { return raw_; }
  /** The callable of a custom term (empty otherwise). */
  const custom_fn<real_t<T>>& callback() const noexcept { return fn_; }
  /** Sets the callable (makes sense for `LOSS_KIND_CUSTOM` only). */
  term& callback(custom_fn<real_t<T>> fn) {
    fn_ = std::move(fn);
    return *this;
  }

 private:
  raw_type raw_;
  loss_options opts_;
  custom_fn<real_t<T>> fn_;
};

/** A term of a built-in dense-target loss `kind` (not a label loss, not custom). */
template <class T, detail::if_element<T> = 0>
term<T> make_term(loss_kind kind, const T* y_true, const detail::same_t<T>* y_pred, std::size_t batch,
                  std::size_t dim) noexcept {
  term<T> t(kind);
  t.raw().y_true = detail::c_data(y_true);
  t.raw().y_pred = detail::c_data(y_pred);
  t.raw().batch = batch;
  t.raw().dim = dim;
  return t;
}

/** A sparse categorical cross-entropy term: `labels` `[batch]`, `y_pred` `[batch, classes]`
 * (for the other label loss, set `raw().kind`). */
template <class T, detail::if_element<T> = 0>
term<T> sparse_term(const std::int32_t* labels, const T* y_pred, std::size_t batch,
                    std::size_t classes) noexcept {
  term<T> t(LOSS_KIND_SPARSE_CATEGORICAL_CROSSENTROPY);
  t.raw().labels = labels;
  t.raw().y_pred = detail::c_data(y_pred);
  t.raw().batch = batch;
  t.raw().dim = classes;
  return t;
}

/**
 * A custom term: `fn` (see `custom_fn`) computes the per-sample losses and their
 * gradient; libloss applies sample weights and the reduction as for a built-in loss.
 * On half-precision data (`T` = `loss::bf16`, `loss::f16`) `fn` takes `float`
 * buffers: libloss widens `y_true` and `y_pred` for it and rounds the weighted
 * gradient once into the term's `grad_out`.
 * An exception escaping `fn` is caught before it reaches the C library and aborts
 * the call: a `loss::error` with its status, `std::bad_alloc` as
 * `LOSS_ERROR_ALLOCATION`, anything else as `LOSS_ERROR_PANIC`; the exception's
 * `what()` is appended to the message.
 */
template <class T, class F, detail::if_element<T> = 0>
term<T> custom_term(F fn, const T* y_true, const detail::same_t<T>* y_pred, std::size_t batch,
                    std::size_t dim) {
  using R = real_t<T>;
  term<T> t = make_term(LOSS_KIND_CUSTOM, y_true, y_pred, batch, dim);
  t.callback([fn = std::move(fn)](const R* yt, const R* yp, std::size_t b, std::size_t d, R* l,
                                  R* g) mutable -> loss_status {
    if constexpr (std::is_void<decltype(fn(yt, yp, b, d, l, g))>::value) {
      fn(yt, yp, b, d, l, g);
      return LOSS_OK;
    } else {
      return fn(yt, yp, b, d, l, g);
    }
  });
  return t;
}

namespace detail {

// The C callback of every custom term: `user_data` is the term's `custom_fn<T>`.
template <class T>
loss_status trampoline(void* user_data, const T* y_true, const T* y_pred, std::size_t batch, std::size_t dim,
                       T* per_sample_loss, T* grad) noexcept {
  const custom_fn<T>& fn = *static_cast<const custom_fn<T>*>(user_data);
#if LOSS_HPP_EXCEPTIONS
  try {
    return fn(y_true, y_pred, batch, dim, per_sample_loss, grad);
  } catch (const error& e) {
    callback_message() = e.what();
    return e.status();
  } catch (const std::bad_alloc& e) {
    callback_message() = e.what();
    return LOSS_ERROR_ALLOCATION;
  } catch (const std::exception& e) {
    callback_message() = e.what();
    return LOSS_ERROR_PANIC;
  } catch (...) {
    callback_message() = "unknown exception";
    return LOSS_ERROR_PANIC;
  }
#else
  return fn(y_true, y_pred, batch, dim, per_sample_loss, grad);
#endif
}


// The vector form of a label loss: sizes checked, then `fn` into fresh outputs.
template <class T, class F>
result labels(const char* fn_name, F fn, output<T>& out, const std::vector<std::int32_t>& labels,
              const std::vector<T>& y_pred, const options& opts, bool want_grad,
              const std::vector<real_t<T>>* sample_weight, const std::vector<real_t<T>>* class_weight) {
  const std::size_t batch = labels.size(), n = y_pred.size();
  if (batch == 0 || n == 0 || n % batch != 0)
    return shape_error(fn_name, "y_pred has " + sz(n) + " values, not a positive multiple of " + sz(batch) +
                                    " labels");
  const std::size_t classes = n / batch;
  if (!size_is(sample_weight, batch))
    return shape_error(fn_name, "sample_weight must have batch = " + sz(batch) + " values");
  if (!size_is(class_weight, classes))
    return shape_error(fn_name, "class_weight must have classes = " + sz(classes) + " values");
  return produce(out, n_loss(opts, batch), n, want_grad, [&](real_t<T>* loss_out, T* grad_out) {
    return fn(labels.data(), c_data(y_pred.data()), batch, classes, data_or_null(sample_weight),
              data_or_null(class_weight), &opts.raw(), loss_out, c_data(grad_out));
  });
}

}  // namespace detail

/** The functions that report errors as a `loss::result` instead of throwing. */
namespace nothrow {

/*
 * The dense-target losses (loss.h: `loss_<name>_f32/_f64/_bf16/_f16`; same formulas,
 * options and errors). loss.h's `LOSS_DENSE_LOSSES(X)` expands `X(name, kind)` for
 * each of them (an X-macro generated from libloss's registry: usable in your code,
 * e.g. to test or register every one); this wrapper defines its functions from it,
 * so it always has every dense loss of the header it is compiled with. For each
 * `name`, with `T` one of `float`, `double`, `loss::bf16`, `loss::f16` and `R` =
 * `real_t<T>` (`T`, or `float` for the half types):
 *
 *   result name(const T* y_true, const T* y_pred, size_t batch, size_t dim,
 *               const R* sample_weight, const options& opts, R* loss_out, T* grad_out);
 *   result name(output<T>& out, const std::vector<T>& y_true, const std::vector<T>& y_pred,
 *               size_t batch, const options& opts = {}, bool want_grad = true,
 *               const std::vector<R>* sample_weight = nullptr);
 *
 * In the vector form `dim = y_pred.size() / batch`; `y_true` must have y_pred's
 * size and `sample_weight` `batch` values.
 */
#define LOSS_HPP_NOTHROW_DENSE(name, kind)                                                                       \
  template <class T, detail::if_element<T> = 0>                                                              \
  result name(const T* y_true, const detail::same_t<T>* y_pred, std::size_t batch, std::size_t dim,          \
              const real_t<T>* sample_weight, const options& opts, real_t<T>* loss_out,                      \
              detail::same_t<T>* grad_out) {                                                                 \
    return detail::from_status(                                                                              \
        detail::pick<T>(loss_##name##_f32, loss_##name##_f64, loss_##name##_bf16, loss_##name##_f16)(        \
            detail::c_data(y_true), detail::c_data(y_pred), batch, dim, sample_weight, &opts.raw(), loss_out, \
            detail::c_data(grad_out)));                                                                      \
  }                                                                                                          \
  template <class T, detail::if_element<T> = 0>                                                              \
  result name(output<T>& out, const std::vector<T>& y_true, const std::vector<T>& y_pred, std::size_t batch, \
              const options& opts = options(), bool want_grad = true,                                        \
              const std::vector<real_t<T>>* sample_weight = nullptr) {                                       \
    return detail::dense(                                                                                    \
        #name, detail::pick<T>(loss_##name##_f32, loss_##name##_f64, loss_##name##_bf16, loss_##name##_f16), \
        out, y_true, y_pred, batch, opts, want_grad, sample_weight);                                         \
  }
LOSS_DENSE_LOSSES(LOSS_HPP_NOTHROW_DENSE)
#undef LOSS_HPP_NOTHROW_DENSE

/*
 * The label losses: integer `labels` `[batch]` against `y_pred` `[batch, classes]`,
 * nullable `sample_weight` `[batch]` and `class_weight` `[classes]` (loss.h: the
 * signature of `loss_sparse_categorical_crossentropy_*`). `X(name, f32, f64, bf16,
 * f16)` for each, with its four C functions. For each `name`, with `T` one of
 * `float`, `double`, `loss::bf16`, `loss::f16` and `R` = `real_t<T>`:
 *
 *   result name(const int32_t* labels, const T* y_pred, size_t batch, size_t classes,
 *               const R* sample_weight, const R* class_weight, const options& opts,
 *               R* loss_out, T* grad_out);
 *   result name(output<T>& out, const std::vector<int32_t>& labels,
 *               const std::vector<T>& y_pred, const options& opts = {},
 *               bool want_grad = true, const std::vector<R>* sample_weight = nullptr,
 *               const std::vector<R>* class_weight = nullptr);
 *
 * In the vector form `batch = labels.size()`, `classes = y_pred.size() / batch`.
 */
#define LOSS_HPP_LABEL_LOSSES(X)                                                                            \
  X(sparse_categorical_crossentropy, loss_sparse_categorical_crossentropy_f32,                              \
    loss_sparse_categorical_crossentropy_f64, loss_sparse_categorical_crossentropy_bf16,                    \
    loss_sparse_categorical_crossentropy_f16)                                                                \
  X(categorical_generalized_cross_entropy, loss_categorical_generalized_cross_entropy_f32,                  \
    loss_categorical_generalized_cross_entropy_f64, loss_categorical_generalized_cross_entropy_bf16,        \
    loss_categorical_generalized_cross_entropy_f16)                                                          \
  X(nll, loss_nll_f32, loss_nll_f64, loss_nll_bf16, loss_nll_f16)                                          \
  X(multi_margin, loss_multi_margin_f32, loss_multi_margin_f64, loss_multi_margin_bf16,                     \
    loss_multi_margin_f16)                                                                                  \
  X(multiclass_sparsemax, loss_multiclass_sparsemax_f32, loss_multiclass_sparsemax_f64,                      \
    loss_multiclass_sparsemax_bf16, loss_multiclass_sparsemax_f16)

#define LOSS_HPP_NOTHROW_LABELS(name, f32, f64, bf16, f16)                                                   \
  template <class T, detail::if_element<T> = 0>                                                             \
  result name(const std::int32_t* labels, const T* y_pred, std::size_t batch, std::size_t classes,          \
              const real_t<T>* sample_weight, const real_t<T>* class_weight, const options& opts,          \
              real_t<T>* loss_out, detail::same_t<T>* grad_out) {                                           \
    return detail::from_status(detail::pick<T>(f32, f64, bf16, f16)(labels, detail::c_data(y_pred), batch,  \
                                                                    classes, sample_weight, class_weight,  \
                                                                    &opts.raw(), loss_out,                  \
                                                                    detail::c_data(grad_out)));             \
  }                                                                                                         \
  template <class T, detail::if_element<T> = 0>                                                             \
  result name(output<T>& out, const std::vector<std::int32_t>& labels, const std::vector<T>& y_pred,        \
              const options& opts = options(), bool want_grad = true,                                       \
              const std::vector<real_t<T>>* sample_weight = nullptr,                                        \
              const std::vector<real_t<T>>* class_weight = nullptr) {                                       \
    return detail::labels(#name, detail::pick<T>(f32, f64, bf16, f16), out, labels, y_pred, opts, want_grad, \
                          sample_weight, class_weight);                                                     \
  }
LOSS_HPP_LABEL_LOSSES(LOSS_HPP_NOTHROW_LABELS)
#undef LOSS_HPP_NOTHROW_LABELS

/*
 * The losses of several inputs, CTC, sequence cross-entropy, `linear_cross_entropy`
 * and clipping below take `T` = `float`, `double`, `loss::bf16` or `loss::f16` (their
 * `_f32`, `_f64`, `_bf16` or `_f16` C function), with `R` = `real_t<T>` for the
 * weights, losses, bounds and norms (`float` for the half types).
 * `linear_cross_entropy_with_workspace`, the vocabulary-sharded phases
 * `linear_cross_entropy_shard_*` and `class_weights_to_sample_weights` take `float`
 * and `double` only (loss.h has no half twin of them).
 */

/**
 * Margin ranking loss (`loss_margin_ranking_*`): `x1`, `x2`, `y` (each 1 or -1) and
 * nullable `sample_weight` `[batch]`; nullable `grad_x1`, `grad_x2` `[batch]`.
 */
template <class T, detail::if_element<T> = 0>
result margin_ranking(const T* x1, const detail::same_t<T>* x2, const detail::same_t<T>* y, std::size_t batch,
                      const real_t<T>* sample_weight, const options& opts, real_t<T>* loss_out,
                      detail::same_t<T>* grad_x1, detail::same_t<T>* grad_x2) {
  return detail::from_status(detail::pick<T>(loss_margin_ranking_f32, loss_margin_ranking_f64,
                                             loss_margin_ranking_bf16, loss_margin_ranking_f16)(
      detail::c_data(x1), detail::c_data(x2), detail::c_data(y), batch, sample_weight, &opts.raw(), loss_out,
      detail::c_data(grad_x1), detail::c_data(grad_x2)));
}

/**
 * Cosine embedding loss (`loss_cosine_embedding_*`): rows `x1`, `x2` `[batch, dim]`,
 * `y` (each 1 or -1) and nullable `sample_weight` `[batch]`; nullable `grad_x1`,
 * `grad_x2` `[batch, dim]`.
 */
template <class T, detail::if_element<T> = 0>
result cosine_embedding(const T* x1, const detail::same_t<T>* x2, const detail::same_t<T>* y, std::size_t batch,
                        std::size_t dim, const real_t<T>* sample_weight, const options& opts,
                        real_t<T>* loss_out, detail::same_t<T>* grad_x1, detail::same_t<T>* grad_x2) {
  return detail::from_status(detail::pick<T>(loss_cosine_embedding_f32, loss_cosine_embedding_f64,
                                             loss_cosine_embedding_bf16, loss_cosine_embedding_f16)(
      detail::c_data(x1), detail::c_data(x2), detail::c_data(y), batch, dim, sample_weight, &opts.raw(),
      loss_out, detail::c_data(grad_x1), detail::c_data(grad_x2)));
}

/**
 * Triplet margin loss (`loss_triplet_margin_*`): rows `anchor`, `positive`,
 * `negative` `[batch, dim]`, nullable `sample_weight` `[batch]`; a nullable gradient
 * `[batch, dim]` for each input.
 */
template <class T, detail::if_element<T> = 0>
result triplet_margin(const T* anchor, const detail::same_t<T>* positive, const detail::same_t<T>* negative,
                      std::size_t batch, std::size_t dim, const real_t<T>* sample_weight, const options& opts,
                      real_t<T>* loss_out, detail::same_t<T>* grad_anchor, detail::same_t<T>* grad_positive,
                      detail::same_t<T>* grad_negative) {
  return detail::from_status(detail::pick<T>(loss_triplet_margin_f32, loss_triplet_margin_f64,
                                             loss_triplet_margin_bf16, loss_triplet_margin_f16)(
      detail::c_data(anchor), detail::c_data(positive), detail::c_data(negative), batch, dim, sample_weight,
      &opts.raw(), loss_out, detail::c_data(grad_anchor), detail::c_data(grad_positive),
      detail::c_data(grad_negative)));
}

/**
 * Gaussian negative log-likelihood (`loss_gaussian_nll_*`): `input`, `target`
 * `[batch, dim]`, `var` `[batch, var_dim]` (`var_dim` = `dim` or 1), nullable
 * `sample_weight` `[batch]`; nullable `grad_input` `[batch, dim]` and `grad_var`
 * `[batch, var_dim]`.
 */
template <class T, detail::if_element<T> = 0>
result gaussian_nll(const T* input, const detail::same_t<T>* target, const detail::same_t<T>* var,
                    std::size_t batch, std::size_t dim, std::size_t var_dim, const real_t<T>* sample_weight,
                    const options& opts, real_t<T>* loss_out, detail::same_t<T>* grad_input,
                    detail::same_t<T>* grad_var) {
  return detail::from_status(detail::pick<T>(loss_gaussian_nll_f32, loss_gaussian_nll_f64,
                                             loss_gaussian_nll_bf16, loss_gaussian_nll_f16)(
      detail::c_data(input), detail::c_data(target), detail::c_data(var), batch, dim, var_dim, sample_weight,
      &opts.raw(), loss_out, detail::c_data(grad_input), detail::c_data(grad_var)));
}

/**
 * NT-Xent (`loss_ntxent_*`): `embeddings` `[batch, dim]`, `labels` `[batch]` (same
 * label = positive pair), nullable `sample_weight` `[batch]` and `grad_out`
 * `[batch, dim]`.
 */
template <class T, detail::if_element<T> = 0>
result ntxent(const T* embeddings, const std::int32_t* labels, std::size_t batch, std::size_t dim,
              const real_t<T>* sample_weight, const options& opts, real_t<T>* loss_out,
              detail::same_t<T>* grad_out) {
  return detail::from_status(
      detail::pick<T>(loss_ntxent_f32, loss_ntxent_f64, loss_ntxent_bf16, loss_ntxent_f16)(
          detail::c_data(embeddings), labels, batch, dim, sample_weight, &opts.raw(), loss_out,
          detail::c_data(grad_out)));
}

/**
 * Circle loss (`loss_circle_*`): `labels` `[batch]`, `embeddings` `[batch, dim]`,
 * nullable `sample_weight` `[batch]` and `grad_out` `[batch, dim]`.
 */
template <class T, detail::if_element<T> = 0>
result circle(const std::int32_t* labels, const T* embeddings, std::size_t batch, std::size_t dim,
              const real_t<T>* sample_weight, const options& opts, real_t<T>* loss_out,
              detail::same_t<T>* grad_out) {
  return detail::from_status(
      detail::pick<T>(loss_circle_f32, loss_circle_f64, loss_circle_bf16, loss_circle_f16)(
          labels, detail::c_data(embeddings), batch, dim, sample_weight, &opts.raw(), loss_out,
          detail::c_data(grad_out)));
}

/**
 * Sequence (next-token) cross-entropy (`loss_sequence_crossentropy_*`): `targets`
 * `[batch, time]`, `y_pred` `[batch, time, vocab]`, nullable `lengths` and
 * `sample_weight` (`[batch]` each); `loss_out` holds `batch` per-sequence sums for
 * `reduction::none`, else 1 value.
 */
template <class T, detail::if_element<T> = 0>
result sequence_crossentropy(const std::int32_t* targets, const T* y_pred, const std::int32_t* lengths,
                             std::size_t batch, std::size_t time, std::size_t vocab,
                             const real_t<T>* sample_weight, const options& opts, real_t<T>* loss_out,
                             detail::same_t<T>* grad_out) {
  return detail::from_status(
      detail::pick<T>(loss_sequence_crossentropy_f32, loss_sequence_crossentropy_f64,
                      loss_sequence_crossentropy_bf16, loss_sequence_crossentropy_f16)(
          targets, detail::c_data(y_pred), lengths, batch, time, vocab, sample_weight, &opts.raw(), loss_out,
          detail::c_data(grad_out)));
}

/**
 * Sequence cross-entropy, vector form: `time = targets.size() / batch`,
 * `vocab = y_pred.size() / targets.size()`; `lengths` and `sample_weight` (`batch`
 * values each) may be NULL.
 */
template <class T, detail::if_element<T> = 0>
result sequence_crossentropy(output<T>& out, const std::vector<std::int32_t>& targets,
                             const std::vector<T>& y_pred, std::size_t batch, const options& opts = options(),
                             bool want_grad = true, const std::vector<std::int32_t>* lengths = nullptr,
                             const std::vector<real_t<T>>* sample_weight = nullptr) {
  const char* fn = "sequence_crossentropy";
  const std::size_t tokens = targets.size(), n = y_pred.size();
  if (batch == 0 || tokens == 0 || tokens % batch != 0)
    return detail::shape_error(fn, "targets has " + detail::sz(tokens) +
                                       " values, not a positive multiple of batch " + detail::sz(batch));
  if (n == 0 || n % tokens != 0)
    return detail::shape_error(fn, "y_pred has " + detail::sz(n) +
                                       " values, not a positive multiple of the " + detail::sz(tokens) +
                                       " targets");
  if (!detail::size_is(lengths, batch) || !detail::size_is(sample_weight, batch))
    return detail::shape_error(
        fn, "lengths and sample_weight must have batch = " + detail::sz(batch) + " values");
  return detail::produce(out, detail::n_loss(opts, batch), n, want_grad, [&](real_t<T>* loss_out, T* grad_out) {
    return detail::pick<T>(loss_sequence_crossentropy_f32, loss_sequence_crossentropy_f64,
                           loss_sequence_crossentropy_bf16, loss_sequence_crossentropy_f16)(
        targets.data(), detail::c_data(y_pred.data()), detail::data_or_null(lengths), batch, tokens / batch,
        n / tokens, detail::data_or_null(sample_weight), &opts.raw(), loss_out, detail::c_data(grad_out));
  });
}

/**
 * CTC loss (`loss_ctc_*`): `activations` `[time, batch, alphabet]` (or `[batch, time,
 * alphabet]` with `batch_first`), every sample's labels back to back in `labels`,
 * `label_lengths` and `input_lengths` `[batch]`; `loss_out` holds `batch` values for
 * `reduction::none`, else 1.
 */
template <class T, detail::if_element<T> = 0>
result ctc(const T* activations, const std::int32_t* labels, const std::int32_t* label_lengths,
           const std::int32_t* input_lengths, std::size_t time, std::size_t batch, std::size_t alphabet,
           const options& opts, real_t<T>* loss_out, detail::same_t<T>* grad_out) {
  return detail::from_status(detail::pick<T>(loss_ctc_f32, loss_ctc_f64, loss_ctc_bf16, loss_ctc_f16)(
      detail::c_data(activations), labels, label_lengths, input_lengths, time, batch, alphabet, &opts.raw(),
      loss_out, detail::c_data(grad_out)));
}

/**
 * CTC loss in caller-provided memory (`loss_ctc_with_workspace_*`): `workspace` holds
 * `workspace_bytes` bytes, at least `ctc_workspace_size(...)`; with one libloss thread
 * the call allocates nothing.
 */
template <class T, detail::if_element<T> = 0>
result ctc_with_workspace(const T* activations, const std::int32_t* labels, const std::int32_t* label_lengths,
                          const std::int32_t* input_lengths, std::size_t time, std::size_t batch,
                          std::size_t alphabet, const options& opts, real_t<T>* loss_out,
                          detail::same_t<T>* grad_out, void* workspace, std::size_t workspace_bytes) {
  return detail::from_status(detail::pick<T>(loss_ctc_with_workspace_f32, loss_ctc_with_workspace_f64,
                                             loss_ctc_with_workspace_bf16, loss_ctc_with_workspace_f16)(
      detail::c_data(activations), labels, label_lengths, input_lengths, time, batch, alphabet, &opts.raw(),
      loss_out, detail::c_data(grad_out), workspace, workspace_bytes));
}

/** The workspace bytes of `ctc_with_workspace` (`loss_ctc_workspace_size`), into `*bytes`. */
inline result ctc_workspace_size(std::size_t time, std::size_t batch, std::size_t alphabet,
                                 std::size_t max_label_length, std::size_t* bytes) {
  return detail::from_status(loss_ctc_workspace_size(time, batch, alphabet, max_label_length, bytes));
}

/**
 * CTC loss, vector form: `batch = label_lengths.size()` (= `input_lengths.size()`),
 * `alphabet = activations.size() / (time * batch)`; `labels` must hold exactly
 * `sum(label_lengths)` values (it may be empty).
 */
template <class T, detail::if_element<T> = 0>
result ctc(output<T>& out, const std::vector<T>& activations, const std::vector<std::int32_t>& labels,
           const std::vector<std::int32_t>& label_lengths, const std::vector<std::int32_t>& input_lengths,
           std::size_t time, const options& opts = options(), bool want_grad = true) {
  const char* fn = "ctc";
  const std::size_t batch = label_lengths.size(), n = activations.size();
  if (batch == 0 || input_lengths.size() != batch)
    return detail::shape_error(fn, "label_lengths has " + detail::sz(batch) + " values, input_lengths " +
                                       detail::sz(input_lengths.size()));
  if (time == 0 || n == 0 || n % (time * batch) != 0)
    return detail::shape_error(fn, "activations has " + detail::sz(n) +
                                       " values, not a positive multiple of time " + detail::sz(time) +
                                       " * batch " + detail::sz(batch));
  // libloss reads sum(label_lengths) labels; a negative length is its own shape error.
  long long total = 0;
  bool negative = false;
  for (std::int32_t l : label_lengths) {
    negative = negative || l < 0;
    total += l;
  }
  if (!negative && static_cast<unsigned long long>(total) != labels.size())
    return detail::shape_error(fn, "labels has " + detail::sz(labels.size()) +
                                       " values, label_lengths sum to " + std::to_string(total));
  static const std::int32_t no_label = 0;  // `labels` may not be NULL, even when empty
  return detail::produce(out, detail::n_loss(opts, batch), n, want_grad, [&](real_t<T>* loss_out, T* grad_out) {
    return detail::pick<T>(loss_ctc_f32, loss_ctc_f64, loss_ctc_bf16, loss_ctc_f16)(
        detail::c_data(activations.data()), labels.empty() ? &no_label : labels.data(), label_lengths.data(),
        input_lengths.data(), time, batch, n / (time * batch), &opts.raw(), loss_out, detail::c_data(grad_out));
  });
}

/**
 * Cross-entropy of a linear layer's output without its logits (the fused LM head,
 * `loss_linear_cross_entropy_*`): `hidden` `[n, h]`, `weight` `[v, h]`, nullable
 * `bias` `[v]`, `labels` `[n]` (each in `[0, v)` or `ignore_index`), nullable
 * `sample_weight` `[n]`; `loss_out` holds `n` values for `reduction::none`, else 1;
 * nullable `grad_hidden` `[n, h]`, `grad_weight` `[v, h]` and `grad_bias` `[v]` are
 * written (not accumulated). Options read: `reduction`, `label_smoothing`,
 * `ignore_index`, `z_loss`. `T` = `loss::bf16` or `loss::f16` calls the `_bf16` /
 * `_f16` twin: `hidden`, `weight`, `bias` and the gradients of type `T`,
 * `sample_weight` and the loss `float` (`real_t<T>`); every sum is in `float` and each
 * gradient element rounded once: the `_f32` results on the widened inputs but for the
 * order of the sums over the vocabulary (loss.h). It has no workspace variant:
 * `linear_cross_entropy_with_workspace` takes `float` and `double` only.
 */
template <class T, detail::if_element<T> = 0>
result linear_cross_entropy(const T* hidden, const detail::same_t<T>* weight, const detail::same_t<T>* bias,
                            const std::int32_t* labels, std::size_t n, std::size_t h, std::size_t v,
                            const real_t<T>* sample_weight, const options& opts, real_t<T>* loss_out,
                            detail::same_t<T>* grad_hidden, detail::same_t<T>* grad_weight,
                            detail::same_t<T>* grad_bias) {
  return detail::from_status(detail::pick<T>(loss_linear_cross_entropy_f32, loss_linear_cross_entropy_f64,
                                             loss_linear_cross_entropy_bf16, loss_linear_cross_entropy_f16)(
      detail::c_data(hidden), detail::c_data(weight), detail::c_data(bias), labels, n, h, v, sample_weight,
      &opts.raw(), loss_out, detail::c_data(grad_hidden), detail::c_data(grad_weight),
      detail::c_data(grad_bias)));
}

/**
 * Linear cross-entropy in caller-provided memory
 * (`loss_linear_cross_entropy_with_workspace_*`; `float` or `double` only, loss.h has
 * no half twin of it): `workspace` (any alignment) holds `workspace_bytes` bytes, at
 * least `linear_cross_entropy_workspace_size(...)`; libloss then allocates nothing
 * itself (the matrix products still take their packing buffers from the system
 * allocator).
 */
template <class T, detail::if_real<T> = 0>
result linear_cross_entropy_with_workspace(const T* hidden, const detail::same_t<T>* weight,
                                           const detail::same_t<T>* bias, const std::int32_t* labels,
                                           std::size_t n, std::size_t h, std::size_t v,
                                           const real_t<T>* sample_weight, const options& opts,
                                           real_t<T>* loss_out, detail::same_t<T>* grad_hidden,
                                           detail::same_t<T>* grad_weight, detail::same_t<T>* grad_bias,
                                           void* workspace, std::size_t workspace_bytes) {
  return detail::from_status(
      detail::pick<T>(loss_linear_cross_entropy_with_workspace_f32, loss_linear_cross_entropy_with_workspace_f64)(
          hidden, weight, bias, labels, n, h, v, sample_weight, &opts.raw(), loss_out, grad_hidden, grad_weight,
          grad_bias, workspace, workspace_bytes));
}

/** The workspace bytes of `linear_cross_entropy_with_workspace` for up to `n` samples
 * (`loss_linear_cross_entropy_workspace_size`; either type), into `*bytes`. */
inline result linear_cross_entropy_workspace_size(std::size_t n, std::size_t h, std::size_t v,
                                                  std::size_t* bytes) {
  return detail::from_status(loss_linear_cross_entropy_workspace_size(n, h, v, bytes));
}

/**
 * Vocabulary-parallel linear cross-entropy, phase 1 of 3
 * (`loss_linear_cross_entropy_shard_stats_*`; `float` or `double`): this process holds
 * rows `[v0, v1)` of the `[v, h]` weight, `weight_shard` `[v1 - v0, h]` and nullable
 * `bias_shard` `[v1 - v0]`; `hidden` `[n, h]` and `labels` `[n]` (indices into the whole
 * vocabulary, each in `[0, v)` or `ignore_index`) are the whole batch. Writes
 * `LOSS_LINEAR_SHARD_STATS` values per sample of the shard's logits to `stats_out`
 * (`[n, LOSS_LINEAR_SHARD_STATS]`). `workspace`: `nullptr` with 0 bytes (the default:
 * libloss allocates), or `workspace_bytes` bytes (any alignment), at least
 * `linear_cross_entropy_workspace_size(n, h, v1 - v0)`. Options read: `ignore_index`
 * (`label_smoothing` and `z_loss` are checked): give all three phases the same options.
 * Not `v0 < v1 <= v` is `LOSS_ERROR_SHAPE`.
 */
template <class T, detail::if_real<T> = 0>
result linear_cross_entropy_shard_stats(const T* hidden, const detail::same_t<T>* weight_shard,
                                        const detail::same_t<T>* bias_shard, const std::int32_t* labels,
                                        std::size_t n, std::size_t h, std::size_t v, std::size_t v0,
                                        std::size_t v1, const options& opts, detail::same_t<T>* stats_out,
                                        void* workspace = nullptr, std::size_t workspace_bytes = 0) {
  return detail::from_status(
      detail::pick<T>(loss_linear_cross_entropy_shard_stats_f32, loss_linear_cross_entropy_shard_stats_f64)(
          hidden, weight_shard, bias_shard, labels, n, h, v, v0, v1, &opts.raw(), stats_out, workspace,
          workspace_bytes));
}

/**
 * Vocabulary-parallel linear cross-entropy, phase 2 of 3
 * (`loss_linear_cross_entropy_shard_combine_*`): `inout <- stats (+) inout` for `n`
 * samples of `LOSS_LINEAR_SHARD_STATS` values (`stats` and `inout` may not overlap).
 * Combining every process's statistics (in any order: the operation is commutative
 * and associative to rounding) gives those of whole rows, what phase 3 takes; it is
 * the operation of an MPI all-reduce (see loss.h).
 */
template <class T, detail::if_real<T> = 0>
result linear_cross_entropy_shard_combine(const T* stats, detail::same_t<T>* inout, std::size_t n) {
  return detail::from_status(
      detail::pick<T>(loss_linear_cross_entropy_shard_combine_f32, loss_linear_cross_entropy_shard_combine_f64)(
          stats, inout, n));
}

/**
 * Vocabulary-parallel linear cross-entropy, phase 3 of 3
 * (`loss_linear_cross_entropy_shard_finish_*`): from `stats`, the statistics of every
 * shard combined (`[n, LOSS_LINEAR_SHARD_STATS]`), the loss into `loss_out` (`n` values
 * for `reduction::none`, else 1; the same on every process) and this shard's gradients,
 * each nullable and written (not accumulated): `grad_weight` `[v1 - v0, h]` and
 * `grad_bias` `[v1 - v0]` complete for the shard's rows, `grad_hidden` `[n, h]` this
 * shard's term (the sum over the shards is the gradient). The other arguments as in
 * `linear_cross_entropy_shard_stats` (the same values), nullable `sample_weight` `[n]`
 * and the options as in `linear_cross_entropy`. The results equal
 * `linear_cross_entropy`'s on the whole weight, to rounding.
 */
template <class T, detail::if_real<T> = 0>
result linear_cross_entropy_shard_finish(const T* hidden, const detail::same_t<T>* weight_shard,
                                         const detail::same_t<T>* bias_shard, const std::int32_t* labels,
                                         std::size_t n, std::size_t h, std::size_t v, std::size_t v0,
                                         std::size_t v1, const real_t<T>* sample_weight, const options& opts,
                                         const detail::same_t<T>* stats, real_t<T>* loss_out,
                                         detail::same_t<T>* grad_hidden, detail::same_t<T>* grad_weight,
                                         detail::same_t<T>* grad_bias, void* workspace = nullptr,
                                         std::size_t workspace_bytes = 0) {
  return detail::from_status(
      detail::pick<T>(loss_linear_cross_entropy_shard_finish_f32, loss_linear_cross_entropy_shard_finish_f64)(
          hidden, weight_shard, bias_shard, labels, n, h, v, v0, v1, sample_weight, &opts.raw(), stats, loss_out,
          grad_hidden, grad_weight, grad_bias, workspace, workspace_bytes));
}

/** Per-sample weights from class weights (`loss_class_weights_to_sample_weights_*`). */
template <class T, detail::if_real<T> = 0>
result class_weights_to_sample_weights(const std::int32_t* labels, std::size_t batch, const T* class_weight,
                                       std::size_t classes, detail::same_t<T>* sample_weight_out) {
  return detail::from_status(
      detail::pick<T>(loss_class_weights_to_sample_weights_f32, loss_class_weights_to_sample_weights_f64)(
          labels, batch, class_weight, classes, sample_weight_out));
}

/** Per-sample weights from class weights, vector form: `out[i] = class_weight[labels[i]]`. */
template <class T, detail::if_real<T> = 0>
result class_weights_to_sample_weights(std::vector<T>& out, const std::vector<std::int32_t>& labels,
                                       const std::vector<T>& class_weight) {
  if (labels.empty() || class_weight.empty())
    return detail::shape_error("class_weights_to_sample_weights",
                               "labels and class_weight must not be empty");
  std::vector<T> tmp(labels.size());
  result r = nothrow::class_weights_to_sample_weights(labels.data(), labels.size(), class_weight.data(),
                                                      class_weight.size(), tmp.data());
  if (r.ok()) out = std::move(tmp);
  return r;
}

/** Clips in place into `[clip_min, clip_max]` (`loss_clip_by_value_*`; for the half
 * types, an element beyond a bound becomes the bound rounded once). */
template <class T, detail::if_element<T> = 0>
result clip_by_value(T* grad, std::size_t n, real_t<T> clip_min, real_t<T> clip_max) {
  return detail::from_status(detail::pick<T>(loss_clip_by_value_f32, loss_clip_by_value_f64,
                                             loss_clip_by_value_bf16, loss_clip_by_value_f16)(
      detail::c_data(grad), n, clip_min, clip_max));
}

/** Clips a vector in place into `[clip_min, clip_max]` (an empty vector is a shape error). */
template <class T, detail::if_element<T> = 0>
result clip_by_value(std::vector<T>& grad, real_t<T> clip_min, real_t<T> clip_max) {
  if (grad.empty()) return detail::shape_error("clip_by_value", "grad is empty");
  return nothrow::clip_by_value(grad.data(), grad.size(), clip_min, clip_max);
}

/** Rescales in place to a 2-norm of at most `clip_norm` (`loss_clip_by_norm_*`). */
template <class T, detail::if_element<T> = 0>
result clip_by_norm(T* grad, std::size_t n, real_t<T> clip_norm, real_t<T>* norm_out) {
  return detail::from_status(detail::pick<T>(loss_clip_by_norm_f32, loss_clip_by_norm_f64,
                                             loss_clip_by_norm_bf16, loss_clip_by_norm_f16)(
      detail::c_data(grad), n, clip_norm, norm_out));
}

/** Rescales a vector in place; `norm` receives its norm before clipping (`T` is the
 * vector's element type, `norm` a `real_t<T>`). */
template <class T, detail::if_element<T> = 0>
result clip_by_norm(real_t<T>& norm, std::vector<T>& grad, real_t<T> clip_norm) {
  if (grad.empty()) return detail::shape_error("clip_by_norm", "grad is empty");
  return nothrow::clip_by_norm(grad.data(), grad.size(), clip_norm, &norm);
}

/** Rescales several buffers by their global norm (`loss_clip_by_global_norm_*`). */
template <class T, detail::if_element<T> = 0>
result clip_by_global_norm(T* const* grads, const std::size_t* lengths, std::size_t count, real_t<T> clip_norm,
                           real_t<T>* global_norm_out) {
  return detail::from_status(detail::pick<T>(loss_clip_by_global_norm_f32, loss_clip_by_global_norm_f64,
                                             loss_clip_by_global_norm_bf16, loss_clip_by_global_norm_f16)(
      detail::c_data(grads), lengths, count, clip_norm, global_norm_out));
}

/**
 * Rescales several vectors in place by their global norm; `global_norm` receives it
 * (before clipping). A NULL or empty vector is an error of the wrapper
 * (`LOSS_ERROR_NULL_POINTER` / `LOSS_ERROR_SHAPE`).
 */
template <class T, detail::if_element<T> = 0>
result clip_by_global_norm(real_t<T>& global_norm, const std::vector<std::vector<T>*>& grads,
                           real_t<T> clip_norm) {
  std::vector<T*> ptrs;
  std::vector<std::size_t> lengths;
  for (std::vector<T>* g : grads) {
    if (g == nullptr)
      return result{LOSS_ERROR_NULL_POINTER, "loss::clip_by_global_norm: null: a buffer is NULL"};
    if (g->empty()) return detail::shape_error("clip_by_global_norm", "a buffer is empty");
    ptrs.push_back(g->data());
    lengths.push_back(g->size());
  }
  if (ptrs.empty()) return detail::shape_error("clip_by_global_norm", "no buffers");
  return nothrow::clip_by_global_norm(ptrs.data(), lengths.data(), ptrs.size(), clip_norm, &global_norm);
}

/** The same for a braced list: `clip_by_global_norm(norm, {&g1, &g2}, 5.0f)` (`T`
 * deduced from the list's vectors). */
template <class T, detail::if_element<T> = 0>
result clip_by_global_norm(real_t<T>& global_norm, std::initializer_list<std::vector<T>*> grads,
                           real_t<T> clip_norm) {
  return nothrow::clip_by_global_norm(global_norm, std::vector<std::vector<T>*>(grads), clip_norm);
}

/**
 * The weighted sum of several losses (`loss_weighted_sum_*`): `*total_out = sum_k
 * weight_k L_k`, every term's gradient into its `grad_out`, and `per_term_out`
 * (nullable, `[n_terms]`) the `L_k`. Custom terms call their C++ callable through a
 * trampoline. Nothing is written on error. For terms on half-precision data the
 * total and values are `float` (`real_t<T>`).
 */
template <class T, detail::if_element<T> = 0>
result weighted_sum(const term<T>* terms, std::size_t n_terms, real_t<T>* total_out, real_t<T>* per_term_out) {
  using raw_type = typename term<T>::raw_type;
  using R = real_t<T>;
  std::vector<raw_type> raw;
  if (terms != nullptr) {
    raw.reserve(n_terms);
    for (std::size_t k = 0; k < n_terms; ++k) {
      raw.push_back(terms[k].raw());
      if (raw.back().options == nullptr) raw.back().options = &terms[k].opts();
      if (terms[k].callback()) {
        raw.back().custom = &detail::trampoline<R>;
        // The trampoline only reads the callable (const); the C field is void*.
        raw.back().user_data = const_cast<custom_fn<R>*>(&terms[k].callback());
      }
    }
  }
  detail::callback_message().clear();
  result r = detail::from_status(
      detail::pick<T>(loss_weighted_sum_f32, loss_weighted_sum_f64, loss_weighted_sum_bf16, loss_weighted_sum_f16)(
          terms ? raw.data() : nullptr, n_terms, total_out, per_term_out));
  if (!r.ok() && !detail::callback_message().empty()) {
    r.message += " (callback: " + detail::callback_message() + ")";
    detail::callback_message().clear();
  }
  return r;
}

/** The weighted sum of a vector of terms; `total` receives the total, `per_term_out`
 * (nullable) `terms.size()` values (`T` deduced from the terms). */
template <class T, detail::if_element<T> = 0>
result weighted_sum(real_t<T>& total, const std::vector<term<T>>& terms, real_t<T>* per_term_out = nullptr) {
  if (terms.empty()) return detail::shape_error("weighted_sum", "no terms");
  return nothrow::weighted_sum(terms.data(), terms.size(), &total, per_term_out);
}

}  // namespace nothrow

#if LOSS_HPP_EXCEPTIONS

namespace detail {

// The element type of a vector form's arguments: that of its first `std::vector<T>`
// (`T` float, double, bf16 or f16), `std::vector<term<T>>` or
// `std::vector<std::vector<T>*>` (void when there is none).
template <class... A>
struct value_of {
  using type = void;
};
template <class A, class... R>
struct value_of<A, R...> : value_of<R...> {};
template <class T, class... R>
struct value_of<std::vector<T>, R...>
    : std::conditional_t<is_element<T>::value, identity<T>, value_of<R...>> {};
template <class T, class... R>
struct value_of<std::vector<term<T>>, R...> : identity<T> {};
template <class T, class... R>
struct value_of<std::vector<std::vector<T>*>, R...> : identity<T> {};
template <class... A>
using value_t = typename value_of<std::decay_t<A>...>::type;

}  // namespace detail

/*
 * The throwing functions: the same names and arguments as in `loss::nothrow`, but
 * they throw `loss::error` on error. Each is defined once, from its `nothrow`
 * overloads (so their parameters, defaults and documentation are those above):
 *
 * - a call that `nothrow::name` accepts as it is (the pointer forms, `clip_by_value`
 *   of a vector) returns void;
 * - a vector form, whose `nothrow` version assigns its result to a first argument,
 *   is called without that argument and returns the result: `output<T>` for the
 *   losses, `std::vector<T>` for `class_weights_to_sample_weights`, `real_t<T>`
 *   (`T`, or `float` for the half types) for `clip_by_norm`, `clip_by_global_norm`
 *   and `weighted_sum`. For example
 *
 *     loss::output<float> o = loss::mean_squared_error(y_true, y_pred, batch);
 *     float norm = loss::clip_by_norm(grad, 1.0f);
 *
 * The arguments are forwarded, so a bare braced list (`{}` for the options, say)
 * must be written with its type (`loss::options()`).
 */
#define LOSS_HPP_THROWING(name, Out)                                                                        \
  template <class... A, class = decltype(nothrow::name(std::declval<A>()...))>                              \
  void name(A&&... args) {                                                                                  \
    detail::check(nothrow::name(std::forward<A>(args)...));                                                 \
  }                                                                                                         \
  template <class... A, class T = detail::value_t<A...>, std::enable_if_t<!std::is_void<T>::value, int> = 0, \
            class O = Out, class = decltype(nothrow::name(std::declval<O&>(), std::declval<A>()...))>        \
  O name(A&&... args) {                                                                                     \
    O out{};                                                                                                \
    detail::check(nothrow::name(out, std::forward<A>(args)...));                                            \
    return out;                                                                                             \
  }
#define LOSS_HPP_THROWING_DENSE(name, kind) LOSS_HPP_THROWING(name, output<T>)
LOSS_DENSE_LOSSES(LOSS_HPP_THROWING_DENSE)
#undef LOSS_HPP_THROWING_DENSE
#define LOSS_HPP_THROWING_LABELS(name, f32, f64, bf16, f16) LOSS_HPP_THROWING(name, output<T>)
LOSS_HPP_LABEL_LOSSES(LOSS_HPP_THROWING_LABELS)
#undef LOSS_HPP_THROWING_LABELS
LOSS_HPP_THROWING(margin_ranking, output<T>)
LOSS_HPP_THROWING(cosine_embedding, output<T>)
LOSS_HPP_THROWING(triplet_margin, output<T>)
LOSS_HPP_THROWING(gaussian_nll, output<T>)
LOSS_HPP_THROWING(ntxent, output<T>)
LOSS_HPP_THROWING(circle, output<T>)
LOSS_HPP_THROWING(sequence_crossentropy, output<T>)
LOSS_HPP_THROWING(ctc, output<T>)
LOSS_HPP_THROWING(ctc_with_workspace, output<T>)
LOSS_HPP_THROWING(ctc_workspace_size, output<T>)
LOSS_HPP_THROWING(linear_cross_entropy, output<T>)
LOSS_HPP_THROWING(linear_cross_entropy_with_workspace, output<T>)
LOSS_HPP_THROWING(linear_cross_entropy_workspace_size, output<T>)
LOSS_HPP_THROWING(linear_cross_entropy_shard_stats, output<T>)
LOSS_HPP_THROWING(linear_cross_entropy_shard_combine, output<T>)
LOSS_HPP_THROWING(linear_cross_entropy_shard_finish, output<T>)
LOSS_HPP_THROWING(class_weights_to_sample_weights, std::vector<T>)
LOSS_HPP_THROWING(clip_by_value, T)
LOSS_HPP_THROWING(clip_by_norm, real_t<T>)
LOSS_HPP_THROWING(clip_by_global_norm, real_t<T>)
LOSS_HPP_THROWING(weighted_sum, real_t<T>)
#undef LOSS_HPP_THROWING

/** The workspace bytes of `ctc_with_workspace`, returned. */
inline std::size_t ctc_workspace_size(std::size_t time, std::size_t batch, std::size_t alphabet,
                                      std::size_t max_label_length) {
  std::size_t bytes = 0;
  loss::ctc_workspace_size(time, batch, alphabet, max_label_length, &bytes);
  return bytes;
}

/** The workspace bytes of `linear_cross_entropy_with_workspace`, returned. */
inline std::size_t linear_cross_entropy_workspace_size(std::size_t n, std::size_t h, std::size_t v) {
  std::size_t bytes = 0;
  loss::linear_cross_entropy_workspace_size(n, h, v, &bytes);
  return bytes;
}

/** Global-norm clipping of a braced list, `loss::clip_by_global_norm({&g1, &g2}, 5.0f)`:
 * returns the norm before clipping (a braced list cannot be forwarded). */
template <class T, detail::if_element<T> = 0>
real_t<T> clip_by_global_norm(std::initializer_list<std::vector<T>*> grads, real_t<T> clip_norm) {
  return loss::clip_by_global_norm(std::vector<std::vector<T>*>(grads), clip_norm);
}

#endif  // LOSS_HPP_EXCEPTIONS

}  // inline namespace
}  // namespace loss

#endif  // LOSS_HPP
