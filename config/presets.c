/* presets.c - loads the embedded model presets exactly once and installs them for the API. */
#include "config/presets.h"

#include <pthread.h>
#include <stdio.h>

#include "config/embedded.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct models *loaded;
static char why[600];

static void load_once(void)
{
    struct error_info err;
    size_t len;
    const char *data = embedded_models(&len);
    error_clear(&err);
    if (models_load(data, len, &loaded, &err) < 0) {
        snprintf(why, sizeof(why), "embedded model presets are invalid: %.400s (%s)", err.message,
                 err.field);
        loaded = NULL;
        return;
    }
    models_set_builtin(loaded);
}

const struct models *presets_builtin(void)
{
    pthread_once(&once, load_once);
    return loaded;
}

const char *presets_error(void)
{
    return why;
}
