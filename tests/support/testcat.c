/* testcat.c - loads the embedded SKU catalog for the Check suites. */
#include "support/testcat.h"

#include <check.h>
#include <stddef.h>

#include "config/embedded.h"

struct catalog *testcat_embedded(void)
{
    size_t len;
    const char *data = embedded_catalog(&len);
    struct catalog *cat = NULL;
    struct error_info err;
    ck_assert_msg(catalog_load(data, len, "embedded", &cat, &err) == 0, "embedded catalog: %s",
                  err.message);
    return cat;
}
