#!/usr/bin/env python3
"""record-corpus.py - records the server's current answers into tests/data/answers-corpus.json.

usage: tools/record-corpus.py [--bin build/vramfit] [--out tests/data/answers-corpus.json]
       (make corpus-record)

Starts the server binary on an ephemeral port with everything that could move an answer pinned
(SERVER_ARGS: --today, no live prices, the embedded catalog, no refresher, no config file; every
VRAMFIT_* variable removed from its environment), sends the request list below and records each
exchange: method, path with query, request headers, request body, status, the response headers
that describe the body, and the body exactly (a JSON string, so every byte is kept).
tests/server/check_corpus.c replays the file against a later build and wants the same bytes.

The corpus covers the refined inference answers (every preset x several shapes: engine, context
and batch, objectives, precisions and formats, vendor/region/size filters, solve, hf_config and
explicit architectures), the refined training answers, 4xx answers of the refined and training
fields, GET /skus with several queries, GET /models and GET /models/{name}.

Each request is sent compact (no pretty); some are sent again with ?pretty=1, with
Accept-Encoding: gzip (the body recorded decompressed, and checked equal to the compact one) and
with User-Agent: curl/8.0 (which indents by default; checked equal to the ?pretty=1 body, or with
?pretty=0 to the compact one). A variant whose body equals an already recorded body of the same
request stores "response_same_as": <index> instead of a copy; the file stays a few MB.

Regenerate only when a change to the answers is deliberate, and list each such change in the
commit message. Python 3 standard library only.
"""
import argparse
import gzip
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TODAY = "2026-11-23"  # the seed golden's date (tests/data/golden-estimate.json, SEED_TODAY)
# What makes the answers deterministic: the date retirement is judged against is fixed; no live
# prices (the snapshot prices compiled in are used); the embedded catalog, never refreshed (no
# --catalog-url), no cache file, no config file. --threads does not change an answer.
SERVER_ARGS = [
    "--today", TODAY, "--no-prices", "--region", "eastus", "--catalog-file", "",
    "--catalog-url", "", "--cache-file", "", "--config", "",
]
JSON_CT = "application/json"


def fail(msg):
    sys.stderr.write("record-corpus: %s\n" % msg)
    sys.exit(1)


class Server:
    def __init__(self, binary):
        self.log = tempfile.NamedTemporaryFile(prefix="vramfit-corpus-", suffix=".log", delete=False)
        env = {k: v for k, v in os.environ.items() if not k.startswith("VRAMFIT_")}
        args = [binary, "--bind", "127.0.0.1", "--port", "0", "--threads", "2"] + SERVER_ARGS
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        self.port = 0
        deadline = time.time() + 10
        while time.time() < deadline and self.port == 0:
            if self.proc.poll() is not None:
                fail("the server exited (%d): %s" % (self.proc.returncode, self.read_log()))
            for line in self.read_log().splitlines():
                try:
                    ev = json.loads(line)
                except ValueError:
                    continue
                if ev.get("event") == "listening":
                    self.port = int(ev["port"])
            time.sleep(0.02)
        if self.port == 0:
            self.stop()
            fail("the server never logged \"listening\"")

    def read_log(self):
        with open(self.log.name, "r", encoding="utf-8", errors="replace") as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        os.unlink(self.log.name)

    def request(self, method, path, headers, body):
        """One request on a fresh connection; returns (status, response headers, body bytes)."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        c.putrequest(method, path, skip_accept_encoding=True)
        for k, v in headers.items():
            c.putheader(k, v)
        data = body.encode("utf-8") if body is not None else None
        if data is not None:
            c.putheader("Content-Length", str(len(data)))
        c.endheaders(data)
        r = c.getresponse()
        raw = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        c.close()
        return r.status, hdrs, raw


# ---------------------------------------------------------------------------------------------
# The request list.

def dump(obj):
    return json.dumps(obj, separators=(",", ":"))


def load_model_configs():
    with open(os.path.join(ROOT, "tests", "data", "model-configs.json"), encoding="utf-8") as f:
        return {c["name"]: c["config"] for c in json.load(f)}


def inference_requests(presets, configs, limits):
    """(group, name, body) for the refined inference answers. limits: each preset's max_context
    (a longer ctx is a 422 the error group records once; the shapes below stay within it)."""
    out = []

    def add(name, body):
        m = body.get("model")
        key = "ctx" if "ctx" in body else "ctx_len"
        if m in limits and limits[m] and body.get(key, 0) > limits[m]:
            name = name.replace("ctx %d" % body[key], "ctx %d" % limits[m])
            if "ctx %d" % limits[m] not in name:
                name += " (ctx %d, the model's max_context)" % limits[m]
            body = dict(body)
            body[key] = limits[m]
        out.append(("inference", name, dump(body)))

    # Every preset x the base shapes.
    for m in presets:
        add("preset %s bf16" % m, {"model": m, "ctx": 4096, "precision": "bf16"})
        add("preset %s engine vllm" % m,
            {"model": m, "ctx": 4096, "precision": "bf16", "engine": "vllm"})
        add("preset %s engine vllm ctx 32768 batch 8" % m,
            {"model": m, "engine": "vllm", "ctx": 32768, "batch": 8, "precision": "fp16",
             "gpu_memory_utilization": 0.85})
    # Every preset x one of the rotating shapes (objectives, precisions, formats, filters).
    rotating = [
        ("objective cheapest", {"objective": "cheapest", "ctx": 8192, "precision": "bf16"}),
        ("objective fewest_gpus", {"objective": "fewest_gpus", "ctx": 8192, "precision": "bf16"}),
        ("int4 vllm", {"precision": "int4", "ctx": 4096, "engine": "vllm"}),
        ("fp8 kv fp8 vllm", {"precision": "fp8", "kv_precision": "fp8", "ctx": 16384,
                             "engine": "vllm"}),
        ("int8 objective seed", {"precision": "int8", "ctx": 2048, "objective": "seed"}),
        ("bits_per_weight 4.5", {"bits_per_weight": 4.5, "ctx": 4096}),
        ("vendor AMD", {"vendor": "AMD", "ctx": 4096, "precision": "bf16"}),
        ("vendor NVIDIA exclude_partial cheapest",
         {"vendor": "NVIDIA", "exclude_partial": True, "ctx": 4096, "precision": "fp16",
          "objective": "cheapest"}),
        ("region eastus cheapest", {"region": "eastus", "objective": "cheapest", "ctx": 4096,
                                    "precision": "bf16"}),
        ("skus list", {"skus": ["Standard_NC24ads_A100_v4", "Standard_ND96isr_H100_v5",
                                "Standard_ND96isr_MI300X_v5", "Standard_NC4as_T4_v3"],
                       "ctx": 4096, "precision": "bf16"}),
        ("fp32 ctx_len batch 4", {"precision": "fp32", "ctx_len": 2048, "batch": 4}),
        ("nvfp4 vllm fewest_gpus", {"precision": "nvfp4", "ctx": 8192, "engine": "vllm",
                                    "objective": "fewest_gpus"}),
    ]
    for i, m in enumerate(presets):
        for k in (i, i + len(rotating) // 2):
            label, shape = rotating[k % len(rotating)]
            body = {"model": m}
            body.update(shape)
            add("preset %s %s" % (m, label), body)
    # Longest context / largest batch on a given VM.
    for m, sku in [("llama-3-8b", "Standard_NC24ads_A100_v4"),
                   ("mistral-7b", "Standard_NV36ads_A10_v5"),
                   ("llama-3-70b", "Standard_ND96isr_H100_v5"),
                   ("mixtral-8x7b", "Standard_NC96ads_A100_v4"),
                   ("deepseek-v2-lite", "Standard_NC40ads_H100_v5"),
                   ("qwen3-30b-a3b", "Standard_ND96isr_MI300X_v5"),
                   ("gemma-2-9b", "Standard_NC24ads_A100_v4"),
                   ("llama-2-70b", "Standard_NC24ads_A100_v4")]:
        for solve in ("max_ctx", "max_batch"):
            add("preset %s solve %s on %s" % (m, solve, sku),
                {"model": m, "engine": "vllm", "precision": "bf16", "ctx": 8192, "batch": 4,
                 "solve": solve, "sku": sku})
    add("solve none", {"model": "llama-3-8b", "engine": "vllm", "precision": "bf16", "ctx": 4096,
                       "solve": "none"})
    # vLLM's knobs: version, scheduler, eager (the budget, the echo and the argv move).
    add("vllm knobs: llama-3.1-8b 0.16 max_num_seqs 64 max_num_batched_tokens 4096 eager",
        {"model": "llama-3.1-8b", "engine": "vllm", "precision": "bf16", "ctx": 8192, "batch": 8,
         "vllm_version": "0.16", "max_num_seqs": 64, "max_num_batched_tokens": 4096,
         "enforce_eager": True})
    add("vllm knobs: qwen3-next-80b-a3b max_num_seqs 512 (hybrid state)",
        {"model": "qwen3-next-80b-a3b", "engine": "vllm", "precision": "bf16", "ctx": 8192,
         "max_num_seqs": 512})
    # Aliases resolve to the preset.
    add("alias meta-llama/Meta-Llama-3-8B",
        {"model": "meta-llama/Meta-Llama-3-8B", "ctx": 4096, "precision": "bf16"})
    add("alias qwen2moe", {"model": "qwen2moe", "ctx": 4096, "precision": "bf16", "engine": "vllm"})
    # A raw HF config.json.
    for name in ("Meta-Llama-3-8B", "Mistral-7B-v0.1", "Mixtral-8x7B-v0.1", "DeepSeek-V2-Lite",
                 "gemma-2-9b", "gpt-oss-20b"):
        add("hf_config %s" % name, {"hf_config": configs[name], "ctx": 4096, "precision": "bf16"})
        add("hf_config %s engine vllm" % name,
            {"hf_config": configs[name], "ctx": 8192, "batch": 2, "precision": "bf16",
             "engine": "vllm"})
    # The checkpoint's own format (no precision), spellings, launch-time formats (issue 12).
    for m in ("gpt-oss-20b", "gpt-oss-120b", "qwen3-235b-a22b-fp8", "deepseek-v3", "kimi-k2",
              "llama-3.1-8b", "mixtral-8x7b", "gemma-2-9b"):
        add("checkpoint format %s" % m, {"model": m, "ctx": 8192})
        add("checkpoint format %s engine vllm" % m, {"model": m, "ctx": 8192, "engine": "vllm"})
    for spelling in ("BF16", "bfloat16", "float16", "FP8", "fp8_e4m3"):
        add("precision spelling %s" % spelling,
            {"model": "llama-3.1-8b", "ctx": 4096, "precision": spelling, "engine": "vllm"})
    add("runtime fp8 llama-3.3-70b tp2",
        {"model": "llama-3.3-70b", "ctx": 8192, "precision": "fp8", "engine": "vllm"})
    add("hf_quant_config ModelOpt FP8",
        {"model": "llama-3.1-70b-instruct-fp8", "ctx": 8192, "engine": "vllm",
         "hf_quant_config": {"producer": {"name": "modelopt", "version": "0.23.0"},
                             "quantization": {"quant_algo": "FP8", "kv_cache_quant_algo": "FP8",
                                              "exclude_modules": ["lm_head"]}}})
    add("hf_config gpt-oss-20b no precision", {"hf_config": configs["gpt-oss-20b"], "ctx": 8192,
                                                "engine": "vllm"})
    # An architecture described field by field.
    add("explicit GQA", {"params_b": 8, "layers": 32, "hidden": 4096, "ctx": 8192,
                         "precision": "bf16", "attention_heads": 32, "kv_heads": 8})
    add("explicit GQA engine vllm",
        {"params_b": 8, "layers": 32, "hidden": 4096, "ctx": 8192, "precision": "bf16",
         "attention_heads": 32, "kv_heads": 8, "head_dim": 128, "vocab_size": 128256,
         "engine": "vllm"})
    add("explicit MLA", {"params_b": 16, "layers": 27, "hidden": 2048, "ctx": 32768,
                         "precision": "bf16", "kv_lora_rank": 512, "qk_rope_head_dim": 64,
                         "moe_active_ratio": 0.15})
    add("explicit sliding window",
        {"params_b": 9, "layers": 42, "hidden": 3584, "ctx": 8192, "precision": "bf16",
         "attention_heads": 16, "kv_heads": 8, "head_dim": 256, "sliding_window": 4096,
         "windowed_layers": 21})
    # Nothing fits.
    add("nothing fits: llama-3-70b fp32 on a T4 only",
        {"model": "llama-3-70b", "ctx": 4096, "precision": "fp32",
         "skus": ["Standard_NC4as_T4_v3"]})
    add("nothing fits: llama-3-70b engine vllm on a T4 only",
        {"model": "llama-3-70b", "ctx": 4096, "precision": "bf16", "engine": "vllm",
         "skus": ["Standard_NC4as_T4_v3"]})
    add("multi-node: grok-1 fp32 AMD ctx 131072 batch 64",
        {"model": "grok-1", "ctx": 131072, "batch": 64, "precision": "fp32", "vendor": "AMD"})
    add("nothing fits: region westus3 (prices off)",
        {"model": "llama-3-8b", "ctx": 4096, "precision": "bf16", "objective": "cheapest",
         "region": "westus3"})
    add("seed fields + objective cheapest",
        {"params_b": 7, "layers": 32, "hidden": 4096, "ctx": 4096, "precision": "fp16",
         "objective": "cheapest"})
    add("seed fields + kv_precision fp8", {"params_b": 70, "layers": 80, "hidden": 8192,
                                           "ctx": 8192, "precision": "int4",
                                           "kv_precision": "fp8"})
    return out


def training_requests(configs):
    out = []

    def add(name, body):
        out.append(("training", name, dump(body)))

    base = {"ctx": 4096, "precision": "bf16"}
    shapes = [
        ("full (defaults)", {"training": {}}),
        ("lora", {"training": {"method": "lora"}}),
        ("qlora int4", {"precision": "int4", "training": {"method": "qlora"}}),
        ("full zero 3 dp 8 checkpointing", {"training": {"zero_stage": 3, "data_parallel": 8,
                                                         "activation_checkpointing": "full"}}),
        ("fsdp micro_batch 4 seq_len 2048 adamw_8bit",
         {"training": {"fsdp": True, "micro_batch": 4, "seq_len": 2048,
                       "optimizer": "adamw_8bit"}}),
        ("top-level lora rank 64 attention targets",
         {"method": "lora", "lora_rank": 64, "lora_targets": ["attention"]}),
    ]
    for m in ("llama-3-8b", "llama-3-70b", "mixtral-8x7b", "qwen2-7b", "deepseek-v2-lite",
              "gpt2", "phi-3-mini-4k-instruct"):
        for label, shape in shapes:
            body = {"model": m}
            body.update(base)
            body.update(shape)
            add("training %s %s" % (m, label), body)
    m = {"model": "llama-3-8b", "ctx": 4096, "precision": "bf16"}
    extra = [
        ("seed training true on a preset", {"training": True}),
        ("sgd_momentum no master weights fp32 grads",
         {"training": {"optimizer": "sgd_momentum", "master_weights": False,
                       "grad_precision": "fp32"}}),
        ("adafactor selective checkpointing chunked loss no flash",
         {"training": {"optimizer": "adafactor", "activation_checkpointing": "selective",
                       "chunked_loss": True, "flash_attention": False}}),
        ("zero 2 offload optimizer", {"training": {"zero_stage": 2, "offload_optimizer": True,
                                                   "data_parallel": 4}}),
        ("zero 3 offload params and optimizer",
         {"training": {"zero_stage": 3, "offload_optimizer": True, "offload_params": True}}),
        ("tensor_parallel 2 dp 2", {"training": {"tensor_parallel": 2, "data_parallel": 2}}),
        ("checkpointing true (boolean)", {"training": {"activation_checkpointing": True}}),
        ("lora targets q_proj v_proj rank 8", {"training": {"method": "lora", "lora_rank": 8,
                                                            "lora_targets": ["q_proj", "v_proj"]}}),
        ("lora mlp + attention fp16 grads", {"training": {"method": "lora",
                                                          "lora_targets": ["mlp", "attention"],
                                                          "grad_precision": "fp16"}}),
        ("objective cheapest", {"objective": "cheapest", "training": {"method": "lora"}}),
        ("objective fewest_gpus vendor AMD", {"objective": "fewest_gpus", "vendor": "AMD",
                                              "training": {}}),
        ("skus list", {"skus": ["Standard_NC24ads_A100_v4", "Standard_ND96isr_H100_v5"],
                       "training": {"zero_stage": 1}}),
        ("batch 8 ctx 8192", {"batch": 8, "ctx": 8192, "training": {}}),
        ("fp32", {"precision": "fp32", "training": {}}),
    ]
    for label, shape in extra:
        body = dict(m)
        body.update(shape)
        add("training llama-3-8b %s" % label, body)
    big = [
        ("llama-3-70b full fsdp dp 16 checkpointing",
         {"model": "llama-3-70b", "ctx": 8192, "precision": "bf16",
          "training": {"fsdp": True, "data_parallel": 16, "activation_checkpointing": "full"}}),
        ("deepseek-v3 qlora fp4", {"model": "deepseek-v3", "ctx": 4096, "precision": "fp4",
                                   "training": {"method": "qlora"}}),
        ("grok-1 lora int8", {"model": "grok-1", "ctx": 2048, "precision": "int8",
                              "training": {"method": "lora"}}),
        ("mixtral-8x22b zero 3 dp 32", {"model": "mixtral-8x22b", "ctx": 4096,
                                        "precision": "bf16",
                                        "training": {"zero_stage": 3, "data_parallel": 32}}),
        ("gpt-oss-20b bits_per_weight 4.25 qlora",
         {"model": "gpt-oss-20b", "ctx": 4096, "bits_per_weight": 4.25,
          "training": {"method": "qlora"}}),
        ("explicit seed fields + optimizer adamw",
         {"params_b": 7, "layers": 32, "hidden": 4096, "ctx": 4096, "precision": "fp16",
          "training": {"optimizer": "adamw"}}),
        ("explicit seed fields + top-level zero_stage",
         {"params_b": 13, "layers": 40, "hidden": 5120, "ctx": 2048, "precision": "bf16",
          "zero_stage": 2, "data_parallel": 4}),
        ("hf_config Qwen2-7B lora", {"hf_config": configs["Qwen2-7B"], "ctx": 4096,
                                     "precision": "bf16", "training": {"method": "lora"}}),
    ]
    for label, body in big:
        add("training %s" % label, body)
    return out


def error_requests():
    """4xx answers of the refined and training fields."""
    m = {"model": "llama-3-8b", "ctx": 4096, "precision": "bf16"}

    def w(**kw):
        b = dict(m)
        b.update(kw)
        return b

    errs = [
        ("unknown model", w(model="nope-13b")),
        ("model without ctx and precision", {"model": "llama-3-8b"}),
        ("model without precision (its config states no dtype)", {"model": "gpt2", "ctx": 1024}),
        ("precision typo on a refined request", w(precision="bf61")),
        ("seed request with a refined spelling",
         {"params_b": 7, "layers": 32, "hidden": 4096, "ctx": 4096, "precision": "BF16"}),
        ("hf_quant_config without a model", {"params_b": 7, "layers": 32, "hidden": 4096,
                                             "ctx": 4096, "precision": "fp8",
                                             "hf_quant_config": {"quantization":
                                                                 {"quant_algo": "FP8"}}}),
        ("hf_quant_config with an unknown quant_algo",
         w(hf_quant_config={"quantization": {"quant_algo": "INT3"}})),
        ("model and hf_config", w(hf_config={"model_type": "llama"})),
        ("model and params_b", w(params_b=8)),
        ("model and kv_heads", w(kv_heads=8)),
        ("model and sliding_window", w(sliding_window=4096)),
        ("unknown field enigne", w(enigne="vllm")),
        ("engine tgi", w(engine="tgi")),
        ("engine not a string", w(engine=1)),
        ("gpu_memory_utilization without engine", w(gpu_memory_utilization=0.8)),
        ("gpu_memory_utilization 1.5", w(engine="vllm", gpu_memory_utilization=1.5)),
        ("engine vllm without architecture",
         {"params_b": 7, "layers": 32, "hidden": 4096, "ctx": 4096, "precision": "fp16",
          "engine": "vllm"}),
        ("objective fastest", w(objective="fastest")),
        ("vendor intel", w(vendor="intel")),
        ("skus empty", w(skus=[])),
        ("skus not strings", w(skus=[1])),
        ("solve without sku", w(engine="vllm", solve="max_ctx")),
        ("solve without engine", w(solve="max_batch", sku="Standard_NC24ads_A100_v4")),
        ("sku without solve", w(sku="Standard_NC24ads_A100_v4")),
        ("solve max_tokens", w(engine="vllm", solve="max_tokens", sku="Standard_NC24ads_A100_v4")),
        ("solve on an unknown sku", w(engine="vllm", solve="max_ctx", sku="Standard_Nope_v9")),
        ("kv_precision int4", w(kv_precision="int4")),
        ("bits_per_weight and precision", w(bits_per_weight=4)),
        ("bits_per_weight 0.5", {"model": "llama-3-8b", "ctx": 4096, "bits_per_weight": 0.5}),
        ("precision fp64", w(precision="fp64")),
        ("ctx and ctx_len", w(ctx_len=4096)),
        ("kv_lora_rank without qk_rope_head_dim",
         {"params_b": 16, "layers": 27, "hidden": 2048, "ctx": 4096, "precision": "bf16",
          "kv_lora_rank": 512}),
        ("kv_heads without attention_heads",
         {"params_b": 8, "layers": 32, "hidden": 4096, "ctx": 4096, "precision": "bf16",
          "kv_heads": 8}),
        ("hf_config unsupported model_type",
         {"hf_config": {"model_type": "rwkv", "hidden_size": 2560}, "ctx": 4096,
          "precision": "bf16"}),
        ("hf_config missing fields",
         {"hf_config": {"model_type": "llama", "hidden_size": 4096}, "ctx": 4096,
          "precision": "bf16"}),
        ("hf_config not an object", {"hf_config": "llama", "ctx": 4096, "precision": "bf16"}),
        ("training method dpo", w(training={"method": "dpo"})),
        ("training full on int4", w(precision="int4", training={"method": "full"})),
        ("training lora_rank with full", w(training={"lora_rank": 8})),
        ("training fsdp with zero 1", w(training={"fsdp": True, "zero_stage": 1})),
        ("training offload_optimizer without zero", w(training={"offload_optimizer": True})),
        ("training offload_params with zero 2",
         w(training={"offload_params": True, "zero_stage": 2})),
        ("training false with fields", w(training=False, method="lora")),
        ("training field twice", w(training={"method": "lora"}, method="lora")),
        ("training unknown field", w(training={"optimiser": "adamw"})),
        ("training lora_targets empty", w(training={"method": "lora", "lora_targets": []})),
        ("training lora_targets unknown", w(training={"method": "lora", "lora_targets": ["qkv"]})),
        ("training zero_stage 4", w(training={"zero_stage": 4})),
        ("training dp x tp too large",
         w(training={"data_parallel": 65536, "tensor_parallel": 2})),
        ("training optimizer lion", w(training={"optimizer": "lion"})),
        ("training grad_precision int8", w(training={"grad_precision": "int8"})),
        ("training activation_checkpointing partial",
         w(training={"activation_checkpointing": "partial"})),
        ("training micro_batch 0", w(training={"micro_batch": 0})),
        ("training tensor_parallel not dividing heads", w(training={"tensor_parallel": 3})),
        ("training not an object or boolean", w(training="yes")),
        ("engine with a training object", w(engine="vllm", training={"tensor_parallel": 2})),
        ("ctx beyond the model's max_context", w(model="llama-2-7b", ctx=32768)),
        ("context for ctx", {"model": "llama-3-8b", "context": 4096, "precision": "bf16"}),
        ("concurrency for batch", w(concurrency=8)),
        ("vllm_version 0.20", w(engine="vllm", vllm_version="0.20")),
        ("max_num_seqs without engine", w(max_num_seqs=8)),
        ("max_num_seqs below batch", w(engine="vllm", batch=8, max_num_seqs=4)),
        ("max_num_batched_tokens below max_num_seqs",
         w(engine="vllm", batch=8, max_num_batched_tokens=4)),
    ]
    out = [("error", "error: " + name, dump(body)) for name, body in errs]
    out.append(("error", "error: malformed JSON", '{"model":"llama-3-8b","ctx":4096,'))
    out.append(("error", "error: body is an array", '[{"model":"llama-3-8b"}]'))
    return out


def get_requests(presets):
    out = []
    for q in ("", "?vendor=AMD", "?vendor=nvidia&min_vram_gb=80", "?include_retired=true",
              "?include_retired=false&gpu_model=a100", "?region=eastus", "?gpu_model=H100",
              "?min_vram_gb=1000", "?vendor=intel", "?min_vram_gb=-1", "?colour=red",
              "?region=westus3", "?vendor=AMD&vendor=NVIDIA"):
        out.append(("skus", "GET /skus" + q, "/skus" + q))
    out.append(("models", "GET /models", "/models"))
    for m in presets:
        out.append(("models", "GET /models/" + m, "/models/" + m))
    for name in ("Mixtral-8x7B-v0.1", "mistralai%2FMixtral-8x7B-v0.1", "nope"):
        out.append(("models", "GET /models/" + name, "/models/" + name))
    return out


# ---------------------------------------------------------------------------------------------
# Recording.

def json_pairs(text):
    """The JSON text parsed with key order and the number spellings kept (for comparisons)."""
    return json.loads(text, object_pairs_hook=list, parse_float=str, parse_int=str,
                      parse_constant=str)


class Recorder:
    def __init__(self, srv):
        self.srv = srv
        self.exchanges = []
        self.notes = []

    def send(self, group, name, variant, method, path, headers, body):
        status, hdrs, raw = self.srv.request(method, path, headers, body)
        if hdrs.get("content-encoding") == "gzip":
            raw = gzip.decompress(raw)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            fail("%s %s: the body is not UTF-8" % (method, path))
        rec = {
            "group": group,
            "name": name,
            "variant": variant,
            "method": method,
            "path": path,
            "headers": headers,
            "body": body,
            "status": status,
            "response_headers": {k: hdrs[k] for k in ("content-type", "content-encoding", "etag")
                                 if k in hdrs},
            "response": text,
        }
        self.exchanges.append(rec)
        return len(self.exchanges) - 1

    def same_as(self, idx, want_idx, what):
        """Replaces exchange idx's copy of the body by a reference when it equals want_idx's."""
        got = self.exchanges[idx]
        want = self.exchanges[want_idx]
        if got["response"] == want["response"] and got["status"] == want["status"]:
            del got["response"]
            got["response_same_as"] = want_idx
        else:
            self.notes.append("%s: the %s body differs from the %s one" %
                              (got["name"], got["variant"], what))

    def exchange(self, i, group, name, method, path, body):
        """The request and its variants. i picks which variants (deterministically)."""
        hdrs = {"Content-Type": JSON_CT} if body is not None else {}
        sep = "&" if "?" in path else "?"
        compact = self.send(group, name, "compact", method, path, hdrs, body)
        status = self.exchanges[compact]["status"]
        # GET answers are few and small: every variant. POST: a rotating share of them.
        every = method == "GET"
        pretty = None
        if every or i % 5 == 0:
            pretty = self.send(group, name, "pretty", method, path + sep + "pretty=1", hdrs, body)
            self.check_pretty(compact, pretty)
        if every or i % 4 == 1:
            h = dict(hdrs)
            h["Accept-Encoding"] = "gzip"
            g = self.send(group, name, "gzip", method, path, h, body)
            enc = self.exchanges[g]["response_headers"].get("content-encoding")
            if (enc == "gzip") != (len(self.exchanges[compact]["response"].encode()) >= 1024):
                self.notes.append("%s: gzip used = %s for a %d-byte body" %
                                  (name, enc == "gzip",
                                   len(self.exchanges[compact]["response"].encode())))
            self.same_as(g, compact, "compact")
        if pretty is not None and (every or i % 10 == 0):
            h = dict(hdrs)
            h["User-Agent"] = "curl/8.0"
            u = self.send(group, name, "curl", method, path, h, body)
            self.same_as(u, pretty, "?pretty=1")
        if not every and i % 10 == 7:
            h = dict(hdrs)
            h["User-Agent"] = "curl/8.0"
            u = self.send(group, name, "curl pretty=0", method, path + sep + "pretty=0", h, body)
            self.same_as(u, compact, "compact")
        if not every and status == 200 and i % 6 == 3:
            s = self.send(group, name, "summary", method, path + sep + "view=summary", hdrs, body)
            self.check_summary(compact, s)
        return status

    def check_summary(self, compact, summary):
        """?view=summary is a projection: every member it shares with the full answer is equal."""
        full = json.loads(self.exchanges[compact]["response"])
        got = json.loads(self.exchanges[summary]["response"])
        own = {"kind", "view", "sku", "gpu_model", "gpus_per_vm", "deploy", "alternatives",
               "per_gpu", "solution"}
        for k, v in got.items():
            if k not in own and full.get(k) != v:
                self.notes.append("%s: summary %s differs from the full answer" % (
                    self.exchanges[compact]["name"], k))
        if got.get("kind", "seed") != full.get("kind", "seed"):
            self.notes.append("%s: summary kind differs" % self.exchanges[compact]["name"])

    def check_pretty(self, compact, pretty):
        a = self.exchanges[compact]
        b = self.exchanges[pretty]
        if a["status"] != b["status"]:
            self.notes.append("%s: status %d compact, %d pretty" % (a["name"], a["status"],
                                                                     b["status"]))
            return
        try:
            if json_pairs(a["response"]) != json_pairs(b["response"]):
                self.notes.append("%s: ?pretty=1 is not the compact answer re-indented (keys, "
                                  "order or number spelling differ)" % a["name"])
        except ValueError as e:
            self.notes.append("%s: not JSON: %s" % (a["name"], e))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "vramfit"))
    ap.add_argument("--out", default=os.path.join(ROOT, "tests", "data", "answers-corpus.json"))
    args = ap.parse_args()
    if not os.access(args.bin, os.X_OK):
        fail("%s is not built (make build/vramfit)" % args.bin)

    srv = Server(args.bin)
    try:
        status, _, raw = srv.request("GET", "/models", {}, None)
        if status != 200:
            fail("GET /models answered %d" % status)
        presets = [m["name"] for m in json.loads(raw)["models"]]
        limits = {}
        for m in presets:
            status, _, raw = srv.request("GET", "/models/" + m, {}, None)
            if status != 200:
                fail("GET /models/%s answered %d" % (m, status))
            limits[m] = json.loads(raw).get("architecture", {}).get("max_context", 0)
        configs = load_model_configs()
        rec = Recorder(srv)
        reqs = inference_requests(presets, configs, limits)
        reqs += training_requests(configs)
        reqs += error_requests()
        i = 0
        for group, name, body in reqs:
            status = rec.exchange(i, group, name, "POST", "/estimate", body)
            want_error = group == "error"
            if want_error != (status >= 400):
                rec.notes.append("%s: status %d" % (name, status))
            i += 1
        for group, name, path in get_requests(presets):
            rec.exchange(i, group, name, "GET", path, None)
            i += 1
        # The ETag of GET /skus sent back: 304, no body.
        etag = next(e for e in rec.exchanges if e["path"] == "/skus")["response_headers"]["etag"]
        rec.send("skus", "GET /skus If-None-Match", "compact", "GET", "/skus",
                 {"If-None-Match": etag}, None)
        # The same request twice must be answered the same (nothing time- or order-dependent).
        for idx in (0, len(rec.exchanges) // 2):
            e = rec.exchanges[idx]
            again = rec.send(e["group"], e["name"], e["variant"], e["method"], e["path"],
                             e["headers"], e["body"])
            want = e.get("response", rec.exchanges[e.get("response_same_as", idx)].get("response"))
            if rec.exchanges[again]["response"] != want:
                fail("%s: answered differently the second time" % e["name"])
            rec.exchanges.pop()
    finally:
        srv.stop()

    for n, e in enumerate(rec.exchanges):
        e["index"] = n
    doc = {
        "comment": "POST /estimate (refined inference, training, 4xx), GET /skus and GET /models "
                   "answers recorded by tools/record-corpus.py (make corpus-record); replayed "
                   "byte for byte by tests/server/check_corpus.c. response = the body exactly (gzip "
                   "bodies decompressed); response_same_as = the body is that exchange's. "
                   "Regenerate only for deliberate changes, listed in the commit.",
        "schema": "vramfit.answers-corpus/v1",
        "today": TODAY,
        "server_args": SERVER_ARGS,
        "presets": presets,
        "exchanges": rec.exchanges,
    }
    text = json.dumps(doc, indent=1, ensure_ascii=False) + "\n"
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    groups = {}
    for e in rec.exchanges:
        groups[e["group"]] = groups.get(e["group"], 0) + 1
    sys.stdout.write("record-corpus: %d exchanges (%s), %d bytes -> %s\n" %
                     (len(rec.exchanges), ", ".join("%s %d" % kv for kv in sorted(groups.items())),
                      len(text.encode()), os.path.relpath(args.out, ROOT)))
    for n in rec.notes:
        sys.stdout.write("note: %s\n" % n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
