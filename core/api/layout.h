/* layout.h - the answer's "parallelism" block: the layout chosen, what it assumed, alternatives. */
#ifndef VRAMFIT_LAYOUT_H
#define VRAMFIT_LAYOUT_H

#include <stdbool.h>

#include "base/jsonout.h"
#include "choice/pick.h"

/*
 * layout_write - writes the "parallelism" object for candidate c (an engine fit of pin): its
 * degrees (tensor/pipeline/data/expert parallel, decode context parallel, redundant experts),
 * whether the request fixed them, experts and weights per GPU, how the KV cache is split, the
 * deployment's KV capacity in tokens, the router imbalance assumed, and "alternatives": the other
 * layouts of the same GPUs (TP, EP + DP, and TP + DCP for MLA models) with their weights and KV
 * capacity, so the difference is visible. Errors stick in w.
 */
void layout_write(struct jsonout *w, const struct pick_in *pin, const struct pick_candidate *c);

/* layout_imbalance - the router imbalance c was fitted with (the request's or the default). */
double layout_imbalance(const struct pick_in *pin, const struct pick_candidate *c);

#endif
