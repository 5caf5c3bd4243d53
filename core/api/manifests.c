/* manifests.c - writes the KAITO Workspace or LeaderWorkerSet that runs a chosen layout. */
#include "api/manifests.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The ports the engines listen on by default (vLLM `vllm serve` 8000; SGLang 30000, which binds
 * 127.0.0.1 unless told --host). The multi-node scripts are the ones LWS's examples run:
 * vllm-project/vllm examples/online_serving/multi-node-serving.sh (commit 7a3bde4c), and SGLang's
 * own --dist-init-addr rendezvous on port 20000 (kubernetes-sigs/lws docs/examples at commit
 * 060ab4da). */
#define VLLM_PORT     8000
#define SGLANG_PORT   30000
#define SGLANG_PORT_S "30000" /* SGLANG_PORT as its --port word */
#define RAY_SCRIPT    "bash /vllm-workspace/examples/online_serving/multi-node-serving.sh"
#define SGLANG_RDV    "$(LWS_LEADER_ADDRESS):20000"
#define MAX_NAME      40 /* metadata.name: a DNS-1123 label, short enough for LWS pod names */
#define INSTANCE_TYPE "node.kubernetes.io/instance-type"

enum role { ROLE_SINGLE, ROLE_LEADER, ROLE_WORKER };

static bool sglang(const struct manifests_in *in)
{
    switch (in->engine) {
    case ENGINE_SGLANG:
        return true;
    case ENGINE_NONE:
    case ENGINE_VLLM:
        return false;
    }
    return false;
}

/* A DNS-1123 label from the model id's last segment ("mistralai/Mixtral-8x7B-v0.1" ->
 * "mixtral-8x7b-v0-1"); "model" when nothing is left. */
static void resource_name(const char *model, char out[MAX_NAME + 1])
{
    const char *m = model ? model : "";
    const char *slash = strrchr(m, '/');
    if (slash)
        m = slash + 1;
    size_t n = 0;
    for (; *m && *m != ' ' && n < MAX_NAME; m++) {
        char c = (char)tolower((unsigned char)*m);
        if (!isalnum((unsigned char)c))
            c = '-';
        if (c == '-' && (n == 0 || out[n - 1] == '-'))
            continue;
        out[n++] = c;
    }
    while (n > 0 && out[n - 1] == '-')
        n--;
    out[n] = '\0';
    if (n == 0)
        snprintf(out, MAX_NAME + 1, "model");
}

static bool plain_word(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && strchr("_./:=@%+,-", *s) == NULL)
            return false;
    return true;
}

int manifests_shell_join(const char *const *argv, int n, char *out, size_t size)
{
    size_t len = 0;
    if (size == 0)
        return -ENOSPC;
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        const char *a = argv[i];
        bool plain = plain_word(a);
        /* This word's bytes: a separator, then the word, or it quoted with '\'' per quote. */
        size_t need = (i > 0) + strlen(a) + (plain ? 0 : 2);
        for (const char *q = a; !plain && *q; q++)
            need += *q == '\'' ? 3 : 0;
        if (len + need + 1 > size)
            return -ENOSPC;
        if (i > 0)
            out[len++] = ' ';
        if (plain) {
            memcpy(out + len, a, strlen(a));
            len += strlen(a);
        } else {
            out[len++] = '\'';
            for (; *a; a++) {
                if (*a == '\'') {
                    memcpy(out + len, "'\\''", 4);
                    len += 4;
                } else {
                    out[len++] = *a;
                }
            }
            out[len++] = '\'';
        }
        out[len] = '\0';
    }
    return 0;
}

static void key_string(struct jsonout *w, const char *key, const char *value)
{
    jsonout_key(w, key);
    jsonout_string(w, value);
}

/* {"key": {"inner": value}} members, the manifests' usual nesting. */
static void key_pair(struct jsonout *w, const char *key, const char *inner, const char *value)
{
    jsonout_key(w, key);
    jsonout_begin_object(w);
    key_string(w, inner, value);
    jsonout_end_object(w);
}

/* The command of one container: the engine's argv as deploy_build made it, made to run in the
 * engine's image and, across nodes, to join the group. */
static void write_command(struct jsonout *w, const struct manifests_in *in, enum role role)
{
    const struct deploy_argv *a = in->argv;
    jsonout_key(w, "command");
    jsonout_begin_array(w);
    if (!sglang(in) && role != ROLE_SINGLE) {
        /* vLLM across nodes: a Ray cluster first (the leader starts its head, workers join). */
        jsonout_string(w, "sh");
        jsonout_string(w, "-c");
        if (role == ROLE_WORKER) {
            jsonout_string(w, RAY_SCRIPT " worker --ray_address=$(LWS_LEADER_ADDRESS)");
        } else {
            const char *words[DEPLOY_MAX_ARGS];
            for (int i = 0; i < a->n; i++)
                words[i] = a->arg[i];
            char *cmd = malloc(MANIFESTS_MAX_COMMAND + 128);
            if (cmd == NULL) {
                jsonout_string(w, NULL);
            } else {
                int off = snprintf(cmd, 128,
                                   RAY_SCRIPT " leader --ray_cluster_size="
                                              "$(LWS_GROUP_SIZE) && exec ");
                manifests_shell_join(words, a->n, cmd + off, MANIFESTS_MAX_COMMAND);
                jsonout_string(w, cmd);
                free(cmd);
            }
        }
        jsonout_end_array(w);
        return;
    }
    for (int i = 0; i < a->n; i++) /* SGLang's image has python3, not python */
        jsonout_string(w, i == 0 && sglang(in) ? "python3" : a->arg[i]);
    if (sglang(in) && role != ROLE_SINGLE) {
        jsonout_string(w, "--dist-init-addr");
        jsonout_string(w, SGLANG_RDV);
        jsonout_string(w, "--node-rank");
        jsonout_string(w, "$(LWS_WORKER_INDEX)");
    }
    if (sglang(in) && role != ROLE_WORKER) {
        jsonout_string(w, "--host");
        jsonout_string(w, "0.0.0.0");
        jsonout_string(w, "--port");
        jsonout_string(w, SGLANG_PORT_S);
    }
    jsonout_end_array(w);
}

/* The engine's container: image, command, port, the GPUs of one VM, a token for gated models
 * (optional) and /dev/shm for the collectives. */
static void write_container(struct jsonout *w, const struct manifests_in *in, enum role role)
{
    jsonout_begin_object(w);
    key_string(w, "name", sglang(in) ? "sglang" : "vllm");
    key_string(w, "image", sglang(in) ? MANIFESTS_SGLANG_IMAGE : MANIFESTS_VLLM_IMAGE);
    write_command(w, in, role);
    if (role != ROLE_WORKER) {
        jsonout_key(w, "ports");
        jsonout_begin_array(w);
        jsonout_begin_object(w);
        jsonout_key(w, "containerPort");
        jsonout_integer(w, sglang(in) ? SGLANG_PORT : VLLM_PORT);
        jsonout_end_object(w);
        jsonout_end_array(w);
    }
    jsonout_key(w, "env");
    jsonout_begin_array(w);
    jsonout_begin_object(w);
    key_string(w, "name", "HF_TOKEN");
    jsonout_key(w, "valueFrom");
    jsonout_begin_object(w);
    jsonout_key(w, "secretKeyRef");
    jsonout_begin_object(w);
    key_string(w, "name", "hf-token");
    key_string(w, "key", "HF_TOKEN");
    jsonout_key(w, "optional");
    jsonout_bool(w, true);
    jsonout_end_object(w);
    jsonout_end_object(w);
    jsonout_end_object(w);
    jsonout_end_array(w);
    char gpus[16];
    snprintf(gpus, sizeof(gpus), "%d", in->gpus);
    jsonout_key(w, "resources");
    jsonout_begin_object(w);
    key_pair(w, "limits", in->amd ? "amd.com/gpu" : "nvidia.com/gpu", gpus);
    jsonout_end_object(w);
    jsonout_key(w, "volumeMounts");
    jsonout_begin_array(w);
    jsonout_begin_object(w);
    key_string(w, "name", "dshm");
    key_string(w, "mountPath", "/dev/shm");
    jsonout_end_object(w);
    jsonout_end_array(w);
    jsonout_end_object(w);
}

/* A pod spec: the container, shared memory, and (across nodes) the VM size it must land on. */
static void write_pod_spec(struct jsonout *w, const struct manifests_in *in, enum role role)
{
    jsonout_key(w, "spec");
    jsonout_begin_object(w);
    if (role != ROLE_SINGLE) /* KAITO places its own pods on the nodes it provisions */
        key_pair(w, "nodeSelector", INSTANCE_TYPE, in->instance_type);
    jsonout_key(w, "containers");
    jsonout_begin_array(w);
    write_container(w, in, role);
    jsonout_end_array(w);
    jsonout_key(w, "volumes");
    jsonout_begin_array(w);
    jsonout_begin_object(w);
    key_string(w, "name", "dshm");
    key_pair(w, "emptyDir", "medium", "Memory");
    jsonout_end_object(w);
    jsonout_end_array(w);
    jsonout_end_object(w);
}

/* KAITO (kaito-project/kaito config/crd/bases/kaito.sh_workspaces.yaml, v1beta1 the served and
 * stored version): resource and inference are top-level members, labelSelector is required;
 * inference.template is a pod template KAITO runs on the nodes it provisions. */
static void write_kaito(struct jsonout *w, const struct manifests_in *in, const char *name)
{
    jsonout_key(w, "kaito");
    jsonout_begin_object(w);
    key_string(w, "apiVersion", "kaito.sh/v1beta1");
    key_string(w, "kind", "Workspace");
    key_pair(w, "metadata", "name", name);
    jsonout_key(w, "resource");
    jsonout_begin_object(w);
    key_string(w, "instanceType", in->instance_type);
    jsonout_key(w, "count");
    jsonout_integer(w, in->nodes);
    jsonout_key(w, "labelSelector");
    jsonout_begin_object(w);
    key_pair(w, "matchLabels", "apps", name);
    jsonout_end_object(w);
    jsonout_end_object(w);
    jsonout_key(w, "inference");
    jsonout_begin_object(w);
    jsonout_key(w, "template");
    jsonout_begin_object(w);
    write_pod_spec(w, in, ROLE_SINGLE);
    jsonout_end_object(w);
    jsonout_end_object(w);
    jsonout_end_object(w);
}

/* LeaderWorkerSet (kubernetes-sigs/lws config/crd/bases/leaderworkerset.x-k8s.io_leaderworkersets
 * .yaml, v1): one replica, a group of nodes pods, restarted together when one fails. */
static void write_lws(struct jsonout *w, const struct manifests_in *in, const char *name)
{
    jsonout_key(w, "leaderworkerset");
    jsonout_begin_object(w);
    key_string(w, "apiVersion", "leaderworkerset.x-k8s.io/v1");
    key_string(w, "kind", "LeaderWorkerSet");
    key_pair(w, "metadata", "name", name);
    jsonout_key(w, "spec");
    jsonout_begin_object(w);
    jsonout_key(w, "replicas");
    jsonout_integer(w, 1);
    jsonout_key(w, "leaderWorkerTemplate");
    jsonout_begin_object(w);
    jsonout_key(w, "size");
    jsonout_integer(w, in->nodes);
    key_string(w, "restartPolicy", "RecreateGroupOnPodRestart");
    jsonout_key(w, "leaderTemplate");
    jsonout_begin_object(w);
    jsonout_key(w, "metadata");
    jsonout_begin_object(w);
    key_pair(w, "labels", "role", "leader");
    jsonout_end_object(w);
    write_pod_spec(w, in, ROLE_LEADER);
    jsonout_end_object(w);
    jsonout_key(w, "workerTemplate");
    jsonout_begin_object(w);
    write_pod_spec(w, in, ROLE_WORKER);
    jsonout_end_object(w);
    jsonout_end_object(w);
    jsonout_end_object(w);
    jsonout_end_object(w);
}

void manifests_write(struct jsonout *w, const struct manifests_in *in)
{
    char name[MAX_NAME + 1];
    resource_name(in->model, name);
    if (in->nodes > 1)
        write_lws(w, in, name);
    else
        write_kaito(w, in, name);
}
