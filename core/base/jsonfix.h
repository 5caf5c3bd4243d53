/* jsonfix.h - reads the non-JSON numbers Python writes (Infinity, -Infinity, NaN) as null. */
#ifndef VRAMFIT_JSONFIX_H
#define VRAMFIT_JSONFIX_H

#include <stddef.h>

/* Largest text jsonfix_nonfinite rewrites (the request body cap and the Hub's config.json cap
 * are both below it); longer input is refused with -E2BIG. */
#define JSONFIX_MAX_INPUT (16u * 1024 * 1024)

/*
 * jsonfix_nonfinite - Python's json module (and so every Hugging Face config.json that
 * transformers saves) writes float('inf') and float('nan') as the bare tokens Infinity, -Infinity
 * and NaN, which JSON and jansson refuse (Nemotron-H's "time_step_limit": [0.0, Infinity]). This
 * copies text[0..len) replacing each such token outside strings by null; when key is not NULL only
 * inside the value of that key of the top-level object ("hf_config"), elsewhere the text is kept
 * as it is. A token counts only when it stands alone (between JSON delimiters or whitespace):
 * "NaNa" or a string "Infinity" is left alone.
 * On success returns the number of tokens replaced (0: *out is NULL, nothing to do) and, when it
 * is > 0, *out is a new NUL-terminated buffer of *out_len bytes the caller frees. Errors:
 * -E2BIG when len > JSONFIX_MAX_INPUT, -ENOMEM. The text need not be valid JSON: the scan only
 * tracks strings, nesting and the top-level keys.
 */
int jsonfix_nonfinite(const char *text, size_t len, const char *key, char **out, size_t *out_len);

#endif
