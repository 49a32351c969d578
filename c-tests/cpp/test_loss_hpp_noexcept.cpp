// include/loss.hpp in code built with -fno-exceptions (build.rs compiles this file so,
// with -std=c++17 -Wall -Wextra -Wpedantic -Werror): only loss::nothrow exists, and
// every family works through it. Run by `cargo test -p c-tests` (tests/cpp.rs).
#include <cmath>

#include "check.hpp"

static_assert(LOSS_HPP_EXCEPTIONS == 0, "this file must be compiled with -fno-exceptions");

namespace {

void test_dense() {
  context() = "noexcept dense";
  const std::vector<double> t = values<double>(6, 0, 1, 31), p = values<double>(6, 0, 1, 32);
  std::vector<double> cl(1), cg(6);
  CHECK(loss_log_cosh_f64(t.data(), p.data(), 2, 3, nullptr, nullptr, cl.data(), cg.data()) == LOSS_OK);
  loss::output<double> out;
  loss::result r = loss::nothrow::log_cosh(out, t, p, 2);
  CHECK(r.ok() && same(out.loss, cl) && same(out.grad, cg));
  std::vector<double> l(1, sentinel), g(6, sentinel);
  r = loss::nothrow::log_cosh(t.data(), p.data(), 2, 3, nullptr, loss::options(), l.data(), g.data());
  CHECK(r.ok() && same(l, cl) && same(g, cg));

  // An error: status and message of the C call, outputs untouched.
  const std::vector<double> l0 = l, g0 = g;
  r = loss::nothrow::huber(t.data(), p.data(), 2, 3, nullptr, loss::options().delta(-1), l.data(), g.data());
  loss_options bad = loss_options_default();
  bad.delta = -1;
  CHECK(loss_huber_f64(t.data(), p.data(), 2, 3, nullptr, &bad, l.data(), g.data()) ==
        LOSS_ERROR_INVALID_ARGUMENT);
  CHECK(!r && r.status == LOSS_ERROR_INVALID_ARGUMENT && r.message == c_message() && same(l, l0) &&
        same(g, g0));
  const loss::output<double> kept = out;
  r = loss::nothrow::huber(out, t, p, 4);
  CHECK(r.status == LOSS_ERROR_SHAPE && r.message.rfind("loss::huber: shape: ", 0) == 0);
  CHECK(same(out.loss, kept.loss) && same(out.grad, kept.grad));
}

void test_sparse_and_clip() {
  context() = "noexcept sparse, class weights, clip";
  const std::vector<std::int32_t> labels = {1, 0};
  const std::vector<float> logits = values<float>(6, -1, 1, 33), cw = {1, 2, 3};
  std::vector<float> cl(1), cg(6);
  const loss::options o = loss::options().from_logits(true);
  CHECK(loss_sparse_categorical_crossentropy_f32(labels.data(), logits.data(), 2, 3, nullptr, cw.data(),
                                                 &o.raw(), cl.data(), cg.data()) == LOSS_OK);
  loss::output<float> out;
  CHECK(loss::nothrow::sparse_categorical_crossentropy(out, labels, logits, o, true, nullptr, &cw).ok());
  CHECK(same(out.loss, cl) && same(out.grad, cg));

  std::vector<float> sw;
  CHECK(loss::nothrow::class_weights_to_sample_weights(sw, labels, cw).ok() &&
        sw == std::vector<float>({2, 1}));

  std::vector<float> a = {3, 4}, b = {12};
  float norm = 0;
  CHECK(loss::nothrow::clip_by_global_norm(norm, {&a, &b}, 6.5f).ok());
  CHECK(norm == 13 && a == std::vector<float>({1.5f, 2}) && b == std::vector<float>({6}));
  CHECK(loss::nothrow::clip_by_norm(norm, a, 1.25f).ok() && norm == 2.5f);
  CHECK(a == std::vector<float>({0.75f, 1}));
  CHECK(loss::nothrow::clip_by_value(a, 0.0f, 0.8f).ok() && a == std::vector<float>({0.75f, 0.8f}));
  const loss::result r = loss::nothrow::clip_by_value(a, 1.0f, 0.0f);
  CHECK(r.status == LOSS_ERROR_INVALID_ARGUMENT && !r.message.empty() &&
        a == std::vector<float>({0.75f, 0.8f}));
}

void test_sequence_and_ctc() {
  context() = "noexcept sequence, ctc";
  const std::vector<std::int32_t> targets = {1, 2, 0, 2};
  const std::vector<float> logits = values<float>(12, -1, 1, 34);
  const loss::options o = loss::options().from_logits(true);
  std::vector<float> cl(1), cg(12);
  CHECK(loss_sequence_crossentropy_f32(targets.data(), logits.data(), nullptr, 2, 2, 3, nullptr, &o.raw(),
                                       cl.data(), cg.data()) == LOSS_OK);
  loss::output<float> out;
  CHECK(loss::nothrow::sequence_crossentropy(out, targets, logits, 2, o).ok());
  CHECK(same(out.loss, cl) && same(out.grad, cg));

  // CTC: 3 frames, 1 sample, alphabet {blank, a}, label "a"; with a workspace.
  const std::vector<double> acts = values<double>(6, -1, 1, 35);
  const std::int32_t label = 1, label_length = 1, input_length = 3;
  std::size_t bytes = 0;
  CHECK(loss::nothrow::ctc_workspace_size(3, 1, 2, 1, &bytes).ok() && bytes > 0);
  std::vector<unsigned char> ws(bytes);
  double c_loss = 0, loss = sentinel;
  CHECK(loss_ctc_f64(acts.data(), &label, &label_length, &input_length, 3, 1, 2, &o.raw(), &c_loss,
                     nullptr) == LOSS_OK);
  CHECK(loss::nothrow::ctc_with_workspace(acts.data(), &label, &label_length, &input_length, 3, 1, 2, o,
                                          &loss, nullptr, ws.data(), ws.size())
            .ok());
  CHECK(same_bits(loss, c_loss));
  loss::output<double> ctc_out;
  CHECK(loss::nothrow::ctc(ctc_out, acts, {1}, {1}, {3}, 3, o).ok() && same_bits(ctc_out.value(), c_loss));
  const loss::result r = loss::nothrow::ctc(ctc_out, acts, {0}, {1}, {3}, 3, o);  // the blank as a label
  CHECK(r.status == LOSS_ERROR_LABEL_OUT_OF_RANGE && r.message.rfind("loss_ctc_f64: ", 0) == 0);
  CHECK(same_bits(ctc_out.value(), c_loss));
}

void test_half() {
  context() = "noexcept half";
  // bf16 dense, f16 label loss: the C function's loss and gradient bits.
  const std::vector<float> tf = values<float>(6, 0, 1, 36), pf = values<float>(6, 0.05, 0.95, 37);
  const std::vector<loss::bf16> t(tf.begin(), tf.end()), p(pf.begin(), pf.end());
  const std::vector<float> w = {0.5f, 2};
  float cl = 0;
  std::vector<loss::bf16> cg(6);
  CHECK(loss_binary_crossentropy_bf16(reinterpret_cast<const loss_bf16*>(t.data()),
                                      reinterpret_cast<const loss_bf16*>(p.data()), 2, 3, w.data(), nullptr,
                                      &cl, reinterpret_cast<loss_bf16*>(cg.data())) == LOSS_OK);
  loss::output<loss::bf16> out;
  loss::result r = loss::nothrow::binary_crossentropy(out, t, p, 2, loss::options(), true, &w);
  CHECK(r.ok() && same_bits(out.value(), cl) && same(out.grad, cg));

  const std::vector<std::int32_t> labels = {2, 0};
  const std::vector<loss::f16> logits(pf.begin(), pf.end());
  const loss::options o = loss::options().from_logits(true);
  float cl2 = 0, l2 = sentinel;
  std::vector<loss::f16> cg2(6), g2(6);
  CHECK(loss_sparse_categorical_crossentropy_f16(labels.data(),
                                                 reinterpret_cast<const loss_f16*>(logits.data()), 2, 3,
                                                 nullptr, nullptr, &o.raw(), &cl2,
                                                 reinterpret_cast<loss_f16*>(cg2.data())) == LOSS_OK);
  r = loss::nothrow::sparse_categorical_crossentropy(labels.data(), logits.data(), 2, 3, nullptr, nullptr, o,
                                                     &l2, g2.data());
  CHECK(r.ok() && same_bits(l2, cl2) && same(g2, cg2));

  // A bad label: the C status and message, nothing written.
  const std::vector<std::int32_t> bad = {2, 3};
  const std::vector<loss::f16> g0 = g2;
  r = loss::nothrow::sparse_categorical_crossentropy(bad.data(), logits.data(), 2, 3, nullptr, nullptr, o,
                                                     &l2, g2.data());
  CHECK(r.status == LOSS_ERROR_LABEL_OUT_OF_RANGE &&
        r.message.rfind("loss_sparse_categorical_crossentropy_f16", 0) == 0);
  CHECK(same_bits(l2, cl2) && same(g2, g0));
}

// The half twins of CTC, sequence CE, a pair loss, clipping and weighted sums through
// loss::nothrow: the C function's bits; an error's status and message, nothing written.
void test_half_functions() {
  context() = "noexcept half functions";
  const loss::options o = loss::options().from_logits(true);
  // CTC, f16: 3 frames, 1 sample, alphabet {blank, a}, label "a".
  const std::vector<float> af = values<float>(6, -1, 1, 38);
  const std::vector<loss::f16> acts(af.begin(), af.end());
  const std::int32_t label = 1, label_length = 1, input_length = 3;
  float c_loss = 0;
  std::vector<loss::f16> c_grad(6);
  CHECK(loss_ctc_f16(reinterpret_cast<const loss_f16*>(acts.data()), &label, &label_length, &input_length, 3, 1,
                     2, &o.raw(), &c_loss, reinterpret_cast<loss_f16*>(c_grad.data())) == LOSS_OK);
  loss::output<loss::f16> ctc_out;
  CHECK(loss::nothrow::ctc(ctc_out, acts, {1}, {1}, {3}, 3, o).ok());
  CHECK(same_bits(ctc_out.value(), c_loss) && same(ctc_out.grad, c_grad));
  const loss::output<loss::f16> ctc_kept = ctc_out;
  loss::result r = loss::nothrow::ctc(ctc_out, acts, {0}, {1}, {3}, 3, o);  // the blank as a label
  CHECK(r.status == LOSS_ERROR_LABEL_OUT_OF_RANGE && r.message.rfind("loss_ctc_f16: ", 0) == 0);
  CHECK(same(ctc_out.loss, ctc_kept.loss) && same(ctc_out.grad, ctc_kept.grad));

  // Sequence cross-entropy, bf16.
  const std::vector<std::int32_t> targets = {1, 2, 0, 2};
  const std::vector<float> lf = values<float>(12, -1, 1, 39);
  const std::vector<loss::bf16> logits(lf.begin(), lf.end());
  float s_loss = 0;
  std::vector<loss::bf16> s_grad(12);
  CHECK(loss_sequence_crossentropy_bf16(targets.data(), reinterpret_cast<const loss_bf16*>(logits.data()),
                                        nullptr, 2, 2, 3, nullptr, &o.raw(), &s_loss,
                                        reinterpret_cast<loss_bf16*>(s_grad.data())) == LOSS_OK);
  loss::output<loss::bf16> seq_out;
  CHECK(loss::nothrow::sequence_crossentropy(seq_out, targets, logits, 2, o).ok());
  CHECK(same_bits(seq_out.value(), s_loss) && same(seq_out.grad, s_grad));

  // Margin ranking, f16: a y that is not ±1.
  const std::vector<loss::f16> x1(af.begin(), af.begin() + 2), x2(af.begin() + 2, af.begin() + 4),
      y = {loss::f16(1.0f), loss::f16(0.5f)};
  float m_loss = sentinel;
  std::vector<loss::f16> g1(2, loss::f16(7.0f));
  r = loss::nothrow::margin_ranking(x1.data(), x2.data(), y.data(), 2, nullptr, o, &m_loss, g1.data(), nullptr);
  CHECK(r.status == LOSS_ERROR_LABEL_OUT_OF_RANGE && r.message.rfind("loss_margin_ranking_f16: ", 0) == 0);
  CHECK(same_bits(m_loss, float(sentinel)) && g1[0].bits() == loss::f16(7.0f).bits());

  // Clipping, bf16: the norm is float; a bad clip_norm changes nothing.
  std::vector<loss::bf16> a = {loss::bf16(3.0f), loss::bf16(4.0f)}, b = {loss::bf16(12.0f)};
  float norm = 0;
  CHECK(loss::nothrow::clip_by_global_norm(norm, {&a, &b}, 6.5f).ok());
  CHECK(norm == 13 && float(a[0]) == 1.5f && float(a[1]) == 2 && float(b[0]) == 6);
  CHECK(loss::nothrow::clip_by_norm(norm, a, 1.25f).ok() && norm == 2.5f);
  CHECK(float(a[0]) == 0.75f && float(a[1]) == 1);
  const std::vector<loss::bf16> a0 = a;
  r = loss::nothrow::clip_by_norm(norm, a, -1.0f);
  CHECK(r.status == LOSS_ERROR_INVALID_ARGUMENT && r.message.rfind("loss_clip_by_norm_bf16: ", 0) == 0);
  CHECK(same(a, a0) && norm == 2.5f);
  CHECK(loss::nothrow::clip_by_value(a, 0.0f, 0.8f).ok() && float(a[1]) == float(loss::bf16(0.8f)));

  // A weighted sum of f16 terms: MSE and a custom term on the widened float data.
  const std::vector<loss::f16> t = {loss::f16(0.0f), loss::f16(1.0f), loss::f16(2.0f), loss::f16(3.0f)},
                               p(4, loss::f16(1.0f));
  std::vector<loss::f16> mse_grad(4), custom_grad(4);
  int calls = 0;
  std::vector<loss::term<loss::f16>> terms = {
      loss::make_term(LOSS_KIND_MEAN_SQUARED_ERROR, t.data(), p.data(), 2, 2).grad_out(mse_grad.data()),
      loss::custom_term(
          [&calls](const float* yt, const float* yp, std::size_t bt, std::size_t d, float* l, float* g) {
            ++calls;
            for (std::size_t i = 0; i < bt; ++i) {
              l[i] = 0;
              for (std::size_t j = 0; j < d; ++j) {
                const float e = yp[i * d + j] - yt[i * d + j];
                l[i] += 0.5f * e * e;
                if (g) g[i * d + j] = e;
              }
            }
          },
          t.data(), p.data(), 2, 2)
          .weight(2)
          .grad_out(custom_grad.data())};
  float total = 0, per[2] = {0, 0};
  CHECK(loss::nothrow::weighted_sum(total, terms, per).ok() && calls == 1);
  // e = p - t = {1, 0, -1, -2}: MSE (1 + 0 + 1 + 4) / 4 = 1.5; custom (0.5 + 2.5) / 2 = 1.5.
  CHECK(per[0] == 1.5f && per[1] == 1.5f && total == 4.5f);
  CHECK(float(custom_grad[0]) == 1 && float(custom_grad[3]) == -2 && float(mse_grad[3]) == -1);
  terms[0].weight(-1);
  float kept = sentinel;
  r = loss::nothrow::weighted_sum(kept, terms);
  CHECK(r.status == LOSS_ERROR_INVALID_ARGUMENT && r.message.rfind("loss_weighted_sum_f16: ", 0) == 0);
  CHECK(same_bits(kept, float(sentinel)) && calls == 1);
}

void test_weighted_sum() {
  context() = "noexcept weighted_sum";
  const std::vector<double> t = {0, 1, 2, 3}, p = {1, 1, 1, 1};
  std::vector<double> grad(4, sentinel);
  int calls = 0;
  // A custom term computing 0.5 * sum_j (p - t)^2 per sample; the total with weight 2
  // is the sum of squares over the batch, divided by batch (sum_over_batch_size).
  std::vector<loss::term<double>> terms = {loss::custom_term(
      [&calls](const double* yt, const double* yp, std::size_t b, std::size_t d, double* l, double* g) {
        ++calls;
        for (std::size_t i = 0; i < b; ++i) {
          l[i] = 0;
          for (std::size_t j = 0; j < d; ++j) {
            const double e = yp[i * d + j] - yt[i * d + j];
            l[i] += 0.5 * e * e;
            if (g) g[i * d + j] = e;
          }
        }
        return LOSS_OK;
      },
      t.data(), p.data(), 2, 2)};
  terms[0].weight(2).grad_out(grad.data());
  double total = 0;
  CHECK(loss::nothrow::weighted_sum(total, terms).ok() && calls == 1);
  // e = p - t = {1, 0, -1, -2}: 2 * (0.5 + 2.5) / 2 = 3; gradient 2 * e / batch = e.
  CHECK(total == 3.0 && grad == std::vector<double>({1, 0, -1, -2}));

  // A callback's error status aborts the call; nothing written.
  terms[0].callback([](const double*, const double*, std::size_t, std::size_t, double*, double*) {
    return LOSS_ERROR_INVALID_ARGUMENT;
  });
  const std::vector<double> grad0 = grad;
  double kept = sentinel;
  const loss::result r = loss::nothrow::weighted_sum(kept, terms);
  CHECK(r.status == LOSS_ERROR_INVALID_ARGUMENT && r.message.find("term 0") != std::string::npos);
  CHECK(same_bits(kept, sentinel) && grad == grad0);
}

void test_linear() {
  context() = "noexcept linear_cross_entropy";
  // n = 2, h = 2, v = 3, W = 0 and no bias: every logit is 0, so each loss is log 3.
  const std::vector<float> hidden = {1, 0, 0.5f, -1}, zero(6, 0.0f);
  const std::vector<std::int32_t> labels = {0, 2};
  const loss::options o = loss::options().reduction(loss::reduction::none).z_loss(0);
  std::vector<float> l(2, static_cast<float>(sentinel)), gw(6);
  CHECK(loss::nothrow::linear_cross_entropy(hidden.data(), zero.data(), nullptr, labels.data(), 2, 2, 3, nullptr,
                                            o, l.data(), nullptr, gw.data(), nullptr)
            .ok());
  CHECK(std::fabs(l[0] - std::log(3.0f)) < 1e-6f && std::fabs(l[1] - std::log(3.0f)) < 1e-6f);
  // The same bits with a workspace.
  std::size_t bytes = 0;
  CHECK(loss::nothrow::linear_cross_entropy_workspace_size(2, 2, 3, &bytes).ok() && bytes > 0);
  std::vector<unsigned char> ws(bytes);
  std::vector<float> lw(2), gww(6);
  CHECK(loss::nothrow::linear_cross_entropy_with_workspace(hidden.data(), zero.data(), nullptr, labels.data(), 2,
                                                           2, 3, nullptr, o, lw.data(), nullptr, gww.data(),
                                                           nullptr, ws.data(), ws.size())
            .ok());
  CHECK(same(lw, l) && same(gww, gw));
  // A label out of range: the C status and message, nothing written.
  const std::vector<std::int32_t> bad = {0, 3};
  const std::vector<float> l0 = l, gw0 = gw;
  const loss::result r = loss::nothrow::linear_cross_entropy(hidden.data(), zero.data(), nullptr, bad.data(), 2,
                                                             2, 3, nullptr, o, l.data(), nullptr, gw.data(),
                                                             nullptr);
  CHECK(r.status == LOSS_ERROR_LABEL_OUT_OF_RANGE && r.message.rfind("loss_linear_cross_entropy_f32: ", 0) == 0);
  CHECK(same(l, l0) && same(gw, gw0));

  // Half data (bf16, f16): the `_bf16` / `_f16` C function's bits; the loss float.
  const std::vector<float> wf = values<float>(6, -1, 1, 40);
  const std::vector<loss::bf16> hb(hidden.begin(), hidden.end()), wb(wf.begin(), wf.end());
  float cl = 0, hl = sentinel;
  std::vector<loss::bf16> cgh(4), cgw(6), gh(4), gwb(6);
  CHECK(loss_linear_cross_entropy_bf16(reinterpret_cast<const loss_bf16*>(hb.data()),
                                       reinterpret_cast<const loss_bf16*>(wb.data()), nullptr, labels.data(), 2, 2,
                                       3, nullptr, nullptr, &cl, reinterpret_cast<loss_bf16*>(cgh.data()),
                                       reinterpret_cast<loss_bf16*>(cgw.data()), nullptr) == LOSS_OK);
  CHECK(loss::nothrow::linear_cross_entropy(hb.data(), wb.data(), nullptr, labels.data(), 2, 2, 3, nullptr,
                                            loss::options(), &hl, gh.data(), gwb.data(), nullptr)
            .ok());
  CHECK(same_bits(hl, cl) && same(gh, cgh) && same(gwb, cgw));
  const std::vector<loss::f16> hf(hidden.begin(), hidden.end()), wh(wf.begin(), wf.end());
  std::vector<float> cl16(2), l16(2, static_cast<float>(sentinel));
  std::vector<loss::f16> cgb16(3), gb16(3);
  CHECK(loss_linear_cross_entropy_f16(reinterpret_cast<const loss_f16*>(hf.data()),
                                      reinterpret_cast<const loss_f16*>(wh.data()), nullptr, labels.data(), 2, 2, 3,
                                      nullptr, &o.raw(), cl16.data(), nullptr, nullptr,
                                      reinterpret_cast<loss_f16*>(cgb16.data())) == LOSS_OK);
  CHECK(loss::nothrow::linear_cross_entropy(hf.data(), wh.data(), nullptr, labels.data(), 2, 2, 3, nullptr, o,
                                            l16.data(), nullptr, nullptr, gb16.data())
            .ok());
  CHECK(same(l16, cl16) && same(gb16, cgb16));
  // A label out of range: the C status and message, nothing written.
  const std::vector<loss::f16> gb0 = gb16;
  const std::vector<float> l160 = l16;
  const loss::result rh = loss::nothrow::linear_cross_entropy(hf.data(), wh.data(), nullptr, bad.data(), 2, 2, 3,
                                                              nullptr, o, l16.data(), nullptr, nullptr,
                                                              gb16.data());
  CHECK(rh.status == LOSS_ERROR_LABEL_OUT_OF_RANGE &&
        rh.message.rfind("loss_linear_cross_entropy_f16: ", 0) == 0);
  CHECK(same(l16, l160) && same(gb16, gb0));
}

void test_linear_shard() {
  context() = "noexcept linear_cross_entropy_shard_*";
  // As above over two shards, rows [0, 1) and [1, 3): each loss is log 3 again.
  const std::vector<float> hidden = {1, 0, 0.5f, -1}, zero(6, 0.0f);
  const std::vector<std::int32_t> labels = {0, 2};
  const loss::options o = loss::options().reduction(loss::reduction::none);
  const std::size_t K = LOSS_LINEAR_SHARD_STATS, cuts[3] = {0, 1, 3};
  std::vector<float> s0(2 * K), s1(2 * K);
  CHECK(loss::nothrow::linear_cross_entropy_shard_stats(hidden.data(), zero.data(), nullptr, labels.data(), 2, 2,
                                                        3, 0, 1, o, s0.data())
            .ok());
  std::size_t bytes = 0;
  CHECK(loss::nothrow::linear_cross_entropy_workspace_size(2, 2, 2, &bytes).ok());
  std::vector<unsigned char> ws(bytes);
  CHECK(loss::nothrow::linear_cross_entropy_shard_stats(hidden.data(), zero.data() + 2, nullptr, labels.data(), 2,
                                                        2, 3, 1, 3, o, s1.data(), ws.data(), ws.size())
            .ok());
  CHECK(loss::nothrow::linear_cross_entropy_shard_combine(s0.data(), s1.data(), 2).ok());
  for (std::size_t s = 0; s < 2; ++s) {
    const std::size_t v0 = cuts[s], v1 = cuts[s + 1];
    std::vector<float> l(2, static_cast<float>(sentinel)), gw((v1 - v0) * 2);
    CHECK(loss::nothrow::linear_cross_entropy_shard_finish(hidden.data(), zero.data() + v0 * 2, nullptr,
                                                           labels.data(), 2, 2, 3, v0, v1, nullptr, o, s1.data(),
                                                           l.data(), nullptr, gw.data(), nullptr)
              .ok());
    CHECK(std::fabs(l[0] - std::log(3.0f)) < 1e-6f && std::fabs(l[1] - std::log(3.0f)) < 1e-6f);
  }
  // v0 >= v1: the C status and message, nothing written.
  const std::vector<float> kept = s0;
  const loss::result r = loss::nothrow::linear_cross_entropy_shard_stats(hidden.data(), zero.data(), nullptr,
                                                                         labels.data(), 2, 2, 3, 2, 2, o, s0.data());
  CHECK(r.status == LOSS_ERROR_SHAPE && r.message.rfind("loss_linear_cross_entropy_shard_stats_f32: ", 0) == 0);
  CHECK(same(s0, kept));
}

}  // namespace

/// Runs every test; returns the number of failed checks (0 = success).
extern "C" int loss_cpp_noexcept_test_main(void) {
  test_dense();
  test_sparse_and_clip();
  test_sequence_and_ctc();
  test_half();
  test_half_functions();
  test_weighted_sum();
  test_linear();
  test_linear_shard();
  std::printf("loss.hpp without exceptions: %d checks, %d failed\n", cpptest::checks(), cpptest::failures());
  return cpptest::failures();
}
