/* testapi.c - the service's answers as JSON trees for tests, built the way the server builds them.
 */
#include "support/testapi.h"

#include <check.h>
#include <errno.h>

#include "api/api.h"
#include "api/skusquery.h"
#include "base/buf.h"
#include "base/jsonout.h"

int testapi_estimate(const struct catalog *cat, const char *today, const json_t *body, json_t **out,
                     struct error_info *err)
{
    struct buf text;
    json_t *tree = NULL;
    buf_init(&text, JSONOUT_MAX);
    int rc = api_estimate_write(cat, today, body, 0, &text, err);
    if (rc == 0) {
        json_error_t jerr;
        tree = json_loadb(text.data, text.len, 0, &jerr);
        ck_assert_msg(tree != NULL, "answer is not JSON (%s): %s", jerr.text, text.data);
    }
    buf_free(&text);
    if (rc == 0)
        *out = tree;
    return rc;
}

json_t *testapi_skus(const struct catalog *cat, const char *today)
{
    struct skus_query q;
    struct error_info err;
    json_t *out = NULL;
    error_clear(&err);
    ck_assert_msg(skus_query_parse(NULL, 0, &q, &err) == 0, "default /skus query: %s", err.message);
    ck_assert_msg(skus_query_list(cat, today, &q, &out, &err) == 0, "/skus listing: %s",
                  err.message);
    return out;
}
