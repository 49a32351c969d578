// Tests of include/loss.hpp (the C++17 wrapper), built by build.rs with -std=c++17
// -Wall -Wextra -Wpedantic -Werror and run by `cargo test -p c-tests` (tests/cpp.rs).
// Every wrapper is compared bit for bit with the C function it forwards to; every
// error must throw loss::error with the C status and message and leave the outputs
// untouched. The nothrow API without exceptions is tested by test_loss_hpp_noexcept.cpp.
#include <algorithm>
#include <cmath>
#include <new>
#include <stdexcept>
#include <type_traits>

#include "check.hpp"

namespace {

template <class T>
const char* type_name() {
  if (std::is_same<T, loss::bf16>::value) return "bf16";
  if (std::is_same<T, loss::f16>::value) return "f16";
  return sizeof(T) == 4 ? "float" : "double";
}

// The weights' and loss's type of a call on T data: T, or float for the half types.
template <class T>
using real = loss::real_t<T>;

// A buffer of the wrapper's element type as the C function takes it: a half buffer as
// its bits (the test's own cast, not the header's), anything else as it is.
template <class P>
P bits_of(P p) {
  return p;
}
const loss_bf16* bits_of(const loss::bf16* p) { return reinterpret_cast<const loss_bf16*>(p); }
loss_bf16* bits_of(loss::bf16* p) { return reinterpret_cast<loss_bf16*>(p); }
const loss_f16* bits_of(const loss::f16* p) { return reinterpret_cast<const loss_f16*>(p); }
loss_f16* bits_of(loss::f16* p) { return reinterpret_cast<loss_f16*>(p); }
// Arrays of half buffers (clip_by_global_norm).
loss_bf16* const* bits_of(loss::bf16** p) { return reinterpret_cast<loss_bf16* const*>(p); }
loss_f16* const* bits_of(loss::f16** p) { return reinterpret_cast<loss_f16* const*>(p); }

// The suffix of T's C functions.
template <class T>
std::string suffix() {
  if (std::is_same<T, loss::bf16>::value) return "bf16";
  if (std::is_same<T, loss::f16>::value) return "f16";
  return sizeof(T) == 4 ? "f32" : "f64";
}

// The C function of type T among its four twins (chosen here, not by the header's
// detail::pick), called with the wrapper's buffers.
template <class T, class F32, class F64, class BF16, class F16>
auto c_twin(F32 f32, F64 f64, BF16 bf16, F16 f16) {
  auto call = [](auto f) { return [f](auto... args) { return f(bits_of(args)...); }; };
  if constexpr (std::is_same<T, float>::value) {
    return call(f32);
  } else if constexpr (std::is_same<T, double>::value) {
    return call(f64);
  } else if constexpr (std::is_same<T, loss::bf16>::value) {
    return call(bf16);
  } else {
    static_assert(std::is_same<T, loss::f16>::value, "float, double, bf16 or f16");
    return call(f16);
  }
}

// Runs `f`, which must throw loss::error with `status` and a message equal to
// `message` (or starting with it when `prefix`).
template <class F>
void expect_error(F f, loss_status status, const std::string& message, bool prefix = false) {
  bool thrown = false;
  try {
    f();
  } catch (const loss::error& e) {
    thrown = true;
    CHECK(e.status() == status);
    CHECK(std::string(e.status_name()) == loss_status_string(status));
    const std::string what = e.what();
    CHECK(prefix ? what.rfind(message, 0) == 0 : what == message);
    if (!(prefix ? what.rfind(message, 0) == 0 : what == message))
      std::printf("    got \"%s\", expected \"%s\"\n", what.c_str(), message.c_str());
    // It is a std::runtime_error too.
    const std::runtime_error& base = e;
    CHECK(std::string(base.what()) == what);
  }
  CHECK(thrown);
}

void test_misc() {
  context() = "misc";
  CHECK(std::string(loss::version()) == loss_version());
  CHECK(std::string(loss::status_string(LOSS_ERROR_SHAPE)) == "LOSS_ERROR_SHAPE");
  const std::size_t before = loss::num_threads();
  loss::set_num_threads(1);
  CHECK(loss::num_threads() == 1);
  CHECK(loss_get_num_threads() == 1);
  loss::set_num_threads(0);
  CHECK(loss::num_threads() == before);
  CHECK(std::string(loss::last_error_message()) == loss_last_error_message());
}

void test_options() {
  context() = "options";
  const loss_options d = loss_options_default();
  const loss::options o;
  const loss_options& r = o.raw();
  CHECK(r.reduction == d.reduction && r.from_logits == d.from_logits &&
        r.label_smoothing == d.label_smoothing && r.delta == d.delta && r.margin == d.margin &&
        r.epsilon == d.epsilon && r.pos_weight == d.pos_weight && r.gamma == d.gamma && r.alpha == d.alpha &&
        r.apply_class_balancing == d.apply_class_balancing && r.log_input == d.log_input &&
        r.ignore_index == d.ignore_index && r.blank == d.blank && r.zero_infinity == d.zero_infinity &&
        r.batch_first == d.batch_first);
  CHECK(o.reduction() == loss::reduction::sum_over_batch_size);
  CHECK(o.ignore_index() == LOSS_NO_IGNORE && o.delta() == 1.0 && o.epsilon() == 1e-7 && o.gamma() == 2.0);

  auto s = loss::options()
               .reduction(loss::reduction::none)
               .from_logits(true)
               .label_smoothing(0.1)
               .delta(2)
               .margin(3)
               .epsilon(1e-3)
               .pos_weight(4)
               .gamma(5)
               .alpha(0.5)
               .apply_class_balancing(true)
               .log_input(true)
               .ignore_index(-1)
               .blank(2)
               .zero_infinity(true)
               .batch_first(true);
  const loss_options& c = s.raw();
  CHECK(c.reduction == LOSS_REDUCTION_NONE && c.from_logits && c.label_smoothing == 0.1 && c.delta == 2 &&
        c.margin == 3 && c.epsilon == 1e-3 && c.pos_weight == 4 && c.gamma == 5 && c.alpha == 0.5 &&
        c.apply_class_balancing && c.log_input && c.ignore_index == -1 && c.blank == 2 && c.zero_infinity &&
        c.batch_first);
  CHECK(s.reduction() == loss::reduction::none && s.from_logits() && s.label_smoothing() == 0.1 &&
        s.delta() == 2 && s.margin() == 3 && s.epsilon() == 1e-3 && s.pos_weight() == 4 && s.gamma() == 5 &&
        s.alpha() == 0.5 && s.apply_class_balancing() && s.log_input() && s.ignore_index() == -1 &&
        s.blank() == 2 && s.zero_infinity() && s.batch_first());
  s.reduction(LOSS_REDUCTION_MEAN);
  CHECK(s.reduction() == loss::reduction::mean && s.raw().reduction == LOSS_REDUCTION_MEAN);
  // The linear cross-entropy's z-loss (0.3.0 layout).
  CHECK(o.z_loss() == d.z_loss && o.z_loss() == 0.0);
  s.z_loss(1e-4);
  CHECK(s.z_loss() == 1e-4 && s.raw().z_loss == 1e-4);
  loss_options custom = loss_options_default();
  custom.margin = 7;
  const loss::options from_c = custom;  // implicit: C options go anywhere loss::options do
  CHECK(from_c.margin() == 7 && from_c.delta() == 1);
  CHECK(static_cast<int>(loss::reduction::sum) == LOSS_REDUCTION_SUM &&
        static_cast<int>(loss::reduction::mean) == LOSS_REDUCTION_MEAN &&
        static_cast<int>(loss::reduction::none) == LOSS_REDUCTION_NONE &&
        static_cast<int>(loss::reduction::sum_over_batch_size) == LOSS_REDUCTION_SUM_OVER_BATCH_SIZE);
}

// One dense loss in type T (float, double, bf16, f16; weights and loss of type
// real<T>): every form of the wrapper against the C function `c` (pointer and vector,
// throwing and nothrow, with and without weights and gradient, under three
// reductions), then errors.
template <class T, class C, class Ptr, class Vec, class NtPtr, class NtVec>
void check_dense(const char* name, C c, Ptr ptr, Vec vec, NtPtr nt_ptr, NtVec nt_vec) {
  using W = real<T>;
  context() = std::string(name) + " " + type_name<T>();
  const std::size_t B = 3, D = 4, N = B * D;
  // Values in (0, 1) suit every dense loss (probabilities, rates, labels, distances).
  const std::vector<T> t = values<T>(N, 0.05, 0.95, 1), p = values<T>(N, 0.05, 0.95, 2);
  const std::vector<W> w = values<W>(B, 0.5, 2, 3);
  const loss::options opts[] = {loss::options(), loss::options().reduction(loss::reduction::none),
                                loss::options().reduction(loss::reduction::mean)};
  for (const loss::options& o : opts) {
    const std::size_t nl = o.reduction() == loss::reduction::none ? B : 1;
    for (bool weighted : {false, true}) {
      const W* wp = weighted ? w.data() : nullptr;
      const std::vector<W>* wv = weighted ? &w : nullptr;
      std::vector<W> cl(nl, W(sentinel));
      std::vector<T> cg(N, T(sentinel));
      CHECK(c(t.data(), p.data(), B, D, wp, &o.raw(), cl.data(), cg.data()) == LOSS_OK);

      std::vector<W> l(nl, W(sentinel));
      std::vector<T> g(N, T(sentinel));
      ptr(t.data(), p.data(), B, D, wp, o, l.data(), g.data());
      CHECK(same(l, cl) && same(g, cg));
      std::vector<W> l2(nl, W(sentinel));
      ptr(t.data(), p.data(), B, D, wp, o, l2.data(), nullptr);
      CHECK(same(l2, cl));

      std::vector<W> l3(nl, W(sentinel));
      std::vector<T> g3(N, T(sentinel));
      loss::result r = nt_ptr(t.data(), p.data(), B, D, wp, o, l3.data(), g3.data());
      CHECK(r.ok() && r && r.status == LOSS_OK && r.message.empty() && same(l3, cl) && same(g3, cg));

      const loss::output<T> out = vec(t, p, B, o, true, wv);
      CHECK(same(out.loss, cl) && same(out.grad, cg) && same_bits(out.value(), cl[0]));
      const loss::output<T> out2 = vec(t, p, B, o, false, wv);
      CHECK(same(out2.loss, cl) && out2.grad.empty());
      loss::output<T> out3;
      r = nt_vec(out3, t, p, B, o, true, wv);
      CHECK(r.ok() && same(out3.loss, cl) && same(out3.grad, cg));
    }
  }
  // Vector form defaults: default options, gradient, no weights = C with NULL options.
  std::vector<W> cl(1);
  std::vector<T> cg(N);
  CHECK(c(t.data(), p.data(), B, D, nullptr, nullptr, cl.data(), cg.data()) == LOSS_OK);
  const loss::output<T> def = vec(t, p, B, loss::options(), true, nullptr);
  CHECK(same(def.loss, cl) && same(def.grad, cg));

  // Errors: NULL y_pred, a zero batch and a bad option (label smoothing outside
  // [0, 1], checked for every loss) come from libloss, with its status and message;
  // nothing written.
  std::vector<W> l(1, W(sentinel));
  std::vector<T> g(N, T(sentinel));
  const std::vector<W> l0 = l;
  const std::vector<T> g0 = g;
  CHECK(c(t.data(), nullptr, B, D, nullptr, nullptr, l.data(), g.data()) == LOSS_ERROR_NULL_POINTER);
  const std::string null_msg = c_message();
  CHECK(null_msg.find(std::string("loss_") + name) == 0);
  expect_error(
      [&] {
        ptr(t.data(), static_cast<const T*>(nullptr), B, D, nullptr, loss::options(), l.data(), g.data());
      },
      LOSS_ERROR_NULL_POINTER, null_msg);
  CHECK(same(l, l0) && same(g, g0));
  const std::size_t zero = 0;
  CHECK(c(t.data(), p.data(), zero, D, nullptr, nullptr, l.data(), g.data()) == LOSS_ERROR_SHAPE);
  const std::string zero_msg = c_message();
  expect_error([&] { ptr(t.data(), p.data(), zero, D, nullptr, loss::options(), l.data(), g.data()); },
               LOSS_ERROR_SHAPE, zero_msg);
  loss::result r = nt_ptr(t.data(), p.data(), B, zero, nullptr, loss::options(), l.data(), g.data());
  CHECK(!r && r.status == LOSS_ERROR_SHAPE && r.message.find(std::string("loss_") + name) == 0);
  CHECK(same(l, l0) && same(g, g0));
  loss_options bad = loss_options_default();
  bad.label_smoothing = 2;
  CHECK(c(t.data(), p.data(), B, D, nullptr, &bad, l.data(), g.data()) == LOSS_ERROR_INVALID_ARGUMENT);
  const std::string bad_msg = c_message();
  expect_error([&] { ptr(t.data(), p.data(), B, D, nullptr, bad, l.data(), g.data()); },
               LOSS_ERROR_INVALID_ARGUMENT, bad_msg);
  CHECK(same(l, l0) && same(g, g0));
  r = nt_ptr(t.data(), p.data(), B, D, nullptr, bad, l.data(), g.data());
  CHECK(!r && r.status == LOSS_ERROR_INVALID_ARGUMENT && r.message == bad_msg && same(l, l0) && same(g, g0));
  loss::output<T> kept;
  kept.loss = l0;
  kept.grad = g0;
  r = nt_vec(kept, t, p, B, bad, true, nullptr);
  CHECK(!r && r.message == bad_msg && same(kept.loss, l0) && same(kept.grad, g0));
  expect_error([&] { vec(t, p, B, bad, true, nullptr); }, LOSS_ERROR_INVALID_ARGUMENT, bad_msg);

  // Errors found by the vector form: sizes that do not fit.
  const std::string prefix = std::string("loss::") + name + ": shape: ";
  expect_error([&] { vec(t, p, 5, loss::options(), true, nullptr); }, LOSS_ERROR_SHAPE, prefix, true);
  expect_error([&] { vec(t, p, 0, loss::options(), true, nullptr); }, LOSS_ERROR_SHAPE, prefix, true);
  const std::vector<T> short_t(t.begin(), t.end() - 1);
  expect_error([&] { vec(short_t, p, B, loss::options(), true, nullptr); }, LOSS_ERROR_SHAPE, prefix, true);
  const std::vector<W> short_w(w.begin(), w.end() - 1);
  expect_error([&] { vec(t, p, B, loss::options(), true, &short_w); }, LOSS_ERROR_SHAPE, prefix, true);
  r = nt_vec(kept, t, p, 5, loss::options(), true, nullptr);
  CHECK(r.status == LOSS_ERROR_SHAPE && r.message.rfind(prefix, 0) == 0 && same(kept.loss, l0) &&
        same(kept.grad, g0));
}

// Every loss of LOSS_DENSE_LOSSES in type T, against its `_f32`, `_f64`, `_bf16` or
// `_f16` C function.
template <class T>
void test_dense() {
#define DENSE_CASE(name, kind)                                                                        \
  check_dense<T>(                                                                                   \
      #name, c_twin<T>(loss_##name##_f32, loss_##name##_f64, loss_##name##_bf16, loss_##name##_f16), \
      [](auto&&... a) { return loss::name(a...); }, [](auto&&... a) { return loss::name(a...); },   \
      [](auto&&... a) { return loss::nothrow::name(a...); },                                        \
      [](auto&&... a) { return loss::nothrow::name(a...); });
  LOSS_DENSE_LOSSES(DENSE_CASE)
#undef DENSE_CASE
}

// Every label loss of LOSS_HPP_LABEL_LOSSES in type T: pointer, vector, nothrow and
// throwing forms give the C function's values; a bad label or a zero size throws the
// C function's status and message.
template <class T>
void test_label_losses() {
  using W = real<T>;
  const std::size_t B = 3, K = 4;
  const std::vector<std::int32_t> labels = {3, 0, 1};
  const std::vector<T> probs = values<T>(B * K, 0.05, 0.9, 11);
  const std::vector<W> w = values<W>(B, 0.5, 2, 12), cw = {1, 2, 0.5, 3};
  const loss::options o = loss::options().reduction(loss::reduction::mean).q(0.7);
#define LOSS_TEST_LABEL(name, f32, f64, bf16, f16)                                                         \
  {                                                                                                        \
    context() = std::string(#name " ") + type_name<T>();                                                   \
    auto c = c_twin<T>(f32, f64, bf16, f16);                                                               \
    std::vector<W> cl(1), l(1, W(sentinel));                                                               \
    std::vector<T> cg(B * K), g(B * K, T(sentinel));                                                       \
    CHECK(c(labels.data(), probs.data(), B, K, w.data(), cw.data(), &o.raw(), cl.data(), cg.data()) ==     \
          LOSS_OK);                                                                                        \
    loss::name(labels.data(), probs.data(), B, K, w.data(), cw.data(), o, l.data(), g.data());             \
    CHECK(same(l, cl) && same(g, cg));                                                                     \
    std::vector<W> l2(1, W(sentinel));                                                                     \
    std::vector<T> g2(B * K, T(sentinel));                                                                 \
    CHECK(loss::nothrow::name(labels.data(), probs.data(), B, K, w.data(), cw.data(), o, l2.data(),        \
                              g2.data())                                                                   \
              .ok());                                                                                      \
    CHECK(same(l2, cl) && same(g2, cg));                                                                   \
    const loss::output<T> out = loss::name(labels, probs, o, true, &w, &cw);                               \
    CHECK(same(out.loss, cl) && same(out.grad, cg) && same_bits(out.value(), cl[0]));                      \
    loss::output<T> out2;                                                                                  \
    CHECK(loss::nothrow::name(out2, labels, probs, o, true, &w, &cw).ok() && same(out2.loss, cl) &&        \
          same(out2.grad, cg));                                                                            \
    const std::vector<std::int32_t> bad = {3, 4, 1};                                                       \
    CHECK(c(bad.data(), probs.data(), B, K, nullptr, nullptr, &o.raw(), l.data(), g.data()) ==             \
          LOSS_ERROR_LABEL_OUT_OF_RANGE);                                                                  \
    const std::string bad_msg = c_message();                                                               \
    CHECK(bad_msg.rfind("loss_" #name, 0) == 0);                                                           \
    expect_error([&] { loss::name(bad, probs, o); }, LOSS_ERROR_LABEL_OUT_OF_RANGE, bad_msg);              \
    expect_error(                                                                                          \
        [&] { loss::name(bad.data(), probs.data(), B, K, nullptr, nullptr, o, l.data(), g.data()); },      \
        LOSS_ERROR_LABEL_OUT_OF_RANGE, bad_msg);                                                           \
    CHECK(same(l, cl) && same(g, cg));                                                                     \
    const std::size_t zero = 0;                                                                            \
    CHECK(c(labels.data(), probs.data(), zero, K, nullptr, nullptr, &o.raw(), l.data(), g.data()) ==       \
          LOSS_ERROR_SHAPE);                                                                               \
    const std::string zero_msg = c_message();                                                              \
    expect_error(                                                                                          \
        [&] { loss::name(labels.data(), probs.data(), zero, K, nullptr, nullptr, o, l.data(), g.data()); }, \
        LOSS_ERROR_SHAPE, zero_msg);                                                                       \
    CHECK(same(l, cl) && same(g, cg));                                                                     \
    expect_error([&] { loss::name(labels, std::vector<T>(), o); }, LOSS_ERROR_SHAPE,                       \
                 "loss::" #name ": shape: ", true);                                                        \
  }
  LOSS_HPP_LABEL_LOSSES(LOSS_TEST_LABEL)
#undef LOSS_TEST_LABEL
}

// The half-precision storage types: layout, conversions (the bits of the C
// conversion functions), and which functions take them.
static_assert(sizeof(loss::bf16) == 2 && sizeof(loss::f16) == 2, "2 bytes");
static_assert(alignof(loss::bf16) == alignof(std::uint16_t) && alignof(loss::f16) == alignof(std::uint16_t),
              "aligned as uint16_t");
static_assert(std::is_trivially_copyable<loss::bf16>::value && std::is_trivially_copyable<loss::f16>::value,
              "trivially copyable");
static_assert(std::is_standard_layout<loss::bf16>::value && std::is_standard_layout<loss::f16>::value,
              "standard layout");
static_assert(std::is_trivial<loss::bf16>::value && std::is_trivial<loss::f16>::value, "trivial");
static_assert(!std::is_same<loss::bf16, loss::f16>::value &&
                  !std::is_convertible<loss::bf16, loss::f16>::value &&
                  !std::is_convertible<loss::f16, loss::bf16>::value,
              "two distinct types");
static_assert(std::is_nothrow_constructible<loss::bf16, float>::value &&
                  std::is_nothrow_constructible<loss::f16, float>::value,
              "constructible from float");
static_assert(!std::is_convertible<float, loss::bf16>::value && !std::is_convertible<float, loss::f16>::value,
              "rounding is explicit");
static_assert(std::is_convertible<loss::bf16, float>::value && std::is_convertible<loss::f16, float>::value,
              "widening is implicit");
static_assert(loss::bf16::from_bits(0x3F80).bits() == 0x3F80 && loss::f16::from_bits(0x7C00).bits() == 0x7C00,
              "from_bits and bits() are constexpr");
static_assert(std::is_same<loss::real_t<loss::bf16>, float>::value &&
                  std::is_same<loss::real_t<loss::f16>, float>::value &&
                  std::is_same<loss::real_t<float>, float>::value &&
                  std::is_same<loss::real_t<double>, double>::value,
              "weights and loss: float for the half types");
static_assert(std::is_same<decltype(loss::output<loss::f16>::loss), std::vector<float>>::value &&
                  std::is_same<decltype(loss::output<loss::f16>::grad), std::vector<loss::f16>>::value &&
                  std::is_same<decltype(std::declval<loss::output<loss::bf16>>().value()), float>::value,
              "output<half>: float loss, half gradient");

// `compiles<Op, A...>`: whether `Op<A...>` (a decltype of a call) is well-formed.
template <class, template <class...> class Op, class... A>
struct detect : std::false_type {};
template <template <class...> class Op, class... A>
struct detect<std::void_t<Op<A...>>, Op, A...> : std::true_type {};
template <template <class...> class Op, class... A>
constexpr bool compiles = detect<void, Op, A...>::value;

template <class T>
using ptr = T*;
template <class T>
using cptr = const T*;
template <class T>
const std::vector<T>& cvec();
template <class T>
std::vector<T>& mvec();
using i32p = const std::int32_t*;
using sz = std::size_t;

// Dense and label losses: data T, weights W, loss L, gradient G.
template <class T, class W, class L, class G>
using dense_ptr_call = decltype(loss::huber(cptr<T>(), cptr<T>(), sz(), sz(), cptr<W>(), loss::options(),
                                            ptr<L>(), ptr<G>()));
template <class T, class W, class L, class G>
using dense_ptr_nothrow_call = decltype(loss::nothrow::tversky(cptr<T>(), cptr<T>(), sz(), sz(), cptr<W>(),
                                                               loss::options(), ptr<L>(), ptr<G>()));
template <class T, class W>
using dense_vec_call =
    decltype(loss::mean_squared_error(cvec<T>(), cvec<T>(), sz(), loss::options(), true, &cvec<W>()));
template <class T, class W, class L, class G>
using label_ptr_call =
    decltype(loss::sparse_categorical_crossentropy(i32p(), cptr<T>(), sz(), sz(), cptr<W>(), cptr<W>(),
                                                   loss::options(), ptr<L>(), ptr<G>()));
template <class T, class W>
using label_vec_call = decltype(loss::categorical_generalized_cross_entropy(
    cvec<std::int32_t>(), cvec<T>(), loss::options(), true, &cvec<W>(), &cvec<W>()));

template <class T, class R = loss::real_t<T>>
constexpr bool dense_and_labels_take() {
  return compiles<dense_ptr_call, T, R, R, T> && compiles<dense_ptr_nothrow_call, T, R, R, T> &&
         compiles<dense_vec_call, T, R> && compiles<label_ptr_call, T, R, R, T> &&
         compiles<label_vec_call, T, R>;
}
static_assert(dense_and_labels_take<float>() && dense_and_labels_take<double>() &&
                  dense_and_labels_take<loss::bf16>() && dense_and_labels_take<loss::f16>(),
              "the losses with half twins take every element type");
static_assert(std::is_same<dense_vec_call<loss::bf16, float>, loss::output<loss::bf16>>::value,
              "the throwing vector form returns output<bf16>");
// Half data takes float weights and loss, and one half type throughout.
static_assert(!compiles<dense_ptr_call, loss::bf16, loss::bf16, float, loss::bf16> &&
                  !compiles<dense_ptr_call, loss::bf16, float, loss::bf16, loss::bf16> &&
                  !compiles<dense_ptr_call, loss::f16, double, double, loss::f16> &&
                  !compiles<dense_ptr_call, loss::bf16, float, float, loss::f16> &&
                  !compiles<dense_ptr_call, float, float, float, loss::bf16> &&
                  !compiles<dense_ptr_call, loss::f16, float, float, float> &&
                  !compiles<dense_vec_call, loss::bf16, loss::bf16> &&
                  !compiles<label_ptr_call, loss::f16, loss::f16, float, loss::f16> &&
                  !compiles<label_vec_call, loss::f16, loss::f16>,
              "no mixed types");

// The functions whose half twins came with CTC, sequence CE, the losses of several
// inputs, clipping and weighted sums: the same call compiles for every element type,
// with `real_t<T>` weights, losses and norms.
template <class T, class R = loss::real_t<T>>
using ctc_ptr_call = decltype(loss::ctc(cptr<T>(), i32p(), i32p(), i32p(), sz(), sz(), sz(), loss::options(),
                                        ptr<R>(), ptr<T>()));
template <class T>
using ctc_vec_call = decltype(loss::ctc(cvec<T>(), cvec<std::int32_t>(), cvec<std::int32_t>(),
                                        cvec<std::int32_t>(), sz()));
template <class T, class R = loss::real_t<T>>
using ctc_ws_call = decltype(loss::nothrow::ctc_with_workspace(
    cptr<T>(), i32p(), i32p(), i32p(), sz(), sz(), sz(), loss::options(), ptr<R>(), ptr<T>(), ptr<void>(),
    sz()));
template <class T, class R = loss::real_t<T>>
using sequence_ptr_call = decltype(loss::sequence_crossentropy(i32p(), cptr<T>(), i32p(), sz(), sz(), sz(),
                                                               cptr<R>(), loss::options(), ptr<R>(), ptr<T>()));
template <class T>
using sequence_vec_call = decltype(loss::sequence_crossentropy(cvec<std::int32_t>(), cvec<T>(), sz()));
template <class T, class R = loss::real_t<T>>
using margin_ranking_call = decltype(loss::margin_ranking(cptr<T>(), cptr<T>(), cptr<T>(), sz(), cptr<R>(),
                                                          loss::options(), ptr<R>(), ptr<T>(), ptr<T>()));
template <class T, class R = loss::real_t<T>>
using cosine_embedding_call =
    decltype(loss::nothrow::cosine_embedding(cptr<T>(), cptr<T>(), cptr<T>(), sz(), sz(), cptr<R>(),
                                             loss::options(), ptr<R>(), ptr<T>(), ptr<T>()));
template <class T, class R = loss::real_t<T>>
using triplet_margin_call =
    decltype(loss::triplet_margin(cptr<T>(), cptr<T>(), cptr<T>(), sz(), sz(), cptr<R>(), loss::options(),
                                  ptr<R>(), ptr<T>(), ptr<T>(), ptr<T>()));
template <class T, class R = loss::real_t<T>>
using gaussian_nll_call =
    decltype(loss::gaussian_nll(cptr<T>(), cptr<T>(), cptr<T>(), sz(), sz(), sz(), cptr<R>(), loss::options(),
                                ptr<R>(), ptr<T>(), ptr<T>()));
template <class T, class R = loss::real_t<T>>
using ntxent_call =
    decltype(loss::ntxent(cptr<T>(), i32p(), sz(), sz(), cptr<R>(), loss::options(), ptr<R>(), ptr<T>()));
template <class T, class R = loss::real_t<T>>
using circle_call =
    decltype(loss::circle(i32p(), cptr<T>(), sz(), sz(), cptr<R>(), loss::options(), ptr<R>(), ptr<T>()));
template <class T>
using clip_value_call = decltype(loss::clip_by_value(mvec<T>(), 0.0f, 1.0f));
template <class T>
using clip_value_ptr_call = decltype(loss::nothrow::clip_by_value(ptr<T>(), sz(), 0.0f, 1.0f));
template <class T>
using clip_norm_call = decltype(loss::clip_by_norm(mvec<T>(), 1.0f));
template <class T, class R = loss::real_t<T>>
using clip_norm_ptr_call = decltype(loss::clip_by_norm(ptr<T>(), sz(), 1.0f, ptr<R>()));
template <class T, class R = loss::real_t<T>>
using clip_global_call = decltype(loss::clip_by_global_norm(ptr<T* const>(), cptr<sz>(), sz(), 1.0f, ptr<R>()));
template <class T>
using clip_global_vec_call = decltype(loss::clip_by_global_norm(cvec<std::vector<T>*>(), 1.0f));
template <class T>
using clip_global_list_call = decltype(loss::clip_by_global_norm({ptr<std::vector<T>>()}, 1.0f));
template <class T>
using class_weights_call = decltype(loss::class_weights_to_sample_weights(cvec<std::int32_t>(), cvec<T>()));
template <class T>
using make_term_call = decltype(loss::make_term(LOSS_KIND_HUBER, cptr<T>(), cptr<T>(), sz(), sz()));
template <class T>
using sparse_term_call = decltype(loss::sparse_term(i32p(), cptr<T>(), sz(), sz()));
// A custom loss on R data that does nothing.
template <class R>
struct no_op_loss {
  void operator()(const R*, const R*, sz, sz, R*, R*) const {}
};
template <class T>
using custom_term_call =
    decltype(loss::custom_term(no_op_loss<loss::real_t<T>>(), cptr<T>(), cptr<T>(), sz(), sz()));
template <class T>
using weighted_sum_vec_call = decltype(loss::weighted_sum(cvec<loss::term<T>>()));
template <class T, class R = loss::real_t<T>>
using weighted_sum_ptr_call = decltype(loss::nothrow::weighted_sum(cptr<loss::term<T>>(), sz(), ptr<R>(), ptr<R>()));

template <template <class...> class Op>
constexpr bool every_type = compiles<Op, float> && compiles<Op, double> && compiles<Op, loss::bf16> &&
                            compiles<Op, loss::f16>;
static_assert(every_type<ctc_ptr_call> && every_type<ctc_vec_call> && every_type<ctc_ws_call> &&
                  every_type<sequence_ptr_call> && every_type<sequence_vec_call> &&
                  every_type<margin_ranking_call> && every_type<cosine_embedding_call> &&
                  every_type<triplet_margin_call> && every_type<gaussian_nll_call> && every_type<ntxent_call> &&
                  every_type<circle_call> &&
                  every_type<clip_value_call> && every_type<clip_value_ptr_call> && every_type<clip_norm_call> &&
                  every_type<clip_norm_ptr_call> && every_type<clip_global_call> &&
                  every_type<clip_global_vec_call> && every_type<clip_global_list_call> &&
                  every_type<make_term_call> && every_type<sparse_term_call> && every_type<custom_term_call> &&
                  every_type<weighted_sum_vec_call> && every_type<weighted_sum_ptr_call>,
              "the functions with half twins take every element type");
// What the throwing vector forms return for half data: output<T>, and float norms and totals.
static_assert(std::is_same<ctc_vec_call<loss::bf16>, loss::output<loss::bf16>>::value &&
                  std::is_same<sequence_vec_call<loss::f16>, loss::output<loss::f16>>::value &&
                  std::is_same<clip_norm_call<loss::bf16>, float>::value &&
                  std::is_same<clip_global_vec_call<loss::f16>, float>::value &&
                  std::is_same<clip_global_list_call<loss::bf16>, float>::value &&
                  std::is_same<weighted_sum_vec_call<loss::f16>, float>::value &&
                  std::is_same<clip_norm_call<double>, double>::value &&
                  std::is_same<weighted_sum_vec_call<double>, double>::value &&
                  std::is_same<loss::term<loss::bf16>::raw_type, loss_term_bf16>::value &&
                  std::is_same<loss::term<loss::f16>::raw_type, loss_term_f16>::value &&
                  std::is_same<loss::term<loss::f16>::real_type, float>::value,
              "half data: output<T>, float norms and totals");
// Half data takes float weights, losses and norms, and one half type throughout.
static_assert(!compiles<ctc_ptr_call, loss::bf16, loss::bf16> && !compiles<ctc_ptr_call, loss::f16, double> &&
                  !compiles<ctc_ws_call, loss::f16, loss::f16> &&
                  !compiles<sequence_ptr_call, loss::bf16, loss::bf16> &&
                  !compiles<margin_ranking_call, loss::f16, loss::f16> &&
                  !compiles<cosine_embedding_call, loss::bf16, double> &&
                  !compiles<triplet_margin_call, loss::f16, loss::bf16> &&
                  !compiles<gaussian_nll_call, loss::bf16, double> &&
                  !compiles<ntxent_call, loss::bf16, loss::bf16> && !compiles<circle_call, loss::f16, double> &&
                  !compiles<clip_norm_ptr_call, loss::bf16, loss::bf16> &&
                  !compiles<clip_global_call, loss::f16, loss::f16> &&
                  !compiles<weighted_sum_ptr_call, loss::bf16, loss::bf16> &&
                  !compiles<weighted_sum_ptr_call, loss::f16, double>,
              "no mixed types");
// class_weights_to_sample_weights has no half twin.
static_assert(compiles<class_weights_call, float> && compiles<class_weights_call, double> &&
                  !compiles<class_weights_call, loss::bf16> && !compiles<class_weights_call, loss::f16>,
              "class_weights_to_sample_weights rejects the half types");
// linear_cross_entropy takes every element type (half data with float weights and
// loss); its workspace variant float and double only; one type throughout.
template <class T, class R = loss::real_t<T>>
using linear_call = decltype(loss::linear_cross_entropy(cptr<T>(), cptr<T>(), cptr<T>(), i32p(), sz(), sz(),
                                                        sz(), cptr<R>(), loss::options(), ptr<R>(), ptr<T>(),
                                                        ptr<T>(), ptr<T>()));
template <class T, class R = loss::real_t<T>>
using linear_nothrow_call = decltype(loss::nothrow::linear_cross_entropy(
    cptr<T>(), cptr<T>(), cptr<T>(), i32p(), sz(), sz(), sz(), cptr<R>(), loss::options(), ptr<R>(), ptr<T>(),
    ptr<T>(), ptr<T>()));
template <class T, class R = T>
using linear_ws_call = decltype(loss::linear_cross_entropy_with_workspace(
    cptr<T>(), cptr<T>(), cptr<T>(), i32p(), sz(), sz(), sz(), cptr<R>(), loss::options(), ptr<R>(), ptr<T>(),
    ptr<T>(), ptr<T>(), ptr<void>(), sz()));
static_assert(every_type<linear_call> && every_type<linear_nothrow_call> && compiles<linear_ws_call, float> &&
                  compiles<linear_ws_call, double>,
              "linear_cross_entropy takes every element type, its workspace variant float and double");
static_assert(!compiles<linear_ws_call, loss::bf16, float> && !compiles<linear_ws_call, loss::f16, float> &&
                  !compiles<linear_ws_call, loss::bf16, loss::bf16> && !compiles<linear_ws_call, loss::f16, loss::f16>,
              "linear_cross_entropy_with_workspace rejects the half types (no half twin)");
static_assert(!compiles<linear_call, loss::bf16, loss::bf16> && !compiles<linear_call, loss::f16, double> &&
                  !compiles<linear_nothrow_call, loss::f16, loss::f16> && !compiles<linear_call, float, double> &&
                  !compiles<linear_ws_call, double, float>,
              "half data takes float weights and loss; one type throughout");
static_assert(std::is_same<linear_call<loss::bf16>, void>::value &&
                  std::is_same<linear_nothrow_call<loss::f16>, loss::result>::value,
              "the half forms return as the others");
// The vocabulary-sharded phases: float or double, one type throughout; the workspace
// arguments may be left out.
template <class T, class R = T>
using shard_stats_call = decltype(loss::linear_cross_entropy_shard_stats(
    cptr<T>(), cptr<T>(), cptr<T>(), i32p(), sz(), sz(), sz(), sz(), sz(), loss::options(), ptr<R>()));
template <class T, class R = T>
using shard_stats_ws_call = decltype(loss::nothrow::linear_cross_entropy_shard_stats(
    cptr<T>(), cptr<T>(), cptr<T>(), i32p(), sz(), sz(), sz(), sz(), sz(), loss::options(), ptr<R>(),
    ptr<void>(), sz()));
template <class T, class R = T>
using shard_combine_call = decltype(loss::linear_cross_entropy_shard_combine(cptr<T>(), ptr<R>(), sz()));
template <class T, class R = T>
using shard_finish_call = decltype(loss::linear_cross_entropy_shard_finish(
    cptr<T>(), cptr<T>(), cptr<T>(), i32p(), sz(), sz(), sz(), sz(), sz(), cptr<R>(), loss::options(), cptr<T>(),
    ptr<R>(), ptr<T>(), ptr<T>(), ptr<T>()));
template <class T, class R = T>
using shard_finish_ws_call = decltype(loss::nothrow::linear_cross_entropy_shard_finish(
    cptr<T>(), cptr<T>(), cptr<T>(), i32p(), sz(), sz(), sz(), sz(), sz(), cptr<R>(), loss::options(), cptr<T>(),
    ptr<R>(), ptr<T>(), ptr<T>(), ptr<T>(), ptr<void>(), sz()));
static_assert(compiles<shard_stats_call, float> && compiles<shard_stats_call, double> &&
                  compiles<shard_stats_ws_call, float> && compiles<shard_combine_call, double> &&
                  compiles<shard_finish_call, float> && compiles<shard_finish_ws_call, double> &&
                  !compiles<shard_stats_call, loss::bf16, loss::bf16> &&
                  !compiles<shard_stats_call, loss::f16, float> &&
                  !compiles<shard_combine_call, loss::f16, loss::f16> &&
                  !compiles<shard_combine_call, loss::bf16, float> &&
                  !compiles<shard_finish_call, loss::bf16, float> &&
                  !compiles<shard_finish_ws_call, loss::f16, float> && !compiles<shard_stats_call, float, double> &&
                  !compiles<shard_combine_call, double, float> && !compiles<shard_finish_ws_call, float, double>,
              "the sharded phases take float or double (no half twins), one type throughout");
static_assert(std::is_same<shard_stats_call<float>, void>::value &&
                  std::is_same<shard_combine_call<double>, void>::value &&
                  std::is_same<shard_finish_call<float>, void>::value &&
                  std::is_same<shard_stats_ws_call<double>, loss::result>::value &&
                  std::is_same<shard_finish_ws_call<float>, loss::result>::value,
              "the throwing sharded phases return void, the nothrow ones a result");
static_assert(std::is_same<linear_call<float>, void>::value &&
                  std::is_same<linear_nothrow_call<double>, loss::result>::value &&
                  std::is_same<decltype(loss::linear_cross_entropy_workspace_size(sz(), sz(), sz())),
                               std::size_t>::value,
              "the throwing pointer form returns void; the size is returned");

// The bits of `x`.
std::uint32_t float_bits(float x) {
  std::uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
}
float from_float_bits(std::uint32_t u) {
  float x;
  std::memcpy(&x, &u, sizeof x);
  return x;
}

void test_half_types() {
  context() = "half types";
  // The examples of the issue and of the documentation.
  CHECK(float(loss::bf16(1.0f)) == 1.0f && loss::bf16(1.0f).bits() == 0x3F80);
  const loss::f16 max(65504.f), inf(65520.f), below(65519.f);
  CHECK(std::isfinite(float(max)) && float(max) == 65504.f && max.bits() == 0x7BFF);
  CHECK(std::isinf(float(inf)) && float(inf) > 0 && inf.bits() == 0x7C00);
  CHECK(loss::f16(-65520.f).bits() == 0xFC00 && below.bits() == 0x7BFF);
  // bfloat16 has float's range.
  CHECK(std::isfinite(float(loss::bf16(3.0e38f))) && loss::bf16(std::ldexp(1.0f, 127)).bits() == 0x7F00);
  // Ties to even: 1 + 2^-8 lies halfway between 1 and the next bfloat16.
  CHECK(loss::bf16(1.0f + std::ldexp(1.0f, -8)).bits() == 0x3F80);
  CHECK(loss::bf16(1.0f + 3 * std::ldexp(1.0f, -8)).bits() == 0x3F82);
  CHECK(loss::f16(1.0f + std::ldexp(1.0f, -11)).bits() == 0x3C00);
  CHECK(loss::f16(1.0f + 3 * std::ldexp(1.0f, -11)).bits() == 0x3C02);
  // Subnormals are kept; NaN stays NaN.
  CHECK(loss::f16(std::ldexp(1.0f, -24)).bits() == 0x0001 &&
        float(loss::f16::from_bits(0x0001)) == std::ldexp(1.0f, -24));
  CHECK(float(loss::bf16::from_bits(0x0001)) == std::ldexp(1.0f, -133));
  CHECK(std::isnan(float(loss::bf16(std::nanf("")))) && std::isnan(float(loss::f16(std::nanf("")))));
  // Implicit, exact widening; value-initialization is +0.
  const loss::bf16 h(0.75f);
  const float as_float = h;
  const double as_double = h;
  CHECK(as_float == 0.75f && as_double == 0.75 && h + 1.0f == 1.75f && h < 1.0f);
  CHECK(loss::bf16{}.bits() == 0 && loss::f16{}.bits() == 0);
  const std::vector<loss::f16> zeros(3);
  CHECK(zeros[0].bits() == 0 && zeros[2].bits() == 0);
  // Converting ranges: the vector's range constructor rounds each element.
  const std::vector<float> f = {0.1f, -2.5f, 1e-3f};
  const std::vector<loss::bf16> hb(f.begin(), f.end());
  const std::vector<float> back(hb.begin(), hb.end());
  CHECK(hb.size() == 3 && hb[0].bits() == loss_f32_to_bf16(0.1f) && back[1] == -2.5f);

  // Every half value: widening gives the C function's bits, and rounding it back
  // gives the same half (NaN: a NaN).
  int widen_bf16 = 0, widen_f16 = 0, back_bf16 = 0, back_f16 = 0;
  for (std::uint32_t b = 0; b <= 0xFFFF; ++b) {
    const std::uint16_t bits = static_cast<std::uint16_t>(b);
    const float xb = loss::bf16::from_bits(bits), xf = loss::f16::from_bits(bits);
    widen_bf16 += float_bits(xb) != float_bits(loss_bf16_to_f32(bits));
    widen_f16 += float_bits(xf) != float_bits(loss_f16_to_f32(bits));
    back_bf16 += std::isnan(xb) ? !std::isnan(float(loss::bf16(xb))) : loss::bf16(xb).bits() != bits;
    back_f16 += std::isnan(xf) ? !std::isnan(float(loss::f16(xf))) : loss::f16(xf).bits() != bits;
  }
  CHECK(widen_bf16 == 0 && widen_f16 == 0 && back_bf16 == 0 && back_f16 == 0);
  // Rounding: the C function's bits, on random float bit patterns.
  int round_bf16 = 0, round_f16 = 0;
  std::uint32_t s = 12345;
  for (int i = 0; i < 200000; ++i) {
    s = s * 1664525u + 1013904223u;
    const float x = from_float_bits(s);
    round_bf16 += loss::bf16(x).bits() != loss_f32_to_bf16(x);
    round_f16 += loss::f16(x).bits() != loss_f32_to_f16(x);
  }
  CHECK(round_bf16 == 0 && round_f16 == 0);
}

// The losses of several inputs in type T (weights and loss of type real<T>): pointer
// forms, nothrow and throwing, equal the C functions; a bad y or option throws (or
// returns) the C function's status and message, nothing written.
template <class T>
void test_pairs() {
  using W = real<T>;
  context() = std::string("pairs ") + type_name<T>();
  const std::size_t B = 3, D = 4;
  const std::vector<T> a = values<T>(B * D, -1, 1, 13), p = values<T>(B * D, -1, 1, 14),
                       n = values<T>(B * D, -1, 1, 15), y = {T(1), T(-1), T(1)};
  const std::vector<W> w = values<W>(B, 0.5, 2, 16);
  const loss::options o = loss::options().reduction(loss::reduction::mean).cosine_margin(0.1).swap(true);
  std::vector<W> cl(1), l(1, W(sentinel));
  std::vector<T> c1(B * D), c2(B * D), c3(B * D), g1(B * D, T(sentinel)), g2(B * D, T(sentinel)),
      g3(B * D, T(sentinel));
  auto f = c_twin<T>(loss_cosine_embedding_f32, loss_cosine_embedding_f64, loss_cosine_embedding_bf16,
                     loss_cosine_embedding_f16);
  CHECK(f(a.data(), p.data(), y.data(), B, D, w.data(), &o.raw(), cl.data(), c1.data(), c2.data()) == LOSS_OK);
  loss::cosine_embedding(a.data(), p.data(), y.data(), B, D, w.data(), o, l.data(), g1.data(), g2.data());
  CHECK(same(l, cl) && same(g1, c1) && same(g2, c2));
  auto t = c_twin<T>(loss_triplet_margin_f32, loss_triplet_margin_f64, loss_triplet_margin_bf16,
                     loss_triplet_margin_f16);
  CHECK(t(a.data(), p.data(), n.data(), B, D, nullptr, &o.raw(), cl.data(), c1.data(), c2.data(), c3.data()) ==
        LOSS_OK);
  CHECK(loss::nothrow::triplet_margin(a.data(), p.data(), n.data(), B, D, nullptr, o, l.data(), g1.data(),
                                      g2.data(), g3.data())
            .ok());
  CHECK(same(l, cl) && same(g1, c1) && same(g2, c2) && same(g3, c3));
  auto r = c_twin<T>(loss_margin_ranking_f32, loss_margin_ranking_f64, loss_margin_ranking_bf16,
                     loss_margin_ranking_f16);
  const loss::options none = loss::options().reduction(loss::reduction::none).ranking_margin(0.25);
  std::vector<W> cln(B), ln(B, W(sentinel));
  CHECK(r(a.data(), p.data(), y.data(), B, nullptr, &none.raw(), cln.data(), c1.data(), nullptr) == LOSS_OK);
  loss::margin_ranking(a.data(), p.data(), y.data(), B, nullptr, none, ln.data(), g1.data(), nullptr);
  CHECK(same(ln, cln) && std::memcmp(c1.data(), g1.data(), B * sizeof(T)) == 0);
  const std::vector<std::int32_t> labels = {0, 1, 0};
  auto x = c_twin<T>(loss_ntxent_f32, loss_ntxent_f64, loss_ntxent_bf16, loss_ntxent_f16);
  CHECK(x(a.data(), labels.data(), B, D, w.data(), &o.raw(), cl.data(), c1.data()) == LOSS_OK);
  loss::ntxent(a.data(), labels.data(), B, D, w.data(), o, l.data(), g1.data());
  CHECK(same(l, cl) && same(g1, c1));
  auto ci = c_twin<T>(loss_circle_f32, loss_circle_f64, loss_circle_bf16, loss_circle_f16);
  CHECK(ci(labels.data(), a.data(), B, D, w.data(), &o.raw(), cl.data(), c1.data()) == LOSS_OK);
  CHECK(loss::nothrow::circle(labels.data(), a.data(), B, D, w.data(), o, l.data(), g1.data()).ok());
  CHECK(same(l, cl) && same(g1, c1));

  // Errors: libloss's status and message (named with T's suffix), outputs untouched.
  const std::vector<W> l0 = l;
  const std::vector<T> g10 = g1, g20 = g2;
  const std::vector<T> bad_y = {T(1), T(0), T(-1)};
  CHECK(r(a.data(), p.data(), bad_y.data(), B, nullptr, &o.raw(), l.data(), nullptr, nullptr) ==
        LOSS_ERROR_LABEL_OUT_OF_RANGE);
  std::string msg = c_message();
  CHECK(msg.rfind("loss_margin_ranking_" + suffix<T>() + ": ", 0) == 0);
  expect_error([&] { loss::margin_ranking(a.data(), p.data(), bad_y.data(), B, nullptr, o, l.data(), g1.data(),
                                          g2.data()); },
               LOSS_ERROR_LABEL_OUT_OF_RANGE, msg);
  CHECK(same(l, l0) && same(g1, g10) && same(g2, g20));
  expect_error([&] { loss::cosine_embedding(a.data(), p.data(), bad_y.data(), B, D, nullptr, o, l.data(),
                                            g1.data(), g2.data()); },
               LOSS_ERROR_LABEL_OUT_OF_RANGE, "loss_cosine_embedding_" + suffix<T>() + ": ", true);
  CHECK(same(l, l0) && same(g1, g10) && same(g2, g20));
  const loss::options bad_degree = loss::options().norm_degree(0);
  CHECK(t(a.data(), p.data(), n.data(), B, D, nullptr, &bad_degree.raw(), l.data(), nullptr, nullptr, nullptr) ==
        LOSS_ERROR_INVALID_ARGUMENT);
  msg = c_message();
  loss::result res = loss::nothrow::triplet_margin(a.data(), p.data(), n.data(), B, D, nullptr, bad_degree,
                                                   l.data(), g1.data(), g2.data(), nullptr);
  CHECK(!res && res.status == LOSS_ERROR_INVALID_ARGUMENT && res.message == msg);
  CHECK(same(l, l0) && same(g1, g10) && same(g2, g20));
  const std::vector<std::int32_t> bad_labels = {0, -1, 0};
  expect_error([&] { loss::ntxent(a.data(), bad_labels.data(), B, D, nullptr, o, l.data(), g1.data()); },
               LOSS_ERROR_LABEL_OUT_OF_RANGE, "loss_ntxent_" + suffix<T>() + ": ", true);
  res = loss::nothrow::circle(bad_labels.data(), a.data(), B, D, nullptr, o, l.data(), g1.data());
  CHECK(res.status == LOSS_ERROR_LABEL_OUT_OF_RANGE && res.message.rfind("loss_circle_" + suffix<T>(), 0) == 0);
  // A gradient over an input.
  std::vector<T> x1 = a;
  expect_error([&] { loss::margin_ranking(x1.data(), p.data(), y.data(), B, nullptr, o, l.data(), x1.data(),
                                          nullptr); },
               LOSS_ERROR_INVALID_ARGUMENT, "loss_margin_ranking_" + suffix<T>() + ": ", true);
  CHECK(same(l, l0) && same(g1, g10) && same(x1, a));

  // Gaussian NLL: per-sample variances (var_dim 1), the C function's bits.
  const std::vector<T> var = values<T>(B, 0.5, 2, 17);
  auto gn = c_twin<T>(loss_gaussian_nll_f32, loss_gaussian_nll_f64, loss_gaussian_nll_bf16,
                      loss_gaussian_nll_f16);
  std::vector<T> cv(B), gv(B, T(sentinel));
  CHECK(gn(a.data(), p.data(), var.data(), B, D, 1, w.data(), &o.raw(), cl.data(), c1.data(), cv.data()) ==
        LOSS_OK);
  loss::gaussian_nll(a.data(), p.data(), var.data(), B, D, 1, w.data(), o, l.data(), g1.data(), gv.data());
  CHECK(same(l, cl) && same(g1, c1) && same(gv, cv));
  // A negative variance: libloss's status and message, outputs untouched.
  const std::vector<W> l1 = l;
  const std::vector<T> g11 = g1, gv1 = gv;
  const std::vector<T> bad_var = {T(1), T(-1), T(1)};
  expect_error([&] { loss::gaussian_nll(a.data(), p.data(), bad_var.data(), B, D, 1, nullptr, o, l.data(),
                                        g1.data(), gv.data()); },
               LOSS_ERROR_INVALID_ARGUMENT, "loss_gaussian_nll_" + suffix<T>() + ": ", true);
  CHECK(same(l, l1) && same(g1, g11) && same(gv, gv1));
}

template <class T>
void test_sparse() {
  using W = real<T>;
  context() = std::string("sparse_categorical_crossentropy ") + type_name<T>();
  auto c = c_twin<T>(loss_sparse_categorical_crossentropy_f32, loss_sparse_categorical_crossentropy_f64,
                     loss_sparse_categorical_crossentropy_bf16, loss_sparse_categorical_crossentropy_f16);
  const std::size_t B = 4, K = 3;
  const std::vector<std::int32_t> labels = {2, 0, 1, 2};
  const std::vector<T> logits = values<T>(B * K, -2, 2, 7);
  const std::vector<W> w = values<W>(B, 0.5, 2, 8), cw = {1, 2, 0.5};
  for (auto o :
       {loss::options().from_logits(true), loss::options().from_logits(true).reduction(loss::reduction::none),
        loss::options().from_logits(true).reduction(loss::reduction::mean).label_smoothing(0.1)}) {
    const std::size_t nl = o.reduction() == loss::reduction::none ? B : 1;
    std::vector<W> cl(nl);
    std::vector<T> cg(B * K);
    CHECK(c(labels.data(), logits.data(), B, K, w.data(), cw.data(), &o.raw(), cl.data(), cg.data()) ==
          LOSS_OK);
    std::vector<W> l(nl, W(sentinel));
    std::vector<T> g(B * K, T(sentinel));
    loss::sparse_categorical_crossentropy(labels.data(), logits.data(), B, K, w.data(), cw.data(), o,
                                          l.data(), g.data());
    CHECK(same(l, cl) && same(g, cg));
    std::fill(l.begin(), l.end(), W(sentinel));
    std::fill(g.begin(), g.end(), T(sentinel));
    CHECK(loss::nothrow::sparse_categorical_crossentropy(labels.data(), logits.data(), B, K, w.data(),
                                                         cw.data(), o, l.data(), g.data())
              .ok());
    CHECK(same(l, cl) && same(g, cg));
    const loss::output<T> out = loss::sparse_categorical_crossentropy(labels, logits, o, true, &w, &cw);
    CHECK(same(out.loss, cl) && same(out.grad, cg));
    loss::output<T> out2;
    CHECK(loss::nothrow::sparse_categorical_crossentropy(out2, labels, logits, o, true, &w, &cw).ok());
    CHECK(same(out2.loss, cl) && same(out2.grad, cg));
  }
  // Unweighted, default options, pointer form with NULLs.
  std::vector<W> cl(1), l(1, W(sentinel));
  const std::vector<T> probs = values<T>(B * K, 0.1, 0.9, 9);
  CHECK(c(labels.data(), probs.data(), B, K, nullptr, nullptr, nullptr, cl.data(), nullptr) == LOSS_OK);
  loss::sparse_categorical_crossentropy(labels.data(), probs.data(), B, K, nullptr, nullptr, loss::options(),
                                        l.data(), nullptr);
  CHECK(same(l, cl));
  CHECK(same(loss::sparse_categorical_crossentropy(labels, probs, loss::options(), false).loss, cl));

  // A label out of range: libloss's status and message, nothing written.
  const std::vector<std::int32_t> bad = {2, 0, 3, 2};
  std::vector<T> g(B * K, T(sentinel));
  const std::vector<W> l0 = l;
  const std::vector<T> g0 = g;
  CHECK(c(bad.data(), logits.data(), B, K, nullptr, nullptr, nullptr, l.data(), g.data()) ==
        LOSS_ERROR_LABEL_OUT_OF_RANGE);
  const std::string msg = c_message();
  expect_error(
      [&] {
        loss::sparse_categorical_crossentropy(bad.data(), logits.data(), B, K, nullptr, nullptr,
                                              loss::options(), l.data(), g.data());
      },
      LOSS_ERROR_LABEL_OUT_OF_RANGE, msg);
  CHECK(same(l, l0) && same(g, g0));
  expect_error([&] { loss::sparse_categorical_crossentropy(bad, logits); }, LOSS_ERROR_LABEL_OUT_OF_RANGE,
               msg);
  // Sizes that do not fit: logits not a multiple of the labels, class weights of the wrong length.
  const std::string prefix = "loss::sparse_categorical_crossentropy: shape: ";
  const std::vector<T> short_logits(logits.begin(), logits.end() - 1);
  expect_error([&] { loss::sparse_categorical_crossentropy(labels, short_logits); }, LOSS_ERROR_SHAPE, prefix,
               true);
  const std::vector<W> short_cw = {1, 2};
  expect_error(
      [&] {
        loss::sparse_categorical_crossentropy(labels, logits, loss::options(), true, nullptr, &short_cw);
      },
      LOSS_ERROR_SHAPE, prefix, true);
  expect_error(
      [&] { loss::sparse_categorical_crossentropy(labels, logits, loss::options(), true, &short_cw); },
      LOSS_ERROR_SHAPE, prefix, true);
}

template <class T>
void test_sequence() {
  using W = real<T>;
  context() = std::string("sequence_crossentropy ") + type_name<T>();
  auto c = c_twin<T>(loss_sequence_crossentropy_f32, loss_sequence_crossentropy_f64,
                     loss_sequence_crossentropy_bf16, loss_sequence_crossentropy_f16);
  const std::size_t B = 3, L = 4, V = 5, N = B * L * V;
  const std::vector<std::int32_t> targets = {1, 4, 0, 2, 3, -1, 2, 2, 0, 1, 1, 4};
  const std::vector<std::int32_t> lengths = {4, 3, 0};
  const std::vector<T> logits = values<T>(N, -2, 2, 41);
  const std::vector<W> w = values<W>(B, 0.5, 2, 42);
  for (auto o : {loss::options().from_logits(true).ignore_index(-1),
                 loss::options().from_logits(true).ignore_index(-1).reduction(loss::reduction::none),
                 loss::options()
                     .from_logits(true)
                     .ignore_index(-1)
                     .reduction(loss::reduction::mean)
                     .label_smoothing(0.2)}) {
    const std::size_t nl = o.reduction() == loss::reduction::none ? B : 1;
    std::vector<W> cl(nl);
    std::vector<T> cg(N);
    CHECK(c(targets.data(), logits.data(), lengths.data(), B, L, V, w.data(), &o.raw(), cl.data(),
            cg.data()) == LOSS_OK);
    std::vector<W> l(nl, W(sentinel));
    std::vector<T> g(N, T(sentinel));
    loss::sequence_crossentropy(targets.data(), logits.data(), lengths.data(), B, L, V, w.data(), o, l.data(),
                                g.data());
    CHECK(same(l, cl) && same(g, cg));
    std::fill(l.begin(), l.end(), W(sentinel));
    CHECK(loss::nothrow::sequence_crossentropy(targets.data(), logits.data(), lengths.data(), B, L, V,
                                               w.data(), o, l.data(), nullptr)
              .ok());
    CHECK(same(l, cl));
    const loss::output<T> out = loss::sequence_crossentropy(targets, logits, B, o, true, &lengths, &w);
    CHECK(same(out.loss, cl) && same(out.grad, cg));
    loss::output<T> out2;
    CHECK(loss::nothrow::sequence_crossentropy(out2, targets, logits, B, o, true, &lengths, &w).ok());
    CHECK(same(out2.loss, cl) && same(out2.grad, cg));
  }
  // NULL lengths and weights, default options (probabilities).
  const std::vector<std::int32_t> full = {1, 4, 0, 2, 3, 0, 2, 2, 0, 1, 1, 4};
  const std::vector<T> probs = values<T>(N, 0.05, 0.95, 43);
  std::vector<W> cl(1), l(1, W(sentinel));
  CHECK(c(full.data(), probs.data(), nullptr, B, L, V, nullptr, nullptr, cl.data(), nullptr) == LOSS_OK);
  loss::sequence_crossentropy(full.data(), probs.data(), nullptr, B, L, V, nullptr, loss::options(), l.data(),
                              nullptr);
  CHECK(same(l, cl) && same(loss::sequence_crossentropy(full, probs, B, loss::options(), false).loss, cl));

  // A target out of range (-1 is not ignored by default): libloss's error, nothing written.
  std::vector<T> g(N, T(sentinel));
  const std::vector<W> l0 = l;
  const std::vector<T> g0 = g;
  CHECK(c(targets.data(), logits.data(), nullptr, B, L, V, nullptr, nullptr, l.data(), g.data()) ==
        LOSS_ERROR_LABEL_OUT_OF_RANGE);
  const std::string msg = c_message();
  CHECK(msg.rfind("loss_sequence_crossentropy_" + suffix<T>() + ": ", 0) == 0);
  expect_error(
      [&] {
        loss::sequence_crossentropy(targets.data(), logits.data(), nullptr, B, L, V, nullptr, loss::options(),
                                    l.data(), g.data());
      },
      LOSS_ERROR_LABEL_OUT_OF_RANGE, msg);
  CHECK(same(l, l0) && same(g, g0));
  expect_error([&] { loss::sequence_crossentropy(targets, logits, B); }, LOSS_ERROR_LABEL_OUT_OF_RANGE, msg);
  // Sizes that do not fit.
  const std::string prefix = "loss::sequence_crossentropy: shape: ";
  expect_error([&] { loss::sequence_crossentropy(full, logits, 5); }, LOSS_ERROR_SHAPE, prefix, true);
  const std::vector<T> short_logits(logits.begin(), logits.end() - 1);
  expect_error([&] { loss::sequence_crossentropy(full, short_logits, B); }, LOSS_ERROR_SHAPE, prefix, true);
  const std::vector<std::int32_t> short_lengths = {4, 3};
  expect_error([&] { loss::sequence_crossentropy(full, logits, B, loss::options(), true, &short_lengths); },
               LOSS_ERROR_SHAPE, prefix, true);
  const std::vector<W> short_w = {1, 2};
  loss::output<T> kept;
  kept.loss = l0;
  const loss::result r =
      loss::nothrow::sequence_crossentropy(kept, full, logits, B, loss::options(), true, nullptr, &short_w);
  CHECK(r.status == LOSS_ERROR_SHAPE && r.message.rfind(prefix, 0) == 0 && same(kept.loss, l0) &&
        kept.grad.empty());
  // A bad option: libloss's error through the nothrow pointer form.
  const loss::options bad = loss::options().label_smoothing(2);
  CHECK(c(full.data(), probs.data(), nullptr, B, L, V, nullptr, &bad.raw(), l.data(), g.data()) ==
        LOSS_ERROR_INVALID_ARGUMENT);
  const std::string bad_msg = c_message();
  const loss::result rb = loss::nothrow::sequence_crossentropy(full.data(), probs.data(), nullptr, B, L, V,
                                                               nullptr, bad, l.data(), g.data());
  CHECK(rb.status == LOSS_ERROR_INVALID_ARGUMENT && rb.message == bad_msg && same(l, l0) && same(g, g0));
}

template <class T>
void test_ctc() {
  using W = real<T>;
  context() = std::string("ctc ") + type_name<T>();
  auto c = c_twin<T>(loss_ctc_f32, loss_ctc_f64, loss_ctc_bf16, loss_ctc_f16);
  auto cw = c_twin<T>(loss_ctc_with_workspace_f32, loss_ctc_with_workspace_f64, loss_ctc_with_workspace_bf16,
                      loss_ctc_with_workspace_f16);
  const std::size_t L = 6, B = 2, A = 4, N = L * B * A;
  const std::vector<std::int32_t> labels = {1, 2, 3, 3}, label_lengths = {2, 2}, input_lengths = {6, 5};
  const std::vector<T> acts = values<T>(N, -2, 2, 51);  // [time, batch, alphabet]
  std::vector<T> acts_bf(N);                            // the same, [batch, time, alphabet]
  for (std::size_t t = 0; t < L; ++t)
    for (std::size_t b = 0; b < B; ++b)
      for (std::size_t a = 0; a < A; ++a) acts_bf[(b * L + t) * A + a] = acts[(t * B + b) * A + a];
  std::size_t bytes = 0, c_bytes = 0;
  CHECK(loss_ctc_workspace_size(L, B, A, 2, &c_bytes) == LOSS_OK && c_bytes > 0);
  loss::ctc_workspace_size(L, B, A, 2, &bytes);
  CHECK(bytes == c_bytes && loss::ctc_workspace_size(L, B, A, 2) == c_bytes);
  CHECK(loss::nothrow::ctc_workspace_size(L, B, A, 2, &bytes).ok() && bytes == c_bytes);
  std::vector<unsigned char> ws(bytes);

  for (auto o :
       {loss::options().from_logits(true), loss::options().from_logits(true).reduction(loss::reduction::none),
        loss::options().reduction(loss::reduction::sum).blank(3).from_logits(true),
        loss::options().from_logits(true).batch_first(true)}) {
    const std::vector<std::int32_t>& lab = o.blank() == 3 ? std::vector<std::int32_t>{1, 2, 2, 1} : labels;
    const std::vector<T>& x = o.batch_first() ? acts_bf : acts;
    const std::size_t nl = o.reduction() == loss::reduction::none ? B : 1;
    std::vector<W> cl(nl);
    std::vector<T> cg(N);
    CHECK(c(x.data(), lab.data(), label_lengths.data(), input_lengths.data(), L, B, A, &o.raw(), cl.data(),
            cg.data()) == LOSS_OK);
    std::vector<W> l(nl, W(sentinel));
    std::vector<T> g(N, T(sentinel));
    loss::ctc(x.data(), lab.data(), label_lengths.data(), input_lengths.data(), L, B, A, o, l.data(),
              g.data());
    CHECK(same(l, cl) && same(g, cg));
    std::fill(l.begin(), l.end(), W(sentinel));
    CHECK(loss::nothrow::ctc(x.data(), lab.data(), label_lengths.data(), input_lengths.data(), L, B, A, o,
                             l.data(), nullptr)
              .ok());
    CHECK(same(l, cl));
    const loss::output<T> out = loss::ctc(x, lab, label_lengths, input_lengths, L, o);
    CHECK(same(out.loss, cl) && same(out.grad, cg));
    loss::output<T> out2;
    CHECK(loss::nothrow::ctc(out2, x, lab, label_lengths, input_lengths, L, o, false).ok());
    CHECK(same(out2.loss, cl) && out2.grad.empty());
    // With a workspace: the wrapper equals the C call with the same workspace.
    std::vector<W> wl(nl);
    std::vector<T> wg(N);
    CHECK(cw(x.data(), lab.data(), label_lengths.data(), input_lengths.data(), L, B, A, &o.raw(), wl.data(),
             wg.data(), ws.data(), ws.size()) == LOSS_OK);
    std::fill(l.begin(), l.end(), W(sentinel));
    std::fill(g.begin(), g.end(), T(sentinel));
    loss::ctc_with_workspace(x.data(), lab.data(), label_lengths.data(), input_lengths.data(), L, B, A, o,
                             l.data(), g.data(), ws.data(), ws.size());
    CHECK(same(l, wl) && same(g, wg));
    CHECK(loss::nothrow::ctc_with_workspace(x.data(), lab.data(), label_lengths.data(), input_lengths.data(),
                                            L, B, A, o, l.data(), g.data(), ws.data(), ws.size())
              .ok());
    CHECK(same(l, wl) && same(g, wg));
  }
  // No labels at all: the vector form passes a valid pointer for the empty vector.
  const std::vector<std::int32_t> none = {}, zero = {0, 0};
  std::vector<W> cl(1);
  const std::int32_t dummy = 0;
  const loss::options logits = loss::options().from_logits(true);
  CHECK(c(acts.data(), &dummy, zero.data(), input_lengths.data(), L, B, A, &logits.raw(), cl.data(),
          nullptr) == LOSS_OK);
  CHECK(same(loss::ctc(acts, none, zero, input_lengths, L, logits).loss, cl));

  // Errors from libloss: a label equal to the blank; too small a workspace.
  const std::vector<std::int32_t> blank_label = {1, 0, 3, 3};
  std::vector<W> l(1, W(sentinel));
  std::vector<T> g(N, T(sentinel));
  const std::vector<W> l0 = l;
  const std::vector<T> g0 = g;
  CHECK(c(acts.data(), blank_label.data(), label_lengths.data(), input_lengths.data(), L, B, A, nullptr,
          l.data(), g.data()) == LOSS_ERROR_LABEL_OUT_OF_RANGE);
  std::string msg = c_message();
  CHECK(msg.rfind("loss_ctc_" + suffix<T>() + ": ", 0) == 0);
  expect_error(
      [&] {
        loss::ctc(acts.data(), blank_label.data(), label_lengths.data(), input_lengths.data(), L, B, A,
                  loss::options(), l.data(), g.data());
      },
      LOSS_ERROR_LABEL_OUT_OF_RANGE, msg);
  expect_error([&] { loss::ctc(acts, blank_label, label_lengths, input_lengths, L); },
               LOSS_ERROR_LABEL_OUT_OF_RANGE, msg);
  CHECK(same(l, l0) && same(g, g0));
  CHECK(cw(acts.data(), labels.data(), label_lengths.data(), input_lengths.data(), L, B, A, nullptr, l.data(),
           g.data(), ws.data(), 8) == LOSS_ERROR_SHAPE);
  msg = c_message();
  expect_error(
      [&] {
        loss::ctc_with_workspace(acts.data(), labels.data(), label_lengths.data(), input_lengths.data(), L, B,
                                 A, loss::options(), l.data(), g.data(), ws.data(), 8);
      },
      LOSS_ERROR_SHAPE, msg);
  CHECK(same(l, l0) && same(g, g0));
  CHECK(loss_ctc_workspace_size(0, B, A, 2, &bytes) == LOSS_ERROR_SHAPE);
  msg = c_message();
  expect_error([&] { loss::ctc_workspace_size(0, B, A, 2); }, LOSS_ERROR_SHAPE, msg);
  // Sizes that do not fit, found by the vector form.
  const std::string prefix = "loss::ctc: shape: ";
  const std::vector<std::int32_t> three = {2, 2, 1};
  expect_error([&] { loss::ctc(acts, labels, label_lengths, input_lengths, 5); }, LOSS_ERROR_SHAPE, prefix,
               true);
  expect_error([&] { loss::ctc(acts, labels, three, input_lengths, L); }, LOSS_ERROR_SHAPE, prefix, true);
  const std::vector<std::int32_t> short_labels = {1, 2, 3};
  expect_error([&] { loss::ctc(acts, short_labels, label_lengths, input_lengths, L); }, LOSS_ERROR_SHAPE,
               prefix, true);
  // A negative length is libloss's shape error, not the wrapper's.
  const std::vector<std::int32_t> negative = {-1, 2};
  expect_error([&] { loss::ctc(acts, labels, negative, input_lengths, L); }, LOSS_ERROR_SHAPE,
               "loss_ctc_" + suffix<T>() + ": ", true);
  loss::output<T> kept;
  kept.loss = l0;
  kept.grad = g0;
  const loss::result r = loss::nothrow::ctc(kept, acts, labels, negative, input_lengths, L);
  CHECK(r.status == LOSS_ERROR_SHAPE && r.message.rfind("loss_ctc_" + suffix<T>() + ": ", 0) == 0 &&
        same(kept.loss, l0) && same(kept.grad, g0));
  // The gradient over the activations (a copy): libloss's overlap error, nothing written.
  std::vector<T> x = acts;
  const loss::result ro = loss::nothrow::ctc_with_workspace(
      x.data(), labels.data(), label_lengths.data(), input_lengths.data(), L, B, A, loss::options(), l.data(),
      x.data(), ws.data(), ws.size());
  CHECK(ro.status == LOSS_ERROR_INVALID_ARGUMENT && ro.message.find("overlaps") != std::string::npos &&
        same(x, acts) && same(l, l0));
}

// Linear cross-entropy in type T (float or double): the pointer forms, throwing and
// nothrow, with and without a workspace, equal the C functions bit for bit; errors
// carry the C status and message and write nothing.
template <class T>
void test_linear() {
  context() = std::string("linear_cross_entropy ") + type_name<T>();
  auto c = loss::detail::pick<T>(loss_linear_cross_entropy_f32, loss_linear_cross_entropy_f64);
  auto cw = loss::detail::pick<T>(loss_linear_cross_entropy_with_workspace_f32,
                                  loss_linear_cross_entropy_with_workspace_f64);
  const std::size_t N = 4, H = 5, V = 7;
  const std::vector<T> hidden = values<T>(N * H, -1, 1, 61), weight = values<T>(V * H, -1, 1, 62),
                       bias = values<T>(V, -0.5, 0.5, 63), w = values<T>(N, 0.5, 2, 64);
  const std::vector<std::int32_t> labels = {6, 0, -100, 3};
  std::size_t bytes = 0, c_bytes = 0;
  CHECK(loss_linear_cross_entropy_workspace_size(N, H, V, &c_bytes) == LOSS_OK && c_bytes > 0);
  loss::linear_cross_entropy_workspace_size(N, H, V, &bytes);
  CHECK(bytes == c_bytes && loss::linear_cross_entropy_workspace_size(N, H, V) == c_bytes);
  bytes = 0;
  CHECK(loss::nothrow::linear_cross_entropy_workspace_size(N, H, V, &bytes).ok() && bytes == c_bytes);
  std::vector<unsigned char> ws(bytes + 1);

  for (auto o : {loss::options().ignore_index(-100),
                 loss::options().ignore_index(-100).reduction(loss::reduction::none).z_loss(1e-2),
                 loss::options().ignore_index(-100).reduction(loss::reduction::mean).label_smoothing(0.1).z_loss(
                     1e-4)}) {
    const std::size_t nl = o.reduction() == loss::reduction::none ? N : 1;
    for (bool with_bias : {false, true}) {
      const T* b = with_bias ? bias.data() : nullptr;
      std::vector<T> cl(nl), cgh(N * H), cgw(V * H), cgb(V);
      CHECK(c(hidden.data(), weight.data(), b, labels.data(), N, H, V, w.data(), &o.raw(), cl.data(),
              cgh.data(), cgw.data(), cgb.data()) == LOSS_OK);
      std::vector<T> l(nl, T(sentinel)), gh(N * H, T(sentinel)), gw(V * H, T(sentinel)), gb(V, T(sentinel));
      loss::linear_cross_entropy(hidden.data(), weight.data(), b, labels.data(), N, H, V, w.data(), o, l.data(),
                                 gh.data(), gw.data(), gb.data());
      CHECK(same(l, cl) && same(gh, cgh) && same(gw, cgw) && same(gb, cgb));
      // nothrow; only some gradients (the others untouched), NULL weights.
      std::vector<T> cl2(nl), cgw2(V * H);
      CHECK(c(hidden.data(), weight.data(), b, labels.data(), N, H, V, nullptr, &o.raw(), cl2.data(), nullptr,
              cgw2.data(), nullptr) == LOSS_OK);
      std::fill(l.begin(), l.end(), T(sentinel));
      std::fill(gh.begin(), gh.end(), T(sentinel));
      const std::vector<T> gh0 = gh;
      const loss::result r = loss::nothrow::linear_cross_entropy(hidden.data(), weight.data(), b, labels.data(),
                                                                 N, H, V, nullptr, o, l.data(), nullptr,
                                                                 gw.data(), nullptr);
      CHECK(r.ok() && r.message.empty() && same(l, cl2) && same(gw, cgw2) && same(gh, gh0));
      // With a workspace (misaligned): the C function's bits, which are the
      // allocating call's.
      std::vector<T> wl(nl), wgh(N * H), wgw(V * H), wgb(V);
      CHECK(cw(hidden.data(), weight.data(), b, labels.data(), N, H, V, w.data(), &o.raw(), wl.data(),
               wgh.data(), wgw.data(), wgb.data(), ws.data() + 1, bytes) == LOSS_OK);
      CHECK(same(wl, cl) && same(wgh, cgh) && same(wgw, cgw) && same(wgb, cgb));
      std::fill(l.begin(), l.end(), T(sentinel));
      std::fill(gh.begin(), gh.end(), T(sentinel));
      loss::linear_cross_entropy_with_workspace(hidden.data(), weight.data(), b, labels.data(), N, H, V,
                                                w.data(), o, l.data(), gh.data(), gw.data(), gb.data(),
                                                ws.data() + 1, bytes);
      CHECK(same(l, cl) && same(gh, cgh) && same(gw, cgw) && same(gb, cgb));
      std::fill(l.begin(), l.end(), T(sentinel));
      CHECK(loss::nothrow::linear_cross_entropy_with_workspace(hidden.data(), weight.data(), b, labels.data(),
                                                               N, H, V, w.data(), o, l.data(), nullptr,
                                                               nullptr, nullptr, ws.data(), bytes)
                .ok());
      CHECK(same(l, cl));
    }
  }

  // Errors: libloss's status and message (named with T's suffix), nothing written.
  std::vector<T> l(N, T(sentinel)), gh(N * H, T(sentinel)), gw(V * H, T(sentinel));
  const std::vector<T> l0 = l, gh0 = gh, gw0 = gw;
  auto untouched = [&] { return same(l, l0) && same(gh, gh0) && same(gw, gw0); };
  // (1) A label outside [0, v) (-100 is not ignored by default).
  CHECK(c(hidden.data(), weight.data(), nullptr, labels.data(), N, H, V, nullptr, nullptr, l.data(), gh.data(),
          gw.data(), nullptr) == LOSS_ERROR_LABEL_OUT_OF_RANGE);
  std::string msg = c_message();
  CHECK(msg.rfind("loss_linear_cross_entropy_" + suffix<T>() + ": ", 0) == 0);
  expect_error(
      [&] {
        loss::linear_cross_entropy(hidden.data(), weight.data(), nullptr, labels.data(), N, H, V, nullptr,
                                   loss::options(), l.data(), gh.data(), gw.data(), nullptr);
      },
      LOSS_ERROR_LABEL_OUT_OF_RANGE, msg);
  CHECK(untouched());
  // (2) A bad z_loss, through the setter.
  const loss::options bad = loss::options().ignore_index(-100).z_loss(-1);
  CHECK(c(hidden.data(), weight.data(), nullptr, labels.data(), N, H, V, nullptr, &bad.raw(), l.data(),
          gh.data(), gw.data(), nullptr) == LOSS_ERROR_INVALID_ARGUMENT);
  msg = c_message();
  CHECK(msg.find("z_loss") != std::string::npos);
  loss::result r = loss::nothrow::linear_cross_entropy(hidden.data(), weight.data(), nullptr, labels.data(), N,
                                                       H, V, nullptr, bad, l.data(), gh.data(), gw.data(),
                                                       nullptr);
  CHECK(r.status == LOSS_ERROR_INVALID_ARGUMENT && r.message == msg && untouched());
  // (3) NULL hidden.
  CHECK(c(nullptr, weight.data(), nullptr, labels.data(), N, H, V, nullptr, nullptr, l.data(), nullptr, nullptr,
          nullptr) == LOSS_ERROR_NULL_POINTER);
  msg = c_message();
  expect_error(
      [&] {
        loss::linear_cross_entropy(static_cast<const T*>(nullptr), weight.data(), nullptr, labels.data(), N, H,
                                   V, nullptr, loss::options(), l.data(), gh.data(), gw.data(), nullptr);
      },
      LOSS_ERROR_NULL_POINTER, msg);
  CHECK(untouched());
  // (4) Too small a workspace.
  const loss::options ok_opts = loss::options().ignore_index(-100);
  CHECK(cw(hidden.data(), weight.data(), nullptr, labels.data(), N, H, V, nullptr, &ok_opts.raw(), l.data(),
           gh.data(), gw.data(), nullptr, ws.data(), 8) == LOSS_ERROR_SHAPE);
  msg = c_message();
  CHECK(msg.find("workspace_bytes is 8") != std::string::npos);
  expect_error(
      [&] {
        loss::linear_cross_entropy_with_workspace(hidden.data(), weight.data(), nullptr, labels.data(), N, H, V,
                                                  nullptr, ok_opts, l.data(), gh.data(), gw.data(), nullptr,
                                                  ws.data(), 8);
      },
      LOSS_ERROR_SHAPE, msg);
  r = loss::nothrow::linear_cross_entropy_with_workspace(hidden.data(), weight.data(), nullptr, labels.data(),
                                                         N, H, V, nullptr, ok_opts, l.data(), gh.data(),
                                                         gw.data(), nullptr, ws.data(), 8);
  CHECK(r.status == LOSS_ERROR_SHAPE && r.message == msg && untouched());
  // (5) The workspace size of a zero size, and of a NULL result.
  CHECK(loss_linear_cross_entropy_workspace_size(N, 0, V, &bytes) == LOSS_ERROR_SHAPE);
  msg = c_message();
  expect_error([&] { loss::linear_cross_entropy_workspace_size(N, 0, V); }, LOSS_ERROR_SHAPE, msg);
  std::size_t kept = 777;
  r = loss::nothrow::linear_cross_entropy_workspace_size(N, 0, V, &kept);
  CHECK(r.status == LOSS_ERROR_SHAPE && r.message == msg && kept == 777);
  r = loss::nothrow::linear_cross_entropy_workspace_size(N, H, V, nullptr);
  CHECK(r.status == LOSS_ERROR_NULL_POINTER && r.message.find("bytes is NULL") != std::string::npos);
  // (6) A gradient over its input (a copy): the overlap error.
  std::vector<T> x = hidden;
  r = loss::nothrow::linear_cross_entropy(x.data(), weight.data(), nullptr, labels.data(), N, H, V, nullptr,
                                          ok_opts, l.data(), x.data(), nullptr, nullptr);
  CHECK(r.status == LOSS_ERROR_INVALID_ARGUMENT &&
        r.message.find("grad_hidden overlaps hidden") != std::string::npos && same(x, hidden) && same(l, l0));
}

// Linear cross-entropy on half data T (loss::bf16 or loss::f16): the wrapper forwards
// to the `_bf16` / `_f16` C function (its bits), and that is the `_f32` call on the
// widened inputs with each gradient element rounded once: bit for bit for the
// gradients (the vocabulary fits one block of the half call), the loss within a few
// float ulps (the same bits without label smoothing). Errors carry the C status and
// message and write nothing.
template <class T>
void test_linear_half() {
  context() = std::string("linear_cross_entropy ") + type_name<T>();
  auto c = c_twin<T>(loss_linear_cross_entropy_f32, loss_linear_cross_entropy_f64, loss_linear_cross_entropy_bf16,
                     loss_linear_cross_entropy_f16);
  const std::size_t N = 4, H = 5, V = 7;
  auto half = [](const std::vector<float>& x) { return std::vector<T>(x.begin(), x.end()); };
  auto wide = [](const std::vector<T>& x) { return std::vector<float>(x.begin(), x.end()); };
  // Every element of `x` rounded to T.
  auto rounded = [](const std::vector<float>& x) {
    std::vector<T> r;
    for (float e : x) r.push_back(T(e));
    return r;
  };
  const std::vector<T> hidden = half(values<float>(N * H, -1, 1, 81)), weight = half(values<float>(V * H, -1, 1, 82)),
                       bias = half(values<float>(V, -0.5, 0.5, 83));
  const std::vector<float> hf = wide(hidden), wf = wide(weight), bf = wide(bias), w = values<float>(N, 0.5, 2, 84);
  const std::vector<std::int32_t> labels = {6, 0, -100, 3};

  for (auto o : {loss::options().ignore_index(-100),
                 loss::options().ignore_index(-100).reduction(loss::reduction::none).z_loss(1e-2),
                 loss::options().ignore_index(-100).reduction(loss::reduction::sum).z_loss(1e-4),
                 loss::options().ignore_index(-100).reduction(loss::reduction::mean).label_smoothing(0.1).z_loss(
                     1e-4)}) {
    const std::size_t nl = o.reduction() == loss::reduction::none ? N : 1;
    for (bool with_bias : {false, true}) {
      const T* b = with_bias ? bias.data() : nullptr;
      // The `_f32` call on the widened inputs.
      std::vector<float> fl(nl), fgh(N * H), fgw(V * H), fgb(V);
      CHECK(loss_linear_cross_entropy_f32(hf.data(), wf.data(), with_bias ? bf.data() : nullptr, labels.data(), N,
                                          H, V, w.data(), &o.raw(), fl.data(), fgh.data(), fgw.data(),
                                          fgb.data()) == LOSS_OK);
      // The half C function.
      std::vector<float> cl(nl);
      std::vector<T> cgh(N * H), cgw(V * H), cgb(V);
      CHECK(c(hidden.data(), weight.data(), b, labels.data(), N, H, V, w.data(), &o.raw(), cl.data(), cgh.data(),
              cgw.data(), cgb.data()) == LOSS_OK);
      CHECK(same(cgh, rounded(fgh)) && same(cgw, rounded(fgw)) && same(cgb, rounded(fgb)));
      bool close = true;
      for (std::size_t i = 0; i < nl; ++i) close = close && std::fabs(cl[i] - fl[i]) <= 1e-6f * std::fabs(fl[i]);
      CHECK(close);
      if (o.label_smoothing() == 0) CHECK(same(cl, fl));
      // The throwing wrapper: the C function's bits.
      std::vector<float> l(nl, float(sentinel));
      std::vector<T> gh(N * H, T(sentinel)), gw(V * H, T(sentinel)), gb(V, T(sentinel));
      loss::linear_cross_entropy(hidden.data(), weight.data(), b, labels.data(), N, H, V, w.data(), o, l.data(),
                                 gh.data(), gw.data(), gb.data());
      CHECK(same(l, cl) && same(gh, cgh) && same(gw, cgw) && same(gb, cgb));
      // nothrow; only grad_weight (the others untouched), NULL weights.
      std::vector<float> cl2(nl);
      std::vector<T> cgw2(V * H);
      CHECK(c(hidden.data(), weight.data(), b, labels.data(), N, H, V, nullptr, &o.raw(), cl2.data(), nullptr,
              cgw2.data(), nullptr) == LOSS_OK);
      std::fill(l.begin(), l.end(), float(sentinel));
      std::fill(gh.begin(), gh.end(), T(sentinel));
      const std::vector<T> gh0 = gh;
      const loss::result r = loss::nothrow::linear_cross_entropy(hidden.data(), weight.data(), b, labels.data(),
                                                                 N, H, V, nullptr, o, l.data(), nullptr,
                                                                 gw.data(), nullptr);
      CHECK(r.ok() && r.message.empty() && same(l, cl2) && same(gw, cgw2) && same(gh, gh0));
    }
  }

  // Errors: libloss's status and message (named with the half suffix), nothing written.
  std::vector<float> l(N, float(sentinel));
  std::vector<T> gh(N * H, T(sentinel)), gw(V * H, T(sentinel));
  const std::vector<float> l0 = l;
  const std::vector<T> gh0 = gh, gw0 = gw;
  auto untouched = [&] { return same(l, l0) && same(gh, gh0) && same(gw, gw0); };
  // (1) A label outside [0, v) (-100 is not ignored by default): the throwing form throws.
  CHECK(c(hidden.data(), weight.data(), nullptr, labels.data(), N, H, V, nullptr, nullptr, l.data(), gh.data(),
          gw.data(), nullptr) == LOSS_ERROR_LABEL_OUT_OF_RANGE);
  std::string msg = c_message();
  CHECK(msg.rfind("loss_linear_cross_entropy_" + suffix<T>() + ": ", 0) == 0);
  expect_error(
      [&] {
        loss::linear_cross_entropy(hidden.data(), weight.data(), nullptr, labels.data(), N, H, V, nullptr,
                                   loss::options(), l.data(), gh.data(), gw.data(), nullptr);
      },
      LOSS_ERROR_LABEL_OUT_OF_RANGE, msg);
  CHECK(untouched());
  // (2) A bad z_loss, through the nothrow form.
  const loss::options bad = loss::options().ignore_index(-100).z_loss(-1);
  CHECK(c(hidden.data(), weight.data(), nullptr, labels.data(), N, H, V, nullptr, &bad.raw(), l.data(),
          gh.data(), gw.data(), nullptr) == LOSS_ERROR_INVALID_ARGUMENT);
  msg = c_message();
  CHECK(msg.find("z_loss") != std::string::npos);
  const loss::result r = loss::nothrow::linear_cross_entropy(hidden.data(), weight.data(), nullptr,
                                                             labels.data(), N, H, V, nullptr, bad, l.data(),
                                                             gh.data(), gw.data(), nullptr);
  CHECK(r.status == LOSS_ERROR_INVALID_ARGUMENT && r.message == msg && untouched());
  // (3) A gradient over its input (a copy): the overlap error.
  std::vector<T> x = hidden;
  const loss::result ro = loss::nothrow::linear_cross_entropy(
      x.data(), weight.data(), nullptr, labels.data(), N, H, V, nullptr, loss::options().ignore_index(-100),
      l.data(), x.data(), nullptr, nullptr);
  CHECK(ro.status == LOSS_ERROR_INVALID_ARGUMENT &&
        ro.message.find("grad_hidden overlaps hidden") != std::string::npos && same(x, hidden) && same(l, l0));
}

// The vocabulary-sharded linear cross-entropy in type T (float or double): every
// phase's wrapper (throwing and nothrow, allocating and with a workspace) gives the C
// function's bits; two shards, combined in either order (the same bits), give the loss
// and gradients of one `linear_cross_entropy` call to rounding; errors carry the C
// status and message and write nothing.
template <class T>
void test_linear_shard() {
  context() = std::string("linear_cross_entropy_shard_* ") + type_name<T>();
  auto c_stats =
      loss::detail::pick<T>(loss_linear_cross_entropy_shard_stats_f32, loss_linear_cross_entropy_shard_stats_f64);
  auto c_combine = loss::detail::pick<T>(loss_linear_cross_entropy_shard_combine_f32,
                                         loss_linear_cross_entropy_shard_combine_f64);
  auto c_finish = loss::detail::pick<T>(loss_linear_cross_entropy_shard_finish_f32,
                                        loss_linear_cross_entropy_shard_finish_f64);
  const std::size_t N = 4, H = 5, V = 7, K = LOSS_LINEAR_SHARD_STATS;
  // Rows [0, 3) and [3, 7): labels in both shards, one ignored.
  const std::size_t cuts[3] = {0, 3, V};
  const std::vector<T> hidden = values<T>(N * H, -1, 1, 71), weight = values<T>(V * H, -1, 1, 72),
                       bias = values<T>(V, -0.5, 0.5, 73), w = values<T>(N, 0.5, 2, 74);
  const std::vector<std::int32_t> labels = {6, 0, -100, 2};
  const double tol = sizeof(T) == 8 ? 1e-12 : 1e-5;
  auto close = [&](const std::vector<T>& a, const std::vector<T>& b) {
    bool ok = a.size() == b.size();
    for (std::size_t i = 0; ok && i < a.size(); ++i)
      ok = std::fabs(double(a[i]) - double(b[i])) <= tol * (1 + std::fabs(double(b[i])));
    return ok;
  };
  // A piece [from, from + len) of a buffer, to compare with a shard's output.
  auto piece = [](const std::vector<T>& x, std::size_t from, std::size_t len) {
    return std::vector<T>(x.begin() + static_cast<std::ptrdiff_t>(from),
                          x.begin() + static_cast<std::ptrdiff_t>(from + len));
  };

  for (auto o : {loss::options().ignore_index(-100),
                 loss::options().ignore_index(-100).reduction(loss::reduction::none).z_loss(1e-2),
                 loss::options().ignore_index(-100).reduction(loss::reduction::mean).label_smoothing(0.1).z_loss(
                     1e-4)}) {
    const std::size_t nl = o.reduction() == loss::reduction::none ? N : 1;
    for (bool with_bias : {false, true}) {
      // The whole vocabulary in one call.
      std::vector<T> wl(nl), wgh(N * H), wgw(V * H), wgb(V);
      loss::linear_cross_entropy(hidden.data(), weight.data(), with_bias ? bias.data() : nullptr, labels.data(),
                                 N, H, V, w.data(), o, wl.data(), wgh.data(), wgw.data(), wgb.data());

      // Phase 1, shard by shard: shard 0 allocating (throwing form, workspace left
      // out), shard 1 in a misaligned workspace (nothrow form).
      std::vector<std::vector<T>> stats(2);
      for (std::size_t s = 0; s < 2; ++s) {
        const std::size_t v0 = cuts[s], v1 = cuts[s + 1];
        const T* ws_rows = weight.data() + v0 * H;
        const T* bs = with_bias ? bias.data() + v0 : nullptr;
        std::vector<T> cst(N * K);
        CHECK(c_stats(hidden.data(), ws_rows, bs, labels.data(), N, H, V, v0, v1, &o.raw(), cst.data(), nullptr,
                      0) == LOSS_OK);
        stats[s].assign(N * K, T(sentinel));
        if (s == 0) {
          loss::linear_cross_entropy_shard_stats(hidden.data(), ws_rows, bs, labels.data(), N, H, V, v0, v1, o,
                                                 stats[s].data());
        } else {
          const std::size_t bytes = loss::linear_cross_entropy_workspace_size(N, H, v1 - v0);
          std::vector<unsigned char> ws(bytes + 1);
          const loss::result r = loss::nothrow::linear_cross_entropy_shard_stats(
              hidden.data(), ws_rows, bs, labels.data(), N, H, V, v0, v1, o, stats[s].data(), ws.data() + 1, bytes);
          CHECK(r.ok() && r.message.empty());
        }
        CHECK(same(stats[s], cst));
      }

      // Phase 2: shard 0 into shard 1 and shard 1 into shard 0 give the same bits,
      // the C function's.
      std::vector<T> combined = stats[1], swapped = stats[0], c_combined = stats[1];
      loss::linear_cross_entropy_shard_combine(stats[0].data(), combined.data(), N);
      CHECK(loss::nothrow::linear_cross_entropy_shard_combine(stats[1].data(), swapped.data(), N).ok());
      CHECK(c_combine(stats[0].data(), c_combined.data(), N) == LOSS_OK);
      CHECK(same(combined, c_combined) && same(swapped, combined));

      // Phase 3, shard by shard, as phase 1: each shard's loss is the same, its
      // grad_weight and grad_bias rows are its own, its grad_hidden terms add up.
      std::vector<T> l0, gh(N * H, T(0)), gw(V * H, T(sentinel)), gb(V, T(sentinel));
      for (std::size_t s = 0; s < 2; ++s) {
        const std::size_t v0 = cuts[s], v1 = cuts[s + 1], width = v1 - v0;
        const T* ws_rows = weight.data() + v0 * H;
        const T* bs = with_bias ? bias.data() + v0 : nullptr;
        std::vector<T> cl(nl), cpart(N * H), cgw(width * H), cgb(width);
        CHECK(c_finish(hidden.data(), ws_rows, bs, labels.data(), N, H, V, v0, v1, w.data(), &o.raw(),
                       combined.data(), cl.data(), cpart.data(), cgw.data(), cgb.data(), nullptr, 0) == LOSS_OK);
        std::vector<T> l(nl, T(sentinel)), part(N * H, T(sentinel));
        if (s == 0) {
          loss::linear_cross_entropy_shard_finish(hidden.data(), ws_rows, bs, labels.data(), N, H, V, v0, v1,
                                                  w.data(), o, combined.data(), l.data(), part.data(),
                                                  gw.data() + v0 * H, gb.data() + v0);
        } else {
          std::size_t bytes = 0;
          CHECK(loss::nothrow::linear_cross_entropy_workspace_size(N, H, width, &bytes).ok());
          std::vector<unsigned char> ws(bytes);
          CHECK(loss::nothrow::linear_cross_entropy_shard_finish(hidden.data(), ws_rows, bs, labels.data(), N, H,
                                                                 V, v0, v1, w.data(), o, combined.data(),
                                                                 l.data(), part.data(), gw.data() + v0 * H,
                                                                 gb.data() + v0, ws.data(), bytes)
                    .ok());
        }
        CHECK(same(l, cl) && same(part, cpart) && same(piece(gw, v0 * H, width * H), cgw) &&
              same(piece(gb, v0, width), cgb));
        for (std::size_t i = 0; i < N * H; ++i) gh[i] += part[i];
        if (s == 0) {
          l0 = l;
        } else {
          CHECK(same(l, l0));
        }
      }
      CHECK(close(l0, wl) && close(gh, wgh) && close(gw, wgw) && close(gb, wgb));
      if (!close(l0, wl))
        std::printf("    sharded loss %.17g, whole %.17g\n", double(l0[0]), double(wl[0]));
    }
  }

  // Errors: libloss's status and message (named with T's suffix), nothing written.
  const loss::options o = loss::options().ignore_index(-100);
  std::vector<T> st(N * K, T(sentinel)), l(1, T(sentinel)), gw(V * H, T(sentinel));
  const std::vector<T> st0 = st, l_0 = l, gw0 = gw;
  auto untouched = [&] { return same(st, st0) && same(l, l_0) && same(gw, gw0); };
  // (1) An empty shard, v0 >= v1: the shape error, thrown or returned.
  CHECK(c_stats(hidden.data(), weight.data(), nullptr, labels.data(), N, H, V, 3, 3, &o.raw(), st.data(), nullptr,
                0) == LOSS_ERROR_SHAPE);
  std::string msg = c_message();
  CHECK(msg.rfind("loss_linear_cross_entropy_shard_stats_" + suffix<T>() + ": ", 0) == 0 &&
        msg.find("v0 < v1 <= v") != std::string::npos);
  expect_error(
      [&] {
        loss::linear_cross_entropy_shard_stats(hidden.data(), weight.data(), nullptr, labels.data(), N, H, V, 3, 3,
                                               o, st.data());
      },
      LOSS_ERROR_SHAPE, msg);
  loss::result r = loss::nothrow::linear_cross_entropy_shard_stats(hidden.data(), weight.data(), nullptr,
                                                                   labels.data(), N, H, V, 5, 2, o, st.data());
  CHECK(r.status == LOSS_ERROR_SHAPE && r.message.find("[5, 2) of 7") != std::string::npos && untouched());
  // (2) A shard past the vocabulary (v1 > v), in phase 3.
  CHECK(c_finish(hidden.data(), weight.data(), nullptr, labels.data(), N, H, V, 4, 8, nullptr, &o.raw(),
                 st0.data(), l.data(), nullptr, gw.data(), nullptr, nullptr, 0) == LOSS_ERROR_SHAPE);
  msg = c_message();
  expect_error(
      [&] {
        loss::linear_cross_entropy_shard_finish(hidden.data(), weight.data(), nullptr, labels.data(), N, H, V, 4, 8,
                                                nullptr, o, st0.data(), l.data(), nullptr, gw.data(), nullptr);
      },
      LOSS_ERROR_SHAPE, msg);
  CHECK(untouched());
  // (3) A label outside [0, v) (-100 is not ignored by default).
  r = loss::nothrow::linear_cross_entropy_shard_stats(hidden.data(), weight.data(), nullptr, labels.data(), N, H,
                                                      V, 0, 3, loss::options(), st.data());
  CHECK(r.status == LOSS_ERROR_LABEL_OUT_OF_RANGE &&
        r.message.rfind("loss_linear_cross_entropy_shard_stats_" + suffix<T>() + ": ", 0) == 0 && untouched());
  // (4) Too small a workspace.
  std::vector<unsigned char> ws(8);
  r = loss::nothrow::linear_cross_entropy_shard_stats(hidden.data(), weight.data(), nullptr, labels.data(), N, H,
                                                      V, 0, 3, o, st.data(), ws.data(), ws.size());
  CHECK(r.status == LOSS_ERROR_SHAPE && r.message.find("workspace_bytes is 8") != std::string::npos &&
        untouched());
  // (5) Combining: zero samples (thrown), statistics combined into themselves.
  CHECK(c_combine(st0.data(), st.data(), 0) == LOSS_ERROR_SHAPE);
  msg = c_message();
  expect_error([&] { loss::linear_cross_entropy_shard_combine(st0.data(), st.data(), 0); }, LOSS_ERROR_SHAPE, msg);
  r = loss::nothrow::linear_cross_entropy_shard_combine(st.data(), st.data(), N);
  CHECK(r.status == LOSS_ERROR_INVALID_ARGUMENT && r.message.find("overlaps") != std::string::npos &&
        untouched());
}

template <class T>
void test_class_weights() {
  context() = std::string("class_weights_to_sample_weights ") + type_name<T>();
  auto c = loss::detail::pick<T>(loss_class_weights_to_sample_weights_f32,
                                 loss_class_weights_to_sample_weights_f64);
  const std::vector<std::int32_t> labels = {1, 0, 2, 1};
  const std::vector<T> cw = {T(0.5), 2, T(1.25)};
  std::vector<T> expected(4);
  CHECK(c(labels.data(), 4, cw.data(), 3, expected.data()) == LOSS_OK);
  CHECK(expected == std::vector<T>({2, T(0.5), T(1.25), 2}));
  std::vector<T> out(4, T(sentinel));
  loss::class_weights_to_sample_weights(labels.data(), 4, cw.data(), 3, out.data());
  CHECK(same(out, expected));
  CHECK(same(loss::class_weights_to_sample_weights(labels, cw), expected));
  std::vector<T> out2;
  CHECK(loss::nothrow::class_weights_to_sample_weights(out2, labels, cw).ok() && same(out2, expected));

  const std::vector<std::int32_t> bad = {1, -1, 2, 1};
  std::vector<T> kept(4, T(sentinel));
  const std::vector<T> kept0 = kept;
  CHECK(c(bad.data(), 4, cw.data(), 3, kept.data()) == LOSS_ERROR_LABEL_OUT_OF_RANGE);
  const std::string msg = c_message();
  expect_error([&] { loss::class_weights_to_sample_weights(bad.data(), 4, cw.data(), 3, kept.data()); },
               LOSS_ERROR_LABEL_OUT_OF_RANGE, msg);
  expect_error([&] { loss::class_weights_to_sample_weights(bad, cw); }, LOSS_ERROR_LABEL_OUT_OF_RANGE, msg);
  const loss::result r = loss::nothrow::class_weights_to_sample_weights(kept, bad, cw);
  CHECK(r.status == LOSS_ERROR_LABEL_OUT_OF_RANGE && r.message == msg && same(kept, kept0));
  expect_error([&] { loss::class_weights_to_sample_weights(std::vector<std::int32_t>(), cw); },
               LOSS_ERROR_SHAPE, "loss::class_weights_to_sample_weights: shape: ", true);
}

template <class T>
void test_clip() {
  using W = real<T>;
  context() = std::string("clip ") + type_name<T>();
  const std::vector<T> g0 = values<T>(6, -3, 3, 11);
  // clip_by_value
  {
    auto c = c_twin<T>(loss_clip_by_value_f32, loss_clip_by_value_f64, loss_clip_by_value_bf16,
                       loss_clip_by_value_f16);
    std::vector<T> ref = g0, a = g0, b = g0, d = g0;
    CHECK(c(ref.data(), ref.size(), W(-1), W(0.3)) == LOSS_OK);
    loss::clip_by_value(a.data(), a.size(), -1, 0.3);  // literals convert to real_t<T>
    loss::clip_by_value(b, -1, 0.3);
    CHECK(loss::nothrow::clip_by_value(d, -1, 0.3).ok());
    CHECK(same(a, ref) && same(b, ref) && same(d, ref) && !same(ref, g0));
    std::vector<T> e = g0;
    CHECK(c(e.data(), e.size(), W(1), W(0)) == LOSS_ERROR_INVALID_ARGUMENT);
    const std::string msg = c_message();
    CHECK(msg.rfind("loss_clip_by_value_" + suffix<T>() + ": ", 0) == 0);
    expect_error([&] { loss::clip_by_value(e, 1, 0); }, LOSS_ERROR_INVALID_ARGUMENT, msg);
    expect_error([&] { loss::clip_by_value(e.data(), e.size(), 1, 0); }, LOSS_ERROR_INVALID_ARGUMENT, msg);
    CHECK(same(e, g0));
    std::vector<T> empty;
    expect_error([&] { loss::clip_by_value(empty, 0, 1); }, LOSS_ERROR_SHAPE,
                 "loss::clip_by_value: shape: ", true);
  }
  // clip_by_norm
  {
    auto c = c_twin<T>(loss_clip_by_norm_f32, loss_clip_by_norm_f64, loss_clip_by_norm_bf16,
                       loss_clip_by_norm_f16);
    std::vector<T> ref = g0, a = g0, b = g0, d = g0;
    W ref_norm = W(sentinel), a_norm = W(sentinel), d_norm = W(sentinel);
    CHECK(c(ref.data(), ref.size(), W(1.5), &ref_norm) == LOSS_OK);
    loss::clip_by_norm(a.data(), a.size(), 1.5, &a_norm);
    const W b_norm = loss::clip_by_norm(b, 1.5);
    CHECK(loss::nothrow::clip_by_norm(d_norm, d, 1.5).ok());
    CHECK(same(a, ref) && same(b, ref) && same(d, ref) && !same(ref, g0));
    CHECK(same_bits(a_norm, ref_norm) && same_bits(b_norm, ref_norm) && same_bits(d_norm, ref_norm));
    std::vector<T> e = g0;
    W norm = W(sentinel);
    CHECK(c(e.data(), e.size(), W(0), &norm) == LOSS_ERROR_INVALID_ARGUMENT);
    const std::string msg = c_message();
    expect_error([&] { loss::clip_by_norm(e.data(), e.size(), 0, &norm); }, LOSS_ERROR_INVALID_ARGUMENT, msg);
    expect_error([&] { loss::clip_by_norm(e, 0); }, LOSS_ERROR_INVALID_ARGUMENT, msg);
    const loss::result r = loss::nothrow::clip_by_norm(norm, e, 0);
    CHECK(r.status == LOSS_ERROR_INVALID_ARGUMENT && r.message == msg);
    CHECK(same(e, g0) && same_bits(norm, W(sentinel)));
    std::vector<T> empty;
    expect_error([&] { loss::clip_by_norm(empty, 1); }, LOSS_ERROR_SHAPE, "loss::clip_by_norm: shape: ", true);
  }
  // clip_by_global_norm
  {
    auto c = c_twin<T>(loss_clip_by_global_norm_f32, loss_clip_by_global_norm_f64,
                       loss_clip_by_global_norm_bf16, loss_clip_by_global_norm_f16);
    const std::vector<T> h0 = values<T>(3, -4, 4, 12);
    std::vector<T> r1 = g0, r2 = h0;
    T* ptrs[2] = {r1.data(), r2.data()};
    const std::size_t lens[2] = {r1.size(), r2.size()};
    W ref_norm = W(sentinel);
    CHECK(c(ptrs, lens, 2, W(2), &ref_norm) == LOSS_OK);

    std::vector<T> a1 = g0, a2 = h0;
    T* aptrs[2] = {a1.data(), a2.data()};
    W a_norm = W(sentinel);
    loss::clip_by_global_norm(aptrs, lens, 2, 2, &a_norm);
    CHECK(same(a1, r1) && same(a2, r2) && same_bits(a_norm, ref_norm));

    std::vector<T> b1 = g0, b2 = h0;
    const W b_norm = loss::clip_by_global_norm({&b1, &b2}, 2);
    CHECK(same(b1, r1) && same(b2, r2) && same_bits(b_norm, ref_norm));

    std::vector<T> d1 = g0, d2 = h0;
    const std::vector<std::vector<T>*> list = {&d1, &d2};
    const W d_norm = loss::clip_by_global_norm(list, 2);
    CHECK(same(d1, r1) && same(d2, r2) && same_bits(d_norm, ref_norm));

    std::vector<T> e1 = g0, e2 = h0;
    W e_norm = W(sentinel);
    CHECK(loss::nothrow::clip_by_global_norm(e_norm, {&e1, &e2}, 2).ok());
    CHECK(same(e1, r1) && same(e2, r2) && same_bits(e_norm, ref_norm));

    // Errors: a bad clip_norm, buffers sharing memory (libloss), a NULL or empty
    // buffer (the wrapper).
    std::vector<T> f1 = g0, f2 = h0;
    T* fptrs[2] = {f1.data(), f2.data()};
    W f_norm = W(sentinel);
    CHECK(c(fptrs, lens, 2, W(-1), &f_norm) == LOSS_ERROR_INVALID_ARGUMENT);
    std::string msg = c_message();
    expect_error([&] { loss::clip_by_global_norm(fptrs, lens, 2, -1, &f_norm); }, LOSS_ERROR_INVALID_ARGUMENT,
                 msg);
    expect_error([&] { loss::clip_by_global_norm({&f1, &f2}, -1); }, LOSS_ERROR_INVALID_ARGUMENT, msg);
    loss::result r = loss::nothrow::clip_by_global_norm(f_norm, {&f1, &f2}, -1);
    CHECK(r.status == LOSS_ERROR_INVALID_ARGUMENT && r.message == msg);
    CHECK(same(f1, g0) && same(f2, h0) && same_bits(f_norm, W(sentinel)));
    T* shared[2] = {f1.data(), f1.data() + 1};
    const std::size_t shared_lens[2] = {2, 2};
    CHECK(c(shared, shared_lens, 2, W(1), &f_norm) == LOSS_ERROR_INVALID_ARGUMENT);
    msg = c_message();
    CHECK(msg.rfind("loss_clip_by_global_norm_" + suffix<T>() + ": ", 0) == 0);
    r = loss::nothrow::clip_by_global_norm(shared, shared_lens, 2, 1, &f_norm);
    CHECK(r.status == LOSS_ERROR_INVALID_ARGUMENT && r.message == msg);
    CHECK(same(f1, g0) && same_bits(f_norm, W(sentinel)));
    std::vector<T> empty;
    expect_error([&] { loss::clip_by_global_norm({&f1, &empty}, 1); }, LOSS_ERROR_SHAPE,
                 "loss::clip_by_global_norm: shape: ", true);
    expect_error([&] { loss::clip_by_global_norm({&f1, static_cast<std::vector<T>*>(nullptr)}, 1); },
                 LOSS_ERROR_NULL_POINTER, "loss::clip_by_global_norm: ", true);
    CHECK(same(f1, g0));
  }
}

// A custom per-sample loss written in C style: l_i = sum_j (p - t)^2 (no 1/dim), and
// its gradient; the same arithmetic runs through the C callback and the C++ lambda.
template <class T>
loss_status c_style_sse(void* calls, const T* y_true, const T* y_pred, std::size_t batch, std::size_t dim,
                        T* loss, T* grad) {
  ++*static_cast<int*>(calls);
  for (std::size_t i = 0; i < batch; ++i) {
    T s = 0;
    for (std::size_t j = 0; j < dim; ++j) {
      const T d = y_pred[i * dim + j] - y_true[i * dim + j];
      s += d * d;
      if (grad) grad[i * dim + j] = 2 * d;
    }
    loss[i] = s;
  }
  return LOSS_OK;
}

template <class T>
void test_weighted_sum() {
  // T: the data and gradients; W: the weights, total and values, and a custom term's
  // data (the widened data for the half types).
  using W = real<T>;
  context() = std::string("weighted_sum ") + type_name<T>();
  using raw_term = typename loss::term<T>::raw_type;
  auto c = c_twin<T>(loss_weighted_sum_f32, loss_weighted_sum_f64, loss_weighted_sum_bf16, loss_weighted_sum_f16);
  const std::size_t B = 3, D = 2, K = 4;
  const std::vector<T> t = values<T>(B * D, -1, 1, 21), p = values<T>(B * D, -1, 1, 22);
  const std::vector<W> w = values<W>(B, 0.5, 2, 23);
  const std::vector<T> logits = values<T>(B * K, -2, 2, 24);
  const std::vector<W> cw = {1, 2, W(0.5), 1};
  const std::vector<std::int32_t> labels = {3, 0, 1};
  const loss::options huber_opts = loss::options().delta(0.5).reduction(loss::reduction::mean);
  const loss::options sparse_opts = loss::options().from_logits(true);

  // The C call.
  std::vector<T> cg0(B * D, T(sentinel)), cg1(B * K, T(sentinel)), cg2(B * D, T(sentinel));
  std::vector<W> cper(3);
  int c_calls = 0;
  raw_term raw[3] = {};
  raw[0].kind = LOSS_KIND_HUBER;
  raw[0].weight = 0.5;
  raw[0].y_true = bits_of(t.data());
  raw[0].y_pred = bits_of(p.data());
  raw[0].batch = B;
  raw[0].dim = D;
  raw[0].sample_weight = w.data();
  raw[0].options = &huber_opts.raw();
  raw[0].grad_out = bits_of(cg0.data());
  raw[1].kind = LOSS_KIND_SPARSE_CATEGORICAL_CROSSENTROPY;
  raw[1].weight = 2;
  raw[1].labels = labels.data();
  raw[1].y_pred = bits_of(logits.data());
  raw[1].batch = B;
  raw[1].dim = K;
  raw[1].class_weight = cw.data();
  raw[1].options = &sparse_opts.raw();
  raw[1].grad_out = bits_of(cg1.data());
  raw[2].kind = LOSS_KIND_CUSTOM;
  raw[2].weight = 1.5;
  raw[2].y_true = bits_of(t.data());
  raw[2].y_pred = bits_of(p.data());
  raw[2].batch = B;
  raw[2].dim = D;
  raw[2].options = nullptr;
  raw[2].custom = &c_style_sse<W>;
  raw[2].user_data = &c_calls;
  raw[2].grad_out = bits_of(cg2.data());
  W ctotal = W(sentinel);
  CHECK(c(raw, 3, &ctotal, cper.data()) == LOSS_OK);
  CHECK(c_calls == 1);

  // The same through the wrapper: a capturing lambda as the custom loss.
  std::vector<T> g0(B * D, T(sentinel)), g1(B * K, T(sentinel)), g2(B * D, T(sentinel));
  std::vector<W> per(3);
  int calls = 0;
  const std::vector<loss::term<T>> terms = {
      loss::make_term(LOSS_KIND_HUBER, t.data(), p.data(), B, D)
          .weight(0.5)
          .sample_weight(w.data())
          .opts(huber_opts)
          .grad_out(g0.data()),
      loss::sparse_term(labels.data(), logits.data(), B, K)
          .weight(2)
          .class_weight(cw.data())
          .opts(sparse_opts)
          .grad_out(g1.data()),
      loss::custom_term([&calls](const W* yt, const W* yp, std::size_t b, std::size_t d, W* l,
                                 W* g) { return c_style_sse<W>(&calls, yt, yp, b, d, l, g); },
                        t.data(), p.data(), B, D)
          .weight(1.5)
          .grad_out(g2.data())};
  const W total = loss::weighted_sum(terms, per.data());
  CHECK(calls == 1);
  CHECK(same_bits(total, ctotal) && same(per, cper) && same(g0, cg0) && same(g1, cg1) && same(g2, cg2));
  W total2 = W(sentinel);
  loss::weighted_sum(terms.data(), terms.size(), &total2, nullptr);
  CHECK(same_bits(total2, ctotal) && calls == 2);
  W total3 = W(sentinel);
  CHECK(loss::nothrow::weighted_sum(total3, terms).ok() && same_bits(total3, ctotal) && calls == 3);
  // A term is a value: a copy computes the same (its callable is copied along).
  const std::vector<loss::term<T>> copies = terms;
  CHECK(same_bits(loss::weighted_sum(copies), ctotal) && calls == 4);

  // A lambda returning void (= LOSS_OK) equals the C callback alone (C term 2, weight 1.5).
  const loss::term<T> void_term = loss::custom_term(
      [](const W* yt, const W* yp, std::size_t b, std::size_t d, W* l, W* g) {
        int ignored = 0;
        (void)c_style_sse<W>(&ignored, yt, yp, b, d, l, g);
      },
      t.data(), p.data(), B, D);
  W ctotal1 = W(sentinel);
  CHECK(c(&raw[2], 1, &ctotal1, nullptr) == LOSS_OK);
  loss::term<T> void_term_w = void_term;
  void_term_w.weight(1.5);
  CHECK(same_bits(loss::weighted_sum(std::vector<loss::term<T>>{void_term_w}), ctotal1));

  // Errors. Outputs of every term untouched on any error.
  const std::vector<T> g0_before = g0, g1_before = g1, g2_before = g2;
  const std::vector<W> per_before = per;
  auto untouched = [&] {
    return same(g0, g0_before) && same(g1, g1_before) && same(g2, g2_before) && same(per, per_before);
  };
  // (1) The callback returns a status: it comes back with libloss's message.
  int c_fail_calls = 0;
  raw[2].custom = [](void* n, const W*, const W*, std::size_t, std::size_t, W*, W*) -> loss_status {
    ++*static_cast<int*>(n);
    return LOSS_ERROR_LABEL_OUT_OF_RANGE;
  };
  raw[2].user_data = &c_fail_calls;
  CHECK(c(raw, 3, &ctotal, nullptr) == LOSS_ERROR_LABEL_OUT_OF_RANGE);
  const std::string c_msg = c_message();
  std::vector<loss::term<T>> failing = terms;
  failing[2].callback(
      [](const W*, const W*, std::size_t, std::size_t, W*, W*) { return LOSS_ERROR_LABEL_OUT_OF_RANGE; });
  W kept = W(sentinel);
  expect_error([&] { kept = loss::weighted_sum(failing, per.data()); }, LOSS_ERROR_LABEL_OUT_OF_RANGE, c_msg);
  CHECK(untouched() && same_bits(kept, W(sentinel)));
  loss::result r = loss::nothrow::weighted_sum(kept, failing, per.data());
  CHECK(r.status == LOSS_ERROR_LABEL_OUT_OF_RANGE && r.message == c_msg && untouched() &&
        same_bits(kept, W(sentinel)));
  // (2) The callback throws: caught in the trampoline; loss::error keeps its status,
  // bad_alloc is ALLOCATION, anything else PANIC; what() is appended.
  failing[2] =
      loss::custom_term([](const W*, const W*, std::size_t, std::size_t, W*,
                           W*) -> loss_status { throw loss::error(LOSS_ERROR_SHAPE, "rows do not match"); },
                        t.data(), p.data(), B, D);
  expect_error([&] { loss::weighted_sum(failing, per.data()); }, LOSS_ERROR_SHAPE,
               "loss_weighted_sum_" + suffix<T>() + ": term 2: ", true);
  r = loss::nothrow::weighted_sum(kept, failing, per.data());
  CHECK(r.status == LOSS_ERROR_SHAPE && r.message.find("(callback: rows do not match)") != std::string::npos);
  CHECK(untouched() && same_bits(kept, W(sentinel)));
  failing[2].callback(
      [](const W*, const W*, std::size_t, std::size_t, W*, W*) -> loss_status { throw std::bad_alloc(); });
  r = loss::nothrow::weighted_sum(kept, failing, per.data());
  CHECK(r.status == LOSS_ERROR_ALLOCATION && r.message.find("(callback: ") != std::string::npos &&
        untouched());
  failing[2].callback([](const W*, const W*, std::size_t, std::size_t, W*, W*) -> loss_status {
    throw std::logic_error("oops");
  });
  r = loss::nothrow::weighted_sum(kept, failing, per.data());
  CHECK(r.status == LOSS_ERROR_PANIC && r.message.find("(callback: oops)") != std::string::npos &&
        untouched());
  // The next error without a callback exception carries no stale callback text.
  std::vector<loss::term<T>> bad_weight = terms;
  bad_weight[0].weight(-1);
  r = loss::nothrow::weighted_sum(kept, bad_weight, per.data());
  CHECK(r.status == LOSS_ERROR_INVALID_ARGUMENT && r.message.find("callback") == std::string::npos &&
        untouched());
  CHECK(r.message == c_message());
  // (3) No terms.
  expect_error([&] { loss::weighted_sum(std::vector<loss::term<T>>()); }, LOSS_ERROR_SHAPE,
               "loss::weighted_sum: shape: ", true);
  CHECK(c(nullptr, 0, &ctotal, nullptr) == LOSS_ERROR_NULL_POINTER);
  const std::string null_msg = c_message();
  expect_error([&] { loss::weighted_sum(static_cast<const loss::term<T>*>(nullptr), 0, &kept, nullptr); },
               LOSS_ERROR_NULL_POINTER, null_msg);
  CHECK(same_bits(kept, W(sentinel)));
}

}  // namespace

/// Runs every test; returns the number of failed checks (0 = success).
extern "C" int loss_cpp_test_main(void) {
  test_misc();
  test_options();
  test_half_types();
  test_dense<float>();
  test_dense<double>();
  test_dense<loss::bf16>();
  test_dense<loss::f16>();
  test_sparse<float>();
  test_sparse<double>();
  test_sparse<loss::bf16>();
  test_sparse<loss::f16>();
  test_label_losses<float>();
  test_label_losses<double>();
  test_label_losses<loss::bf16>();
  test_label_losses<loss::f16>();
  test_pairs<float>();
  test_pairs<double>();
  test_pairs<loss::bf16>();
  test_pairs<loss::f16>();
  test_sequence<float>();
  test_sequence<double>();
  test_sequence<loss::bf16>();
  test_sequence<loss::f16>();
  test_ctc<float>();
  test_ctc<double>();
  test_ctc<loss::bf16>();
  test_ctc<loss::f16>();
  test_linear<float>();
  test_linear<double>();
  test_linear_half<loss::bf16>();
  test_linear_half<loss::f16>();
  test_linear_shard<float>();
  test_linear_shard<double>();
  test_class_weights<float>();
  test_class_weights<double>();
  test_clip<float>();
  test_clip<double>();
  test_clip<loss::bf16>();
  test_clip<loss::f16>();
  test_weighted_sum<float>();
  test_weighted_sum<double>();
  test_weighted_sum<loss::bf16>();
  test_weighted_sum<loss::f16>();
  std::printf("loss.hpp: %d checks, %d failed\n", cpptest::checks(), cpptest::failures());
  return cpptest::failures();
}
