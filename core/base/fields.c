/* fields.c - typed, range-checked access to JSON request fields with errors that name the rule. */
#include "base/fields.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "unknown";
}

/* prefix + key, truncated to n - 1 bytes. Runs for every field of every request: no printf. */
static void full_path(char *dst, size_t n, const char *prefix, const char *key)
{
    size_t o = 0;
    for (const char *parts[2] = {prefix ? prefix : "", key}, **p = parts; p < parts + 2; p++)
        for (const char *c = *p; *c && o + 1 < n; c++)
            dst[o++] = *c;
    dst[o] = '\0';
}

/* Prints a bound without trailing zeros: 1, 0.5, 1000000. */
static void fmt_bound(char *dst, size_t n, double v)
{
    snprintf(dst, n, "%.15g", v);
}

/*
 * The readers behind fields_read, one per kind: v is the value of key, which fields_read found
 * present. Wrong type or out of bounds: -EINVAL with err naming prefix+key ("hf_config." ...) and
 * the rule (status 400). On success they write *out.
 */

/* A finite number in [min, max]; with min_exclusive, strictly greater than min. */
static int read_number(const json_t *v, const char *prefix, const char *key, double min, double max,
                       bool min_exclusive, double *out, struct error_info *err)
{
    char path[128], lo[32], hi[32];
    double d = json_is_number(v) ? json_number_value(v) : 0;
    if (json_is_number(v) && isfinite(d) && (min_exclusive ? d > min : d >= min) && d <= max) {
        *out = d;
        return 0;
    }
    /* Only the error path pays for formatting (the bounds' %.15g showed in the profile). */
    full_path(path, sizeof(path), prefix, key);
    fmt_bound(lo, sizeof(lo), min);
    fmt_bound(hi, sizeof(hi), max);
    if (!json_is_number(v))
        return error_set(err, 400, "invalid_type", path,
                         "%s must be a number %s %s and <= %s, not %s", path,
                         min_exclusive ? ">" : ">=", lo, hi, type_name(v));
    return error_set(err, 400, "out_of_range", path, "%s must be a number %s %s and <= %s", path,
                     min_exclusive ? ">" : ">=", lo, hi);
}

/* An integer in [min, max]. A JSON real is accepted only when it has no fractional part. */
static int read_int(const json_t *v, const char *prefix, const char *key, long long min,
                    long long max, long long *out, struct error_info *err)
{
    char path[128];
    full_path(path, sizeof(path), prefix, key);
    long long x;
    if (json_is_integer(v)) {
        x = json_integer_value(v);
    } else if (json_is_real(v)) {
        double d = json_real_value(v);
        if (!isfinite(d) || d != floor(d))
            return error_set(err, 400, "invalid_type", path,
                             "%s must be an integer between %lld and %lld, not a fraction", path,
                             min, max);
        if (d < (double)min || d > (double)max)
            return error_set(err, 400, "out_of_range", path,
                             "%s must be an integer between %lld and %lld", path, min, max);
        x = (long long)d;
    } else {
        return error_set(err, 400, "invalid_type", path,
                         "%s must be an integer between %lld and %lld, not %s", path, min, max,
                         type_name(v));
    }
    if (x < min || x > max)
        return error_set(err, 400, "out_of_range", path,
                         "%s must be an integer between %lld and %lld", path, min, max);
    *out = x;
    return 0;
}

/* true or false (not 0/1, not "true"). */
static int read_bool(const json_t *v, const char *prefix, const char *key, bool *out,
                     struct error_info *err)
{
    char path[128];
    full_path(path, sizeof(path), prefix, key);
    if (!json_is_boolean(v))
        return error_set(err, 400, "invalid_type", path, "%s must be true or false, not %s", path,
                         type_name(v));
    *out = json_is_true(v);
    return 0;
}

/* A string of 1..max_len bytes. *out is borrowed from obj. */
static int read_string(const json_t *v, const char *prefix, const char *key, size_t max_len,
                       const char **out, struct error_info *err)
{
    char path[128];
    full_path(path, sizeof(path), prefix, key);
    if (!json_is_string(v))
        return error_set(err, 400, "invalid_type", path, "%s must be a string, not %s", path,
                         type_name(v));
    size_t len = json_string_length(v);
    if (len == 0 || len > max_len)
        return error_set(err, 400, "out_of_range", path,
                         "%s must be a string of 1 to %zu characters", path, max_len);
    *out = json_string_value(v);
    return 0;
}

size_t fields_edit_distance(const char *a, const char *b, bool fold_case)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > FIELDS_DISTANCE_MAX || lb > FIELDS_DISTANCE_MAX)
        return SIZE_MAX;
    size_t row[FIELDS_DISTANCE_MAX + 1]; /* one row of the Levenshtein table */
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            int ca = (unsigned char)a[i - 1], cb = (unsigned char)b[j - 1];
            if (fold_case) {
                ca = tolower(ca);
                cb = tolower(cb);
            }
            size_t best = diag + (ca != cb);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static const char *closest_in(const char *key, const char *const *const *lists)
{
    size_t limit = strlen(key) / 3;
    if (limit < 2)
        limit = 2;
    const char *best = NULL;
    size_t best_d = limit + 1;
    for (size_t l = 0; lists[l] != NULL; l++) {
        for (size_t i = 0; lists[l][i] != NULL; i++) {
            size_t d = fields_edit_distance(key, lists[l][i], false);
            if (d < best_d) {
                best_d = d;
                best = lists[l][i];
            }
        }
    }
    return best;
}

const char *fields_closest(const char *key, const char *const *known)
{
    const char *const *lists[] = {known, NULL};
    return closest_in(key, lists);
}

/*
 * Fails on the first key of obj in none of the NULL-terminated lists (lists itself ends with
 * NULL), with a "did you mean" hint when an accepted key is close (edit distance). Status 400,
 * code "unknown_field".
 */
static int fields_reject_unknown_in(const json_t *obj, const char *prefix,
                                    const char *const *const *lists, struct error_info *err)
{
    const char *key;
    const json_t *val;
    json_object_foreach(fields_mutable(obj), key, val)
    {
        (void)val;
        bool ok = false;
        for (size_t l = 0; lists[l] != NULL && !ok; l++)
            for (size_t i = 0; lists[l][i] != NULL && !ok; i++)
                ok = strcmp(key, lists[l][i]) == 0;
        if (ok)
            continue;
        char path[128];
        snprintf(path, sizeof(path), "%s%.100s", prefix ? prefix : "", key);
        const char *hint = closest_in(key, lists);
        if (hint)
            return error_set(err, 400, "unknown_field", path,
                             "%s is not a known field (did you mean \"%s%s\"?)", path,
                             prefix ? prefix : "", hint);
        return error_set(err, 400, "unknown_field", path, "%s is not a known field", path);
    }
    return 0;
}

/* fields_reject_unknown_in over one NULL-terminated list. */
static int fields_reject_unknown(const json_t *obj, const char *prefix, const char *const *known,
                                 struct error_info *err)
{
    const char *const *lists[] = {known, NULL};
    return fields_reject_unknown_in(obj, prefix, lists, err);
}

int fields_name_index(const char *const *names, size_t n, const char *s)
{
    if (s == NULL)
        return -ENOENT;
    for (size_t i = 0; i < n; i++)
        if (names[i] && strcmp(names[i], s) == 0)
            return (int)i;
    return -ENOENT;
}

void fields_name_list(const char *const *names, size_t n, char *dst, size_t size)
{
    dst[0] = '\0';
    size_t len = 0;
    for (size_t i = 0; i < n && len < size; i++) {
        if (names[i] == NULL)
            continue;
        int w = snprintf(dst + len, size - len, "%s%s", len ? ", " : "", names[i]);
        if (w < 0)
            break;
        len += (size_t)w;
    }
}

int fields_read(const json_t *obj, const char *prefix, const struct field_spec *spec,
                struct field_value *out, struct error_info *err)
{
    struct field_value v;
    memset(&v, 0, sizeof(v));
    const json_t *j = json_object_get(obj, spec->name);
    int rc = 0;
    if (j == NULL) { /* absent: present stays false, the caller keeps its default */
        *out = v;
        return 0;
    }
    switch (spec->type) {
    case FIELD_NUMBER:
        rc = read_number(j, prefix, spec->name, spec->min, spec->max, spec->min_exclusive,
                         &v.number, err);
        break;
    case FIELD_INT:
        rc = read_int(j, prefix, spec->name, (long long)spec->min, (long long)spec->max, &v.integer,
                      err);
        break;
    case FIELD_BOOL:
        rc = read_bool(j, prefix, spec->name, &v.boolean, err);
        break;
    case FIELD_STRING:
        rc = read_string(j, prefix, spec->name, (size_t)spec->max, &v.string, err);
        break;
    case FIELD_OTHER:
        break;
    }
    if (rc < 0)
        return rc;
    v.present = true;
    *out = v;
    return 0;
}

bool fields_table_has(const struct field_table *tables, size_t n, const char *name)
{
    for (size_t t = 0; t < n; t++)
        for (size_t i = 0; i < tables[t].n; i++)
            if (strcmp(tables[t].rows[i].name, name) == 0)
                return true;
    return false;
}

/* The row of tables whose aliases list key, or NULL. */
static const struct field_spec *alias_row(const struct field_table *tables, size_t n,
                                          const char *key)
{
    for (size_t t = 0; t < n; t++)
        for (size_t i = 0; i < tables[t].n; i++)
            for (const char *const *a = tables[t].rows[i].aliases; a && *a; a++)
                if (strcmp(*a, key) == 0)
                    return &tables[t].rows[i];
    return NULL;
}

int fields_reject_unknown_tables(const json_t *obj, const char *prefix,
                                 const struct field_table *tables, size_t n, struct error_info *err)
{
    const char *key;
    const json_t *val;
    json_object_foreach(fields_mutable(obj), key, val)
    {
        (void)val;
        const struct field_spec *row;
        if (fields_table_has(tables, n, key) || (row = alias_row(tables, n, key)) == NULL)
            continue;
        char path[128];
        snprintf(path, sizeof(path), "%s%.100s", prefix ? prefix : "", key);
        return error_set(err, 400, "unknown_field", path,
                         "%s is not a known field (did you mean \"%s%s\"?)", path,
                         prefix ? prefix : "", row->name);
    }
    const char *names[FIELDS_MAX_NAMES + 1];
    size_t k = 0;
    for (size_t t = 0; t < n; t++) {
        for (size_t i = 0; i < tables[t].n; i++) {
            if (k == FIELDS_MAX_NAMES)
                return error_set(err, 500, "internal", "", "more than %d accepted fields",
                                 FIELDS_MAX_NAMES);
            names[k++] = tables[t].rows[i].name;
        }
    }
    names[k] = NULL;
    return fields_reject_unknown(obj, prefix, names, err);
}
