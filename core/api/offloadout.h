/* offloadout.h - the offloaded layout in the answer: memory per GPU and host, speed bound, argv. */
#ifndef VRAMFIT_OFFLOADOUT_H
#define VRAMFIT_OFFLOADOUT_H

#include "api/notes.h"
#include "api/refine.h"
#include "base/jsonout.h"
#include "choice/pick.h"
#include "memory/offload.h"

/*
 * offloadout_input - the offload_in of a refined request with offload != none: the model's
 * parameters (borrowed: params and arch must outlive *out), its weight bits (bytes_per_param x 8
 * for experts and the rest alike) and the KV bytes of every sequence. gpus is set per layout.
 */
void offloadout_input(const struct refine *r, const struct arch *arch, const struct params *params,
                      double bytes_per_param, double kv_bytes, struct offload_in *out);

/*
 * offloadout_check - the layout in asks for is possible for this model (auto checked as
 * cpu_experts): the 422s of offload_plan (offload_layers above the MoE layers, a resident count
 * outside 1..E-1) before any size is ranked, so a bad layout is an error, not "nothing fits".
 */
int offloadout_check(const struct offload_in *in, struct error_info *err);

/*
 * offloadout_write - writes "offload": {...} for the chosen candidate c (NULL: nothing fits):
 * mode, whether the layout is offloaded ("slower": true then), the experts' placement, GPU and
 * host memory against the VM's, and the tokens/s bound with its link, bandwidth and sources.
 */
void offloadout_write(struct jsonout *w, const struct refine *r, const struct pick_candidate *c);

/* offloadout_deploy - "deploy": {...} for an offloaded c: llama.cpp, with ktransformers beside it
 * (every layer's experts on the CPU) and, for an MLA model (DeepSeek-V2/V3/R1), ktransformers'
 * own GPU budget for one sequence of ctx tokens (core/memory/ktrans.h); on_demand has no
 * mainstream engine (argv null). The GGUF named is r->gguf, else the one nearest the request's
 * precision (fp16 F16, bf16 BF16, int8 Q8_0, int4 Q4_0; others F16). arch and params are the
 * request's resolved model (borrowed). */
void offloadout_deploy(struct jsonout *w, const struct refine *r, const struct pick_candidate *c,
                       const struct arch *arch, const struct params *params, const char *precision,
                       long long ctx, long long batch);

/* offloadout_bound - the tokens/s bound of an offloaded candidate c (0: none known). */
double offloadout_bound(const struct refine *r, const struct pick_candidate *c);

/* offloadout_notes - the assumptions the offloaded answer rests on (reserve, buffers, bound). */
void offloadout_notes(struct notes *n, const struct refine *r, const struct pick_candidate *c);

#endif
