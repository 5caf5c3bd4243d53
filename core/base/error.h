/* error.h - the one error record core fills for callers: HTTP status, code, blamed field, rule. */
#ifndef VRAMFIT_ERROR_H
#define VRAMFIT_ERROR_H

#include <stdarg.h>

/* Fixed-size so the error path never allocates (the json_error_t shape). */
struct error_info {
    int status;      /* HTTP status the server should answer with (400, 413, 415, 422, ...) */
    char code[40];   /* stable machine-readable code, e.g. "invalid_field" */
    char field[128]; /* JSON path of the field to blame ("layers", "hf_config.hidden_size"); "" if
                        none */
    char message[1024]; /* human sentence stating the rule that was broken (the supported-family
                           list of an unsupported model fits whole) */
};

/*
 * error_set - fills *err (if err is not NULL) and returns -EINVAL, so validators can write
 * `return error_set(err, 400, "invalid_field", "layers", "layers must be an integer >= 1");`.
 * field may be NULL. The message is truncated to fit; nothing is allocated.
 */
int error_set(struct error_info *err, int status, const char *code, const char *field,
              const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * error_fix_utf8 - replaces every byte of s that does not start a complete, valid UTF-8 sequence
 * (stray bytes, overlong forms, surrogates, a character cut by truncation) with '?', in place, so
 * s can always go into a JSON string. error_set applies it to field and message.
 */
void error_fix_utf8(char *s);

/* error_clear - resets *err to "no error" (status 0, empty strings). */
void error_clear(struct error_info *err);

#endif
