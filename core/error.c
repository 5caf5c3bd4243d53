/* error.c - fills the fixed-size error record shared by core and server. */
#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int error_set(struct error_info *err, int status, const char *code, const char *field,
              const char *fmt, ...)
{
    if (err == NULL)
        return -EINVAL;
    err->status = status;
    snprintf(err->code, sizeof(err->code), "%s", code ? code : "error");
    snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return -EINVAL;
}

void error_clear(struct error_info *err)
{
    if (err == NULL)
        return;
    memset(err, 0, sizeof(*err));
}
