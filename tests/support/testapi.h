/* testapi.h - the service's answers as JSON trees for tests, built the way the server builds them.
 */
#ifndef VRAMFIT_TESTAPI_H
#define VRAMFIT_TESTAPI_H

#include <jansson.h>

#include "azure/catalog.h"
#include "base/error.h"

/*
 * testapi_estimate - POST /estimate's compact answer for body (api_estimate_write, the server's
 * entry point) read back as a tree. On success *out is a new reference the caller owns. Errors are
 * api_estimate_write's: -EINVAL with err (4xx), -ENOMEM (err left clear).
 */
int testapi_estimate(const struct catalog *cat, const char *today, const json_t *body, json_t **out,
                     struct error_info *err);

/*
 * testapi_skus - GET /skus without query parameters as the server builds it (skus_query_list over
 * the default query): every size in choice order with its "retired" flag for today. New reference;
 * the test fails if it cannot be built.
 */
json_t *testapi_skus(const struct catalog *cat, const char *today);

#endif
