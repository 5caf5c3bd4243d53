/* testcat.h - the embedded SKU catalog, loaded for a test. */
#ifndef VRAMFIT_TESTCAT_H
#define VRAMFIT_TESTCAT_H

#include "azure/catalog.h"

/* testcat_embedded - a new snapshot of the compiled-in catalog (caller catalog_unref()s it); the
 * test fails if it does not load. */
struct catalog *testcat_embedded(void);

#endif
