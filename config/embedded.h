/* embedded.h - default data files compiled into the binary (SKU catalog, OpenAPI contract). */
#ifndef VRAMFIT_EMBEDDED_H
#define VRAMFIT_EMBEDDED_H

#include <stddef.h>

/* embedded_catalog - the bytes of config/azure-gpu-skus.json; static storage, not NUL-terminated.
 */
const char *embedded_catalog(size_t *len);

/* embedded_openapi_yaml - the bytes of openapi.yaml (the API contract); static, not NUL-terminated.
 */
const char *embedded_openapi_yaml(size_t *len);

/* embedded_openapi_json - config/openapi.json, generated from openapi.yaml (make openapi). */
const char *embedded_openapi_json(size_t *len);

#endif
