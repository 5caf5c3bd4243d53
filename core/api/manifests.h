/* manifests.h - Kubernetes manifests that run a chosen layout: a KAITO Workspace or an LWS. */
#ifndef VRAMFIT_MANIFESTS_H
#define VRAMFIT_MANIFESTS_H

#include <stdbool.h>
#include <stddef.h>

#include "api/deploy.h"
#include "base/jsonout.h"
#include "memory/engine.h"

/* The container images the manifests run. vLLM's is the release the per-GPU constants were
 * measured on (llm-d-incubation/llm-d-planner docs/accuracy/vllm-v0.19.0-accuracy-report.md, see
 * core/memory/vllm.c); SGLang's defaults come from a pull request, not a release, so its image is
 * the project's rolling tag, as in kubernetes-sigs/lws docs/examples/sglang/lws.yaml. */
#define MANIFESTS_VLLM_IMAGE   "vllm/vllm-openai:v0.19.0"
#define MANIFESTS_SGLANG_IMAGE "lmsysorg/sglang:latest"

/* Longest shell command manifests_shell_join writes: every word quoted at its worst ('\'' for
 * each byte) plus separators. */
#define MANIFESTS_MAX_COMMAND (DEPLOY_MAX_ARGS * (4 * DEPLOY_MAX_ARG + 3) + 1)

struct manifests_in {
    enum engine engine;             /* ENGINE_NONE is served with vLLM */
    const struct deploy_argv *argv; /* deploy_build's argv for this layout */
    const char *model;              /* Hugging Face id, or NULL (metadata names use "model") */
    const char *instance_type;      /* the Azure VM size */
    bool amd;                       /* AMD GPUs: amd.com/gpu, else nvidia.com/gpu */
    int gpus;                       /* GPUs per VM the layout uses (tensor parallel) */
    int nodes;                      /* VMs (pipeline stages) */
};

/*
 * manifests_write - writes, into the object w is writing, the manifest a platform team applies
 * for the layout: with one VM, "kaito", a KAITO Workspace (kaito.sh/v1beta1: resource.instanceType
 * and count, inference.template running the argv); with several VMs, "leaderworkerset", a
 * LeaderWorkerSet (leaderworkerset.x-k8s.io/v1) of one group of nodes pods (vLLM: Ray leader and
 * workers, as in kubernetes-sigs/lws docs/examples/vllm/GPU/lws.yaml; SGLang: --dist-init-addr
 * and --node-rank, as in docs/examples/sglang/lws.yaml) pinned to the size by
 * node.kubernetes.io/instance-type. Errors stick in w.
 */
void manifests_write(struct jsonout *w, const struct manifests_in *in);

/*
 * manifests_shell_join - the n words of argv as one POSIX shell command line into out (size
 * bytes, NUL-terminated): words of [A-Za-z0-9_./:=@%+,-] as they are, others in single quotes.
 * Returns 0, or -ENOSPC when it does not fit (out then holds the words that did). A size of
 * MANIFESTS_MAX_COMMAND holds any deploy_argv.
 */
int manifests_shell_join(const char *const *argv, int n, char *out, size_t size);

#endif
