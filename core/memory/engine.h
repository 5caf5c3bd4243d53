/* engine.h - the serving engines whose memory layout the per-GPU fit follows (a closed set). */
#ifndef VRAMFIT_ENGINE_H
#define VRAMFIT_ENGINE_H

#include <stddef.h>

/*
 * "engine": ENGINE_NONE is the field's absence (the seed's total_gb rule; not a value a client
 * sends); ENGINE_VLLM follows vLLM's profiler (memory/vllm.h); ENGINE_SGLANG follows SGLang's
 * mem_fraction_static rule (memory/sglang.h). The name table is engine_names (engine.c); a new
 * value fails the build in engine_name's switch until it is named there.
 */
enum engine { ENGINE_NONE = 0, ENGINE_VLLM, ENGINE_SGLANG };
#define ENGINE_COUNT (ENGINE_SGLANG + 1)

/* What a client may send as "engine": every engine from here on (ENGINE_NONE is not sent). */
#define ENGINE_FIRST_SENT ENGINE_VLLM

/* The names, indexed by enum engine, NULL-terminated ("none", "vllm", "sglang"). */
extern const char *const engine_names[ENGINE_COUNT + 1];

/* engine_name - the request name of e (static storage; "?" only outside the enum). */
const char *engine_name(enum engine e);

#endif
