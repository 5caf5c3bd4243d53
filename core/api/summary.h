/* summary.h - the views of a POST /estimate answer: the full answer, or its summary. */
#ifndef VRAMFIT_SUMMARY_H
#define VRAMFIT_SUMMARY_H

#include <jansson.h>

#include "base/error.h"
#include "base/jsonout.h"

/* ?view= of POST /estimate. */
enum api_view {
    API_VIEW_FULL = 0, /* every member (the default) */
    API_VIEW_SUMMARY,  /* the choice, per-GPU breakdown, KV capacity, price and launch command */
};
#define API_VIEW_COUNT 2

/* The views' names, indexed by enum api_view, NULL-terminated. */
extern const char *const api_view_names[API_VIEW_COUNT + 1];

/* Alternatives a summary lists after the choice (the next candidates in rank order). */
#define SUMMARY_ALTERNATIVES 3

/*
 * api_view_parse - the view named value (exact, lower case). Errors: -EINVAL with a 400
 * "invalid_parameter" naming the field "view" and listing the views. Does not allocate.
 */
int api_view_parse(const char *value, enum api_view *out, struct error_info *err);

/*
 * summary_write - writes the summary of answer (a full POST /estimate answer of any kind, as
 * parsed back from its text) into w: a projection of it under the same member names, so the
 * summary never says anything the full answer does not. Its "kind" is the answer's ("seed" when
 * it has none: the seed's answer keeps its bytes), "view" is "summary". Errors stick in w.
 */
void summary_write(const json_t *answer, struct jsonout *w);

#endif
