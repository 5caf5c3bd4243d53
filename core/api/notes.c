/* notes.c - the "assumptions" of an answer, gathered while computing and written at the end. */
#include "api/notes.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void notes_init(struct notes *n)
{
    buf_init(&n->text, NOTES_MAX_BYTES);
    n->n = 0;
    n->rc = 0;
}

void notes_add(struct notes *n, const char *fmt, ...)
{
    char one[NOTES_ONE_MAX];
    va_list ap;
    if (n->rc != 0)
        return;
    va_start(ap, fmt);
    int len = vsnprintf(one, sizeof(one), fmt, ap);
    va_end(ap);
    if (len < 0)
        len = 0;
    if ((size_t)len >= sizeof(one))
        len = (int)sizeof(one) - 1;
    /* One reservation up front: the answer's notes rarely pass 4 KiB. */
    if (n->text.data == NULL && (n->rc = buf_reserve(&n->text, 4096)) != 0)
        return;
    n->rc = buf_append(&n->text, one, (size_t)len + 1); /* with its NUL: the separator */
    if (n->rc == 0)
        n->n++;
}

int notes_write(const struct notes *n, struct jsonout *w)
{
    if (n->rc != 0)
        return n->rc;
    jsonout_begin_array(w);
    const char *p = n->text.data;
    for (size_t i = 0; i < n->n; i++) {
        size_t len = strlen(p);
        jsonout_string_len(w, p, len);
        p += len + 1;
    }
    jsonout_end_array(w);
    return 0;
}

void notes_free(struct notes *n)
{
    buf_free(&n->text);
    n->n = 0;
}
