/* loss_options can grow: struct_size, loss_options_init(), LOSS_OPTIONS_INIT, and
 * what a library does with an options struct of another layout (docs/API.md,
 * "Options"). test_abi_0_2.c (in c-tests/abi) runs a program built against the
 * frozen 0.2 header. */
#include "ctest.h"

static bool same_options(const loss_options *a, const loss_options *b) {
  return a->struct_size == b->struct_size && a->reduction == b->reduction &&
         a->from_logits == b->from_logits && a->label_smoothing == b->label_smoothing &&
         a->delta == b->delta && a->margin == b->margin && a->epsilon == b->epsilon &&
         a->pos_weight == b->pos_weight && a->gamma == b->gamma && a->alpha == b->alpha &&
         a->apply_class_balancing == b->apply_class_balancing && a->log_input == b->log_input &&
         a->ignore_index == b->ignore_index && a->blank == b->blank &&
         a->zero_infinity == b->zero_infinity && a->batch_first == b->batch_first &&
         a->q == b->q && a->z_loss == b->z_loss && a->beta == b->beta && a->full == b->full &&
         a->poly_epsilon == b->poly_epsilon && a->margin_power == b->margin_power &&
         a->log_target == b->log_target &&
         a->divide_by_target_length == b->divide_by_target_length && a->var_eps == b->var_eps;
}

TEST(defaults_initializer_and_init_agree) {
  static const loss_options from_macro = LOSS_OPTIONS_INIT;
  loss_options d = loss_options_default(), i;
  memset(&i, 0xab, sizeof i);
  CHECK_OK(loss_options_init(&i, sizeof i));
  CHECK(d.struct_size == sizeof(loss_options));
  CHECK(same_options(&d, &from_macro));
  CHECK(same_options(&d, &i));
  CHECK(d.reduction == LOSS_REDUCTION_SUM_OVER_BATCH_SIZE && d.delta == 1.0 &&
        d.epsilon == 1e-7 && d.ignore_index == LOSS_NO_IGNORE);
  return true;
}

TEST(init_rejects_what_is_no_layout_and_writes_nothing) {
  unsigned char buf[sizeof(loss_options) + 64];
  size_t sizes[] = {0, 1, 8, sizeof(loss_options) - 8, sizeof(loss_options) - 1, (size_t)1 << 20,
                    SIZE_MAX};
  for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    loss_options o;
    memset(&o, 0x5a, sizeof o);
    unsigned char before[sizeof o];
    memcpy(before, &o, sizeof o);
    CHECK_STATUS(loss_options_init(&o, sizes[k]), LOSS_ERROR_INVALID_ARGUMENT);
    CHECK(memcmp(before, &o, sizeof o) == 0);
    CHECK_MESSAGE_HAS("loss_options_init: options.struct_size is");
  }
  CHECK_STATUS(loss_options_init(NULL, sizeof(loss_options)), LOSS_ERROR_NULL_POINTER);
  CHECK_STATUS(loss_options_init((loss_options *)(void *)(buf + 4), sizeof(loss_options)),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("not aligned");
  return true;
}

TEST(a_zeroed_options_struct_is_an_error) {
  float t[2] = {0, 1}, p[2] = {1, 1}, out = -1.0f;
  loss_options zero;
  memset(&zero, 0, sizeof zero);
  CHECK_STATUS(loss_mean_squared_error_f32(t, p, 1, 2, NULL, &zero, &out, NULL),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK(out == -1.0f);
  CHECK_MESSAGE_HAS("options.struct_size is 0: initialise options with loss_options_default()");
  return true;
}

/* A caller built against a newer header: its struct is larger. */
typedef struct {
  loss_options known;
  double newer_field_a;
  double newer_field_b;
} newer_options;

TEST(a_newer_layout_works_while_its_new_fields_are_zero) {
  float t[2] = {0, 1}, p[2] = {1, 3}, out = -1.0f;
  newer_options n;
  memset(&n, 0x77, sizeof n);
  /* loss_options_init fills this library's defaults and zeros what it does not know. */
  CHECK_OK(loss_options_init(&n.known, sizeof n));
  CHECK(n.known.struct_size == sizeof n && n.newer_field_a == 0.0 && n.newer_field_b == 0.0);
  n.known.reduction = LOSS_REDUCTION_SUM;
  CHECK_OK(loss_mean_squared_error_f32(t, p, 1, 2, NULL, &n.known, &out, NULL));
  CHECK(out == 2.5f);
  /* A field this library does not know, set: refused, nothing written. */
  n.newer_field_b = 0.5;
  out = -1.0f;
  CHECK_STATUS(loss_mean_squared_error_f32(t, p, 1, 2, NULL, &n.known, &out, NULL),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK(out == -1.0f);
  CHECK_MESSAGE_HAS("the program was built against a newer header");
  return true;
}

TEST(an_impossible_struct_size_is_an_error) {
  float t[2] = {0, 1}, p[2] = {1, 3}, out = -1.0f;
  loss_options o = loss_options_default();
  o.struct_size = sizeof(loss_options) - 8; /* no layout has this size */
  CHECK_STATUS(loss_mean_squared_error_f32(t, p, 1, 2, NULL, &o, &out, NULL),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("not the size of any loss_options layout");
  CHECK(out == -1.0f);
  return true;
}

TEST(weighted_sum_terms_point_to_their_options) {
  float t[2] = {0, 1}, p[2] = {1, 3}, total = -1.0f, direct = 0.0f;
  loss_options sum = loss_options_default();
  sum.reduction = LOSS_REDUCTION_SUM;
  CHECK_OK(loss_huber_f32(t, p, 1, 2, NULL, &sum, &direct, NULL));
  loss_term_f32 term;
  memset(&term, 0, sizeof term);
  term.kind = LOSS_KIND_HUBER;
  term.weight = 1.0;
  term.y_true = t;
  term.y_pred = p;
  term.batch = 1;
  term.dim = 2;
  term.options = &sum;
  CHECK_OK(loss_weighted_sum_f32(&term, 1, &total, NULL));
  CHECK(total == direct);
  term.options = NULL; /* the defaults: SUM_OVER_BATCH_SIZE */
  CHECK_OK(loss_weighted_sum_f32(&term, 1, &total, NULL));
  CHECK(total == direct / 1.0f); /* one sample: the same value */
  loss_options zero;
  memset(&zero, 0, sizeof zero);
  term.options = &zero;
  CHECK_STATUS(loss_weighted_sum_f32(&term, 1, &total, NULL), LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("term 0: options.struct_size is 0");
  return true;
}

SUITE(options) {
  RUN(defaults_initializer_and_init_agree);
  RUN(init_rejects_what_is_no_layout_and_writes_nothing);
  RUN(a_zeroed_options_struct_is_an_error);
  RUN(a_newer_layout_works_while_its_new_fields_are_zero);
  RUN(an_impossible_struct_size_is_an_error);
  RUN(weighted_sum_terms_point_to_their_options);
}
