/* check_util.h - shared helpers for the Check suites: main(), fixture paths, float comparison. */
#ifndef VRAMFIT_CHECK_UTIL_H
#define VRAMFIT_CHECK_UTIL_H

#include <check.h>
#include <math.h>
#include <stdlib.h>

#ifndef TEST_DATA_DIR
#define TEST_DATA_DIR "tests/data"
#endif

/* Relative comparison: the seed-parity contract is 1e-9 relative on every number. */
#define ck_assert_rel(actual, expected, rel)                                                       \
    do {                                                                                           \
        double a_ = (actual), e_ = (expected);                                                     \
        double d_ = fabs(a_ - e_), m_ = fabs(e_) > 1e-300 ? fabs(e_) : 1.0;                        \
        ck_assert_msg(d_ / m_ <= (rel), "%s = %.17g, expected %.17g (rel %.3g)", #actual, a_, e_,  \
                      d_ / m_);                                                                    \
    } while (0)

/* One Check binary per module: each file ends with CHECK_MAIN(<module>_suite). */
#define CHECK_MAIN(suite_fn)                                                                       \
    int main(void)                                                                                 \
    {                                                                                              \
        SRunner *sr = srunner_create(suite_fn());                                                  \
        srunner_run_all(sr, CK_NORMAL);                                                            \
        int failed = srunner_ntests_failed(sr);                                                    \
        srunner_free(sr);                                                                          \
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;                                          \
    }

#endif
