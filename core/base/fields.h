/* fields.h - strict readers for request fields: type, range, integer-ness, unknown keys. */
#ifndef VRAMFIT_FIELDS_H
#define VRAMFIT_FIELDS_H

#include <jansson.h>
#include <stdbool.h>

#include "base/error.h"

/*
 * Each reader looks up key in obj. When the key is absent it returns 0 and leaves *out alone
 * (so callers preset defaults) and sets *present (if not NULL) to false. When present but wrong
 * it returns -EINVAL with err naming prefix+key and the rule (status 400). On success it writes
 * *out and sets *present to true.
 *
 * prefix is prepended to key in error paths ("hf_config." ...); pass "" for top-level fields.
 */

/* A finite number in [min, max]; with min_exclusive, strictly greater than min. */
int fields_number(const json_t *obj, const char *prefix, const char *key, double min, double max,
                  bool min_exclusive, double *out, bool *present, struct error_info *err);

/* An integer in [min, max]. A JSON real is accepted only when it has no fractional part. */
int fields_int(const json_t *obj, const char *prefix, const char *key, long long min, long long max,
               long long *out, bool *present, struct error_info *err);

/* true or false (not 0/1, not "true"). */
int fields_bool(const json_t *obj, const char *prefix, const char *key, bool *out, bool *present,
                struct error_info *err);

/* A string of 1..max_len bytes. *out is borrowed from obj. */
int fields_string(const json_t *obj, const char *prefix, const char *key, size_t max_len,
                  const char **out, bool *present, struct error_info *err);

/*
 * fields_reject_unknown - fails on the first key of obj not in the NULL-terminated list known,
 * with a "did you mean" hint when a known key is close (edit distance). Status 400,
 * code "unknown_field".
 */
int fields_reject_unknown(const json_t *obj, const char *prefix, const char *const *known,
                          struct error_info *err);

/*
 * fields_mutable - jansson's iteration API takes json_t * even for reads; this drops const without
 * a cast-qual warning. Only for read-only iteration of values the caller must not modify.
 */
static inline json_t *fields_mutable(const json_t *j)
{
    union {
        const json_t *c;
        json_t *m;
    } u = {j};
    return u.m;
}

/*
 * fields_reject_unknown_in - as fields_reject_unknown, with the accepted names spread over several
 * NULL-terminated lists (lists itself ends with NULL), so each module keeps its own field table.
 */
int fields_reject_unknown_in(const json_t *obj, const char *prefix, const char *const *const *lists,
                             struct error_info *err);

/*
 * A request object's field table: one row per accepted field with its kind and bounds. The owning
 * module indexes its table by its own enum of fields (designated initializers), reads each field
 * with fields_read where its cross-field rules need it, and passes the tables to
 * fields_reject_unknown_tables for the unknown-field error and its did-you-mean hint. Adding a
 * row is adding a field: it is then accepted, typed, bounded and suggested.
 */
enum field_type {
    FIELD_NUMBER, /* finite number in [min, max]; min exclusive with .min_exclusive */
    FIELD_INT,    /* integer in [min, max] */
    FIELD_BOOL,   /* true or false */
    FIELD_STRING, /* string of 1..max bytes */
    FIELD_OTHER,  /* object, array or union decoded by the owning module (only the name is here) */
};

struct field_spec {
    const char *name;
    enum field_type type;
    double min, max;
    bool min_exclusive;
};

struct field_table {
    const struct field_spec *rows;
    size_t n;
};

/* What fields_read found; only the member of the row's kind is set, and only when present. */
struct field_value {
    bool present;
    double number;      /* FIELD_NUMBER */
    long long integer;  /* FIELD_INT */
    bool boolean;       /* FIELD_BOOL */
    const char *string; /* FIELD_STRING, borrowed from obj */
};

/*
 * fields_read - reads spec->name from obj by the row's kind and bounds, with the errors of
 * fields_number / fields_int / fields_bool / fields_string (400 naming prefix+name). FIELD_OTHER
 * only reports presence. On success *out is reset and filled; on error -EINVAL and *out is
 * untouched. No allocation.
 */
int fields_read(const json_t *obj, const char *prefix, const struct field_spec *spec,
                struct field_value *out, struct error_info *err);

/*
 * fields_table_has - true when name is a row of one of tables[0..n). fields_reject_unknown_tables
 * - as fields_reject_unknown_in, with the accepted names taken from the tables (at most
 * FIELDS_MAX_NAMES rows in all; more is a 500 "internal", a programming error).
 */
#define FIELDS_MAX_NAMES 128
bool fields_table_has(const struct field_table *tables, size_t n, const char *name);
int fields_reject_unknown_tables(const json_t *obj, const char *prefix,
                                 const struct field_table *tables, size_t n,
                                 struct error_info *err);

/*
 * fields_name_index - the index of s in an enum's name table (names[0..n), a designated-initializer
 * table indexed by the enum; NULL rows are skipped), or -ENOENT (also when s is NULL). No
 * allocation.
 */
int fields_name_index(const char *const *names, size_t n, const char *s);

/*
 * fields_name_list - writes the table's names joined by ", " into dst (size > 0; truncated to
 * fit, always terminated), for "use one of: ..." messages. No allocation.
 */
void fields_name_list(const char *const *names, size_t n, char *dst, size_t size);

/* fields_closest - the known key nearest to key within a small edit distance, or NULL. */
const char *fields_closest(const char *key, const char *const *known);

#endif
