/* embedded.h - default data files compiled into the binary (SKU catalog, model presets). */
#ifndef VRAMFIT_EMBEDDED_H
#define VRAMFIT_EMBEDDED_H

#include <stddef.h>

/* embedded_catalog - the bytes of config/azure-gpu-skus.json; static storage, not NUL-terminated.
 */
const char *embedded_catalog(size_t *len);

/* embedded_models - the bytes of config/models.json (model presets); static, not NUL-terminated. */
const char *embedded_models(size_t *len);

#endif
