/* engine.c - the serving engines' one name table. */
#include "memory/engine.h"

const char *const engine_names[ENGINE_COUNT + 1] = {
    [ENGINE_NONE] = "none",
    [ENGINE_VLLM] = "vllm",
    [ENGINE_SGLANG] = "sglang",
    [ENGINE_COUNT] = NULL,
};

/* The switch makes a new engine fail the build here until its name row is added. */
const char *engine_name(enum engine e)
{
    switch (e) {
    case ENGINE_NONE:
    case ENGINE_VLLM:
    case ENGINE_SGLANG:
        return engine_names[e];
    }
    return "?";
}
