/* embedded.h - default data files compiled into the binary (SKU catalog). */
#ifndef VRAMFIT_EMBEDDED_H
#define VRAMFIT_EMBEDDED_H

#include <stddef.h>

/* embedded_catalog - the bytes of config/azure-gpu-skus.json; static storage, not NUL-terminated.
 */
const char *embedded_catalog(size_t *len);

#endif
