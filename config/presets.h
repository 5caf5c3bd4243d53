/* presets.h - the compiled-in model presets (config/models.json), loaded once per process. */
#ifndef VRAMFIT_PRESETS_H
#define VRAMFIT_PRESETS_H

#include "model/models.h"

/*
 * presets_builtin - parses the embedded config/models.json on first call (thread-safe, once) and
 * installs it with models_set_builtin. Returns the registry (owned by the process, never freed),
 * or NULL when the embedded document is invalid (a build defect; the tests catch it) or memory
 * ran out; then presets_error() says why.
 */
const struct models *presets_builtin(void);

/* presets_error - why presets_builtin failed ("" if it did not). Static storage. */
const char *presets_error(void);

#endif
