#!/usr/bin/env python3
"""gen-models.py - builds config/models.json (the compiled-in model presets) from real HF configs.

Input: the team's model-configs.json (23 verbatim Hugging Face config.json objects with official
parameter counts and their sources). Usage: tools/gen-models.py SRC.json > config/models.json
Every preset keeps the config verbatim and cites where it came from; nothing is invented.
"""
import json
import sys

# name in model-configs.json -> (preset name, aliases)
NAMES = {
    "Llama-2-7b": ("llama-2-7b", ["llama2-7b", "meta-llama/llama-2-7b-hf"]),
    "Llama-2-70b": ("llama-2-70b", ["llama2-70b", "meta-llama/llama-2-70b-hf"]),
    "Meta-Llama-3-8B": ("llama-3-8b", ["meta-llama-3-8b", "llama3-8b", "meta-llama/meta-llama-3-8b"]),
    "Meta-Llama-3-70B": ("llama-3-70b", ["meta-llama-3-70b", "llama3-70b", "meta-llama/meta-llama-3-70b"]),
    "Llama-3.1-8B": ("llama-3.1-8b", ["llama3.1-8b", "meta-llama-3.1-8b", "meta-llama/llama-3.1-8b",
                                      "llama-3.1-8b-instruct", "meta-llama/llama-3.1-8b-instruct"]),
    "Mistral-7B-v0.1": ("mistral-7b", ["mistral-7b-v0.1", "mistralai/mistral-7b-v0.1"]),
    "Qwen2-7B": ("qwen2-7b", ["qwen/qwen2-7b"]),
    "Qwen2-72B": ("qwen2-72b", ["qwen/qwen2-72b"]),
    "gemma-2-9b": ("gemma-2-9b", ["gemma2-9b", "google/gemma-2-9b"]),
    "Phi-3-mini-4k-instruct": ("phi-3-mini-4k-instruct", ["phi-3-mini", "phi3-mini",
                                                          "microsoft/phi-3-mini-4k-instruct"]),
    "falcon-40b": ("falcon-40b", ["tiiuae/falcon-40b"]),
    "gpt2": ("gpt2", ["gpt-2", "openai-community/gpt2"]),
    "Mixtral-8x7B-v0.1": ("mixtral-8x7b", ["mixtral-8x7b-v0.1", "mistralai/mixtral-8x7b-v0.1",
                                           "mixtral-8x7b-instruct", "mistralai/mixtral-8x7b-instruct-v0.1"]),
    "Mixtral-8x22B-v0.1 (via WizardLM-2-8x22B)": ("mixtral-8x22b", ["mixtral-8x22b-v0.1",
                                                                   "mistralai/mixtral-8x22b-v0.1",
                                                                   "wizardlm-2-8x22b"]),
    "DeepSeek-V2-Lite": ("deepseek-v2-lite", ["deepseek-ai/deepseek-v2-lite", "deepseek-v2-lite-chat"]),
    "DeepSeek-Coder-V2-Instruct (DeepSeek-V2 architecture)": (
        "deepseek-coder-v2", ["deepseek-coder-v2-instruct", "deepseek-v2",
                              "deepseek-ai/deepseek-coder-v2-instruct"]),
    "DeepSeek-V3": ("deepseek-v3", ["deepseek-ai/deepseek-v3", "deepseek-v3-base"]),
    "Qwen1.5-MoE-A2.7B": ("qwen1.5-moe-a2.7b", ["qwen/qwen1.5-moe-a2.7b", "qwen1.5-moe-a2.7b-chat",
                                                "qwen2moe"]),
    "Qwen2-57B-A14B": ("qwen2-57b-a14b", ["qwen/qwen2-57b-a14b"]),
    "Qwen3-30B-A3B": ("qwen3-30b-a3b", ["qwen/qwen3-30b-a3b"]),
    "dbrx": ("dbrx", ["dbrx-instruct", "databricks/dbrx-instruct", "dbrx-base"]),
    "grok-1": ("grok-1", ["grok1", "xai-org/grok-1"]),
    "gpt-oss-20b": ("gpt-oss-20b", ["openai/gpt-oss-20b"]),
}

KEEP = ("hf_id", "config_fidelity", "official_total_params_b", "official_total_note",
        "official_active_params_b", "dtype_of_checkpoint", "sources", "counter_notes")


def main():
    src = json.load(open(sys.argv[1]))
    out = []
    for m in src:
        name, aliases = NAMES[m["name"]]
        p = {"name": name, "aliases": aliases, "display_name": m["name"]}
        for k in KEEP:
            if k in m:
                p[k] = m[k]
        cfg = dict(m["config"])
        if "model_type" not in cfg:
            # grok-1: the source is TensorRT-LLM's hard-coded HF-style dict, which has no
            # model_type; the HF port (hpcai-tech/grok-1) names it "grok-1".
            cfg["model_type"] = "grok-1"
            p["config_fidelity"] += '; model_type "grok-1" added (as in the hpcai-tech/grok-1 HF port)'
        p["hf_config"] = cfg
        out.append(p)
        if name == "deepseek-v3":
            # DeepSeek-R1 is a post-trained DeepSeek-V3: its config.json has the same architecture.
            r1 = json.loads(json.dumps(p))
            r1["name"] = "deepseek-r1"
            r1["aliases"] = ["deepseek-ai/deepseek-r1", "deepseek-r1-0528"]
            r1["display_name"] = "DeepSeek-R1"
            r1["hf_id"] = "deepseek-ai/DeepSeek-R1"
            r1["config_fidelity"] = ("DeepSeek-V3's config.json: DeepSeek-R1 is trained from "
                                     "DeepSeek-V3-Base and ships the same architecture "
                                     "(deepseek-ai/DeepSeek-R1 README: 'DeepSeek-R1 ... based on "
                                     "DeepSeek-V3-Base'; 671B total / 37B activated)")
            r1["sources"] = dict(p["sources"])
            r1["sources"]["r1_readme"] = "https://github.com/deepseek-ai/DeepSeek-R1/blob/main/README.md"
            out.append(r1)
    doc = {
        "schema": "vramfit.models/v1",
        "description": ("Built-in model presets: verbatim Hugging Face config.json objects with "
                        "official parameter counts, each citing its source. Generated by "
                        "tools/gen-models.py from the team's model-configs.json."),
        "models": out,
    }
    json.dump(doc, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


main()
