/* fields.h - strict readers for request fields: type, range, integer-ness, unknown keys. */
#ifndef VRAMFIT_FIELDS_H
#define VRAMFIT_FIELDS_H

#include <jansson.h>
#include <stdbool.h>

#include "base/error.h"

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
    /*
     * Names people type for this field that edit distance cannot map ("context" is 4 edits from
     * "ctx"): NULL-terminated, or NULL. Never accepted; an unknown key equal to one gets "did you
     * mean <name>". Only unambiguous ones: a word that could mean two fields is no alias.
     */
    const char *const *aliases;
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
 * fields_read - reads spec->name from obj by the row's kind and bounds. Absent: 0 with
 * out->present false. Present but of the wrong type or out of bounds: -EINVAL with err naming
 * prefix+name and the rule (status 400). FIELD_OTHER only reports presence. On success *out is
 * reset and filled; on error -EINVAL and *out is untouched. No allocation.
 */
int fields_read(const json_t *obj, const char *prefix, const struct field_spec *spec,
                struct field_value *out, struct error_info *err);

/*
 * fields_table_has - true when name is a row of one of tables[0..n). fields_reject_unknown_tables
 * - fails on the first key of obj that is no row of the tables, with a "did you mean" hint when the
 * key is a row's alias or a row is close (edit distance): 400 "unknown_field" naming prefix+key
 * (at most FIELDS_MAX_NAMES rows in all; more is a 500 "internal", a programming error).
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

/*
 * fields_edit_distance - the Levenshtein distance between a and b (ASCII case ignored when
 * fold_case), for "did you mean" hints over field, model, family and size names. SIZE_MAX when
 * either is longer than FIELDS_DISTANCE_MAX bytes: names are shorter, so a longer string is far
 * from everything (and the table row stays on the stack). No errors.
 */
#define FIELDS_DISTANCE_MAX 128
size_t fields_edit_distance(const char *a, const char *b, bool fold_case);

/* fields_closest - the known key nearest to key within a small edit distance, or NULL. */
const char *fields_closest(const char *key, const char *const *known);

#endif
