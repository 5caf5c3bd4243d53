/* offloadout.c - writes the offloaded layout: per-GPU and host memory, tokens/s bound, argv. */
#include "api/offloadout.h"

#include <stdio.h>
#include <string.h>

#include "api/deploy.h"
#include "memory/ktrans.h"

void offloadout_input(const struct refine *r, const struct arch *arch, const struct params *params,
                      double bytes_per_param, double kv_bytes, struct offload_in *out)
{
    memset(out, 0, sizeof(*out));
    out->mode = r->offload;
    out->arch = arch;
    out->params = params;
    out->expert_bits = r->gguf_expert_bits > 0 ? r->gguf_expert_bits : bytes_per_param * 8;
    out->other_bits = bytes_per_param * 8;
    out->cpu_layers = r->offload_layers;
    out->resident = r->resident_experts;
    out->hit_rate = r->expert_hit_rate;
    out->kv_bytes = kv_bytes;
    out->gpus = 1;
}

int offloadout_check(const struct offload_in *in, struct error_info *err)
{
    struct offload_in oi = *in;
    struct offload_plan o;
    if (oi.mode == OFFLOAD_AUTO)
        oi.mode = OFFLOAD_CPU_EXPERTS;
    return offload_plan(&oi, &o, err);
}

/* The GGUF a llama.cpp deployment loads for a request that named none. */
static const char *gguf_of(const char *precision)
{
    static const struct {
        const char *precision, *gguf;
    } map[] = {{"fp16", "F16"}, {"bf16", "BF16"}, {"int8", "Q8_0"}, {"int4", "Q4_0"}};
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(map[i].precision, precision) == 0)
            return map[i].gguf;
    return strcmp(precision, "custom") == 0 ? "QUANT" : "F16";
}

/*
 * llama.cpp's --n-cpu-moe N covers blocks 0..N-1 (common/arg.cpp overrides blk.<i>.ffn_*_exps
 * for i < N): the block count that holds the first host_layers MoE layers (DeepSeek's three
 * dense blocks come first).
 */
static long long cpu_moe_blocks(const struct arch *a, int64_t host_layers)
{
    int64_t seen = 0, b = 0;
    while (seen < host_layers && b < a->layers)
        seen += arch_layer_is_moe(a, b++);
    return (long long)b;
}

static void key_num(struct jsonout *w, const char *key, double v)
{
    jsonout_key(w, key);
    jsonout_number(w, v);
}

/* The link that bounds the speed: host memory (experts computed there) or the GPU's host link. */
static double link_gbs(const struct refine *r, const struct catalog_sku *s, const char **link)
{
    (void)r;
    if (r->offload == OFFLOAD_ON_DEMAND) {
        *link = s->pcie_gen > 0 ? "pcie" : "host_link";
        return s->pcie_gbps;
    }
    *link = "host_memory";
    return s->host_memory_gbs;
}

double offloadout_bound(const struct refine *r, const struct pick_candidate *c)
{
    const char *link;
    return c->offloaded ? offload_tokens_bound(&c->off, link_gbs(r, c->sku, &link)) : 0;
}

static void write_memory(struct jsonout *w, const struct pick_candidate *c)
{
    const struct offload_plan *o = &c->off;
    jsonout_key(w, "gpu");
    jsonout_begin_object(w);
    key_num(w, "weights_gb", o->gpu_weights / 1e9);
    key_num(w, "experts_gb", o->gpu_experts / 1e9);
    key_num(w, "kv_gb", o->kv / 1e9);
    key_num(w, "compute_buffer_gb", o->compute_buffer / 1e9);
    key_num(w, "transfer_buffer_gb", o->transfer_buffer / 1e9);
    key_num(w, "total_gb", o->gpu_total / 1e9);
    jsonout_key(w, "gpus");
    jsonout_integer(w, c->gpus);
    key_num(w, "per_gpu_gb", o->gpu_per_gpu / 1e9);
    key_num(w, "gpu_vram_gb", c->sku->vram_gb);
    jsonout_end_object(w);
    jsonout_key(w, "host");
    jsonout_begin_object(w);
    key_num(w, "experts_gb", o->host_experts / 1e9);
    key_num(w, "pinned_gb", o->host_pinned / 1e9);
    key_num(w, "reserve_gb", o->host_reserve / 1e9);
    key_num(w, "total_gb", o->host_total / 1e9);
    key_num(w, "total_gib", o->host_total / 1073741824.0);
    key_num(w, "vm_memory_gib", c->sku->memory_gib);
    jsonout_end_object(w);
}

static void write_experts(struct jsonout *w, const struct offload_plan *o)
{
    jsonout_key(w, "experts");
    jsonout_begin_object(w);
    jsonout_key(w, "moe_layers");
    jsonout_integer(w, o->moe_layers);
    jsonout_key(w, "per_layer");
    jsonout_integer(w, o->experts);
    jsonout_key(w, "top_k");
    jsonout_integer(w, o->top_k);
    jsonout_key(w, "host_layers");
    jsonout_integer(w, o->host_layers);
    jsonout_key(w, "resident_per_layer");
    jsonout_integer(w, o->resident);
    key_num(w, "expert_mb", o->expert_bytes / 1e6);
    jsonout_end_object(w);
}

static void write_speed(struct jsonout *w, const struct refine *r, const struct pick_candidate *c)
{
    const struct offload_plan *o = &c->off;
    const char *link = "";
    double gbs = link_gbs(r, c->sku, &link);
    double bound = offload_tokens_bound(o, gbs);
    jsonout_key(w, "speed");
    jsonout_begin_object(w);
    jsonout_key(w, "link");
    jsonout_string(w, link);
    jsonout_key(w, "bandwidth_gbs");
    if (gbs > 0)
        jsonout_number(w, gbs);
    else
        jsonout_null(w);
    jsonout_key(w, "bandwidth_source");
    if (c->sku->link_source)
        jsonout_string(w, c->sku->link_source);
    else
        jsonout_null(w);
    if (r->offload != OFFLOAD_CPU_EXPERTS && r->offload != OFFLOAD_AUTO) {
        key_num(w, "hit_rate", o->hit_rate);
        jsonout_key(w, "hit_rate_source");
        jsonout_string(w, o->hit_rate_defaulted
                              ? "default: resident / experts, a fixed resident set under "
                                "uniform routing"
                              : "given");
    }
    key_num(w, "bytes_per_token", o->bytes_per_token);
    jsonout_key(w, "tokens_per_s_bound");
    if (bound > 0)
        jsonout_number(w, bound);
    else
        jsonout_null(w);
    char text[200];
    if (bound > 0)
        snprintf(text, sizeof(text),
                 "tokens/s (one sequence) is bounded by %.1f: %.2f GB per token over %.1f GB/s "
                 "of %s; a bound, not a promise",
                 bound, o->bytes_per_token / 1e9, gbs, link);
    else
        snprintf(text, sizeof(text), "no bound: the catalog gives no %s bandwidth for this size",
                 link);
    jsonout_key(w, "statement");
    jsonout_string(w, text);
    jsonout_end_object(w);
}

void offloadout_write(struct jsonout *w, const struct refine *r, const struct pick_candidate *c)
{
    jsonout_key(w, "offload");
    jsonout_begin_object(w);
    jsonout_key(w, "mode");
    jsonout_string(w, offload_mode_name(r->offload));
    bool on = c != NULL && c->offloaded;
    jsonout_key(w, "offloaded");
    jsonout_bool(w, on);
    if (on) {
        jsonout_key(w, "layout");
        jsonout_string(
            w, offload_mode_name(r->offload == OFFLOAD_AUTO ? OFFLOAD_CPU_EXPERTS : r->offload));
        jsonout_key(w, "slower");
        jsonout_bool(w, true);
        write_experts(w, &c->off);
        write_memory(w, c);
        write_speed(w, r, c);
    }
    jsonout_end_object(w);
}

/* ktransformers' own GPU bytes (its rule file lays DeepSeek out unlike llama.cpp); MLA only. */
static void write_ktrans(struct jsonout *w, const struct arch *arch, const struct params *params,
                         long long ctx)
{
    struct ktrans_gpu k;
    struct error_info err;
    if (ktrans_gpu(arch, params, (double)ctx, &k, &err) < 0)
        return;
    jsonout_key(w, "ktransformers_gpu");
    jsonout_begin_object(w);
    key_num(w, "marlin_int4_gb", k.marlin / 1e9);
    key_num(w, "kv_b_proj_gb", k.kv_b / 1e9);
    key_num(w, "routers_gb", k.routers / 1e9);
    key_num(w, "lm_head_gb", k.lm_head / 1e9);
    key_num(w, "norms_gb", k.norms / 1e9);
    key_num(w, "kv_gb", k.kv / 1e9);
    key_num(w, "total_gb", k.total / 1e9);
    jsonout_key(w, "source");
    jsonout_string(w, KTRANS_SOURCE " optimize_rules/DeepSeek-V3-Chat.yaml");
    jsonout_key(w, "note");
    jsonout_string(w, "on cuda:0, one sequence of ctx tokens; attention, dense MLPs and shared "
                      "experts in Marlin int4 (4.5 bits), kv_b_proj bf16 twice (itself and the "
                      "absorbed copies), gates fp32, lm_head bf16; not counted: CUDA context, CUDA "
                      "graphs, prefill scratch");
    jsonout_end_object(w);
}

void offloadout_deploy(struct jsonout *w, const struct refine *r, const struct pick_candidate *c,
                       const struct arch *arch, const struct params *params, const char *precision,
                       long long ctx, long long batch)
{
    const struct offload_plan *o = &c->off;
    struct deploy_offload_in in = {
        .model = r->hf_id ? r->hf_id : r->model,
        .gguf = r->gguf ? r->gguf : gguf_of(precision),
        .gpus = c->gpus,
        .cpu_layers = o->host_layers == o->moe_layers ? o->moe_layers
                                                      : cpu_moe_blocks(&r->arch, o->host_layers),
        .moe_layers = o->moe_layers,
        .ctx = ctx,
        .batch = batch,
        .threads = c->sku->vcpus,
    };
    struct deploy_argv a;
    jsonout_key(w, "deploy");
    jsonout_begin_object(w);
    jsonout_key(w, "engine");
    bool demand = r->offload == OFFLOAD_ON_DEMAND;
    jsonout_string(w, demand ? "none" : "llama.cpp");
    jsonout_key(w, "argv");
    if (demand) {
        jsonout_null(w);
        jsonout_key(w, "note");
        jsonout_string(w, "expert buffering with a resident set has no mainstream engine flag; "
                          "llama.cpp and ktransformers compute host experts on the CPU instead "
                          "(offload \"cpu_experts\")");
        jsonout_end_object(w);
        return;
    }
    deploy_build_llamacpp(&in, &a);
    jsonout_begin_array(w);
    for (int i = 0; i < a.n; i++)
        jsonout_string(w, a.arg[i]);
    jsonout_end_array(w);
    if (o->host_layers == o->moe_layers) {
        deploy_build_ktransformers(&in, &a);
        jsonout_key(w, "ktransformers_argv");
        jsonout_begin_array(w);
        for (int i = 0; i < a.n; i++)
            jsonout_string(w, a.arg[i]);
        jsonout_end_array(w);
        write_ktrans(w, arch, params, ctx);
    }
    jsonout_end_object(w);
}

void offloadout_notes(struct notes *n, const struct refine *r, const struct pick_candidate *c)
{
    if (c == NULL || !c->offloaded) {
        if (r->offload == OFFLOAD_AUTO)
            notes_add(n, "offload auto: the chosen size holds every expert on its GPUs");
        return;
    }
    notes_add(n,
              "offloaded layout (slower than all-GPU): routed experts of %lld of %lld MoE layers "
              "in host RAM%s",
              (long long)c->off.host_layers, (long long)c->off.moe_layers,
              r->offload == OFFLOAD_AUTO ? " (offload auto: the all-GPU layout does not fit this "
                                           "size)"
                                         : "");
    notes_add(n,
              "host RAM reserve %.0f GiB for the OS and the engine process (Ubuntu 20.04 LTS "
              "system memory, help.ubuntu.com/community/Installation/SystemRequirements)",
              OFFLOAD_HOST_RESERVE_GIB);
    notes_add(n,
              "GPU compute buffer: f32 logits of one %d-token micro-batch (llama.cpp's default "
              "n_ubatch, common/common.h); the GPU share is split evenly over the GPUs (-sm layer)",
              OFFLOAD_UBATCH);
    if (r->offload == OFFLOAD_ON_DEMAND)
        notes_add(n, "on_demand: a transfer buffer of two layers' top-k experts on the GPU (one in "
                     "use, one arriving) and the same pinned in host RAM");
}
