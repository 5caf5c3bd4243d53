/* check_manifests.c - the deploy manifests (KAITO Workspace, LeaderWorkerSet), the shell command
 * line and the ?view= names. */
#include "support/check_util.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "api/deploy.h"
#include "api/manifests.h"
#include "api/summary.h"
#include "base/buf.h"
#include "base/jsonout.h"

/* The members manifests_write adds, read back as one object (caller decrefs). */
static json_t *manifests(const struct manifests_in *in)
{
    struct buf b;
    struct jsonout w;
    buf_init(&b, JSONOUT_MAX);
    jsonout_init(&w, &b, 0);
    jsonout_begin_object(&w);
    manifests_write(&w, in);
    jsonout_end_object(&w);
    ck_assert_int_eq(jsonout_status(&w), 0);
    json_t *j = json_loadb(b.data, b.len, 0, NULL);
    buf_free(&b);
    ck_assert(j != NULL);
    return j;
}

static struct deploy_argv argv_of(enum engine e, int tp, int pp)
{
    struct deploy_in in = {
        .engine = e,
        .model = "mistralai/Mixtral-8x7B-v0.1",
        .tp = tp,
        .pp = pp,
        .max_model_len = 32768,
        .max_num_seqs = 8,
        .memory_fraction = 0.9,
        .format = PRECISION_BF16,
    };
    struct deploy_argv a;
    deploy_build(&in, &a);
    return a;
}

static const json_t *container(const json_t *pod_template)
{
    return json_array_get(json_object_get(json_object_get(pod_template, "spec"), "containers"), 0);
}

START_TEST(one_vm_is_a_kaito_workspace_running_the_argv_on_the_chosen_size)
{
    struct deploy_argv a = argv_of(ENGINE_VLLM, 2, 1);
    struct manifests_in in = {.engine = ENGINE_VLLM,
                              .argv = &a,
                              .model = "mistralai/Mixtral-8x7B-v0.1",
                              .instance_type = "Standard_NC48ads_A100_v4",
                              .gpus = 2,
                              .nodes = 1};
    json_t *j = manifests(&in);
    ck_assert(json_object_get(j, "leaderworkerset") == NULL);
    const json_t *k = json_object_get(j, "kaito");
    ck_assert_str_eq(json_string_value(json_object_get(k, "apiVersion")), "kaito.sh/v1beta1");
    ck_assert_str_eq(json_string_value(json_object_get(k, "kind")), "Workspace");
    const json_t *r = json_object_get(k, "resource");
    ck_assert_str_eq(json_string_value(json_object_get(r, "instanceType")),
                     "Standard_NC48ads_A100_v4");
    ck_assert_int_eq(json_integer_value(json_object_get(r, "count")), 1);
    /* a DNS-1123 name from the id's last segment, the same in the label selector */
    const char *name = json_string_value(json_object_get(json_object_get(k, "metadata"), "name"));
    ck_assert_str_eq(name, "mixtral-8x7b-v0-1");
    ck_assert_str_eq(
        json_string_value(json_object_get(
            json_object_get(json_object_get(r, "labelSelector"), "matchLabels"), "apps")),
        name);
    const json_t *c = container(json_object_get(json_object_get(k, "inference"), "template"));
    const json_t *cmd = json_object_get(c, "command");
    ck_assert_int_eq((int)json_array_size(cmd), a.n);
    for (int i = 0; i < a.n; i++)
        ck_assert_str_eq(json_string_value(json_array_get(cmd, (size_t)i)), a.arg[i]);
    ck_assert_str_eq(
        json_string_value(json_object_get(
            json_object_get(json_object_get(c, "resources"), "limits"), "nvidia.com/gpu")),
        "2");
    ck_assert_str_eq(json_string_value(json_object_get(c, "image")), MANIFESTS_VLLM_IMAGE);
    json_decref(j);
}
END_TEST

START_TEST(several_vms_are_one_leaderworkerset_group_of_that_many_pods)
{
    struct deploy_argv a = argv_of(ENGINE_VLLM, 8, 2);
    struct manifests_in in = {.engine = ENGINE_VLLM,
                              .argv = &a,
                              .model = NULL,
                              .instance_type = "Standard_ND96isr_MI300X_v5",
                              .amd = true,
                              .gpus = 8,
                              .nodes = 2};
    json_t *j = manifests(&in);
    ck_assert(json_object_get(j, "kaito") == NULL);
    const json_t *l = json_object_get(j, "leaderworkerset");
    ck_assert_str_eq(json_string_value(json_object_get(l, "apiVersion")),
                     "leaderworkerset.x-k8s.io/v1");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(l, "metadata"), "name")),
                     "model");
    const json_t *t = json_object_get(json_object_get(l, "spec"), "leaderWorkerTemplate");
    ck_assert_int_eq(json_integer_value(json_object_get(t, "size")), 2);
    const json_t *leader = container(json_object_get(t, "leaderTemplate"));
    const json_t *worker = container(json_object_get(t, "workerTemplate"));
    /* the leader forms the Ray cluster, then runs the argv; workers only join */
    const char *lc = json_string_value(json_array_get(json_object_get(leader, "command"), 2));
    ck_assert(strstr(lc, "multi-node-serving.sh leader --ray_cluster_size=$(LWS_GROUP_SIZE)"));
    ck_assert(strstr(lc, "&& exec vllm serve mistralai/Mixtral-8x7B-v0.1 "
                         "--tensor-parallel-size 8 --pipeline-parallel-size 2"));
    const char *wc = json_string_value(json_array_get(json_object_get(worker, "command"), 2));
    ck_assert(strstr(wc, "worker --ray_address=$(LWS_LEADER_ADDRESS)"));
    ck_assert_str_eq(
        json_string_value(json_object_get(
            json_object_get(json_object_get(worker, "resources"), "limits"), "amd.com/gpu")),
        "8");
    ck_assert_str_eq(
        json_string_value(json_object_get(
            json_object_get(json_object_get(json_object_get(t, "workerTemplate"), "spec"),
                            "nodeSelector"),
            "node.kubernetes.io/instance-type")),
        "Standard_ND96isr_MI300X_v5");
    json_decref(j);
}
END_TEST

START_TEST(sglang_pods_rendezvous_by_rank_and_listen_outside_the_pod)
{
    struct deploy_argv a = argv_of(ENGINE_SGLANG, 8, 2);
    struct manifests_in in = {.engine = ENGINE_SGLANG,
                              .argv = &a,
                              .model = "meta-llama/Llama-3.1-405B",
                              .instance_type = "Standard_ND96isr_H100_v5",
                              .gpus = 8,
                              .nodes = 2};
    json_t *j = manifests(&in);
    const json_t *t = json_object_get(
        json_object_get(json_object_get(j, "leaderworkerset"), "spec"), "leaderWorkerTemplate");
    char *leader = json_dumps(
        json_object_get(container(json_object_get(t, "leaderTemplate")), "command"), JSON_COMPACT);
    char *worker = json_dumps(
        json_object_get(container(json_object_get(t, "workerTemplate")), "command"), JSON_COMPACT);
    ck_assert(strncmp(leader, "[\"python3\",\"-m\",\"sglang.launch_server\"", 38) == 0);
    ck_assert(strstr(leader, "\"--node-rank\",\"$(LWS_WORKER_INDEX)\"") != NULL);
    ck_assert(strstr(leader, "\"--dist-init-addr\",\"$(LWS_LEADER_ADDRESS):20000\"") != NULL);
    ck_assert(strstr(leader, "\"--host\",\"0.0.0.0\"") != NULL);
    ck_assert(strstr(worker, "\"--node-rank\"") != NULL);
    ck_assert(strstr(worker, "\"--host\"") == NULL);
    free(leader);
    free(worker);
    json_decref(j);
}
END_TEST

START_TEST(shell_join_quotes_only_what_the_shell_would_change)
{
    char out[64];
    const char *plain[] = {"vllm", "serve", "org/Model-1.5B", "--x=0.90"};
    ck_assert_int_eq(manifests_shell_join(plain, 4, out, sizeof(out)), 0);
    ck_assert_str_eq(out, "vllm serve org/Model-1.5B --x=0.90");
    const char *odd[] = {"a b", "<id>", "it's", ""};
    ck_assert_int_eq(manifests_shell_join(odd, 4, out, sizeof(out)), 0);
    ck_assert_str_eq(out, "'a b' '<id>' 'it'\\''s' ''");
    /* past the buffer: -ENOSPC, and what is there is whole words */
    char small[12];
    ck_assert_int_eq(manifests_shell_join(plain, 4, small, sizeof(small)), -ENOSPC);
    ck_assert_str_eq(small, "vllm serve");
}
END_TEST

START_TEST(views_are_full_and_summary_and_nothing_else)
{
    enum api_view v = API_VIEW_SUMMARY;
    struct error_info err;
    ck_assert_int_eq(api_view_parse("full", &v, &err), 0);
    ck_assert_int_eq(v, API_VIEW_FULL);
    ck_assert_int_eq(api_view_parse("summary", &v, &err), 0);
    ck_assert_int_eq(v, API_VIEW_SUMMARY);
    error_clear(&err);
    ck_assert_int_lt(api_view_parse("Summary", &v, &err), 0);
    ck_assert_int_eq(err.status, 400);
    ck_assert_str_eq(err.field, "view");
    ck_assert(strstr(err.message, "full, summary") != NULL);
}
END_TEST

/* A seed answer (no kind) summarised: its kind is "seed" and its members are the answer's. */
START_TEST(a_summary_copies_members_and_never_invents_them)
{
    json_t *seed = json_loads("{\"weights_gb\":14.0,\"kv_gb\":2.0,\"total_gb\":19.2,\"gpus\":2,"
                              "\"sku\":{\"sku\":\"S\",\"gpu_model\":\"T4\",\"gpus_per_vm\":4},"
                              "\"fits\":true,\"moe\":false,\"price_per_hour\":null,"
                              "\"price_source\":\"none\",\"price_region\":null,"
                              "\"cost_per_hour\":null}",
                              0, NULL);
    struct buf b;
    struct jsonout w;
    buf_init(&b, JSONOUT_MAX);
    jsonout_init(&w, &b, 0);
    summary_write(seed, &w);
    ck_assert_int_eq(jsonout_status(&w), 0);
    json_t *s = json_loadb(b.data, b.len, 0, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(s, "kind")), "seed");
    ck_assert_str_eq(json_string_value(json_object_get(s, "sku")), "S");
    ck_assert(json_equal(json_object_get(s, "total_gb"), json_object_get(seed, "total_gb")));
    ck_assert(json_object_get(s, "reason") == NULL); /* absent in the answer, absent here */
    ck_assert(json_object_get(s, "deploy") == NULL);
    json_decref(s);
    json_decref(seed);
    buf_free(&b);
}
END_TEST

Suite *manifests_suite(void)
{
    Suite *s = suite_create("manifests");
    TCase *tc = tcase_create("deploy");
    tcase_add_test(tc, one_vm_is_a_kaito_workspace_running_the_argv_on_the_chosen_size);
    tcase_add_test(tc, several_vms_are_one_leaderworkerset_group_of_that_many_pods);
    tcase_add_test(tc, sglang_pods_rendezvous_by_rank_and_listen_outside_the_pod);
    tcase_add_test(tc, shell_join_quotes_only_what_the_shell_would_change);
    tcase_add_test(tc, views_are_full_and_summary_and_nothing_else);
    tcase_add_test(tc, a_summary_copies_members_and_never_invents_them);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(manifests_suite)
