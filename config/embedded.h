/* embedded.h - default data files compiled into the binary (SKU catalog, model presets, OpenAPI
 * contract). */
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

/* embedded_models - the bytes of config/models.json (model presets); static, not NUL-terminated. */
const char *embedded_models(size_t *len);

#endif
