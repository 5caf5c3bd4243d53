#!/usr/bin/env python3
"""gen-models.py - builds config/models.json (the compiled-in model presets) from real HF configs.

Inputs (all in the tree; no network):
  tools/presets.json                  the one list of presets: name, aliases, which config
  tests/data/model-configs.json       the team's 23 verbatim configs with official counts
  tests/data/model-configs-2026.json  27 more (shared/data), each with source and official sizes
  tests/data/preset-configs.json      configs found in public repositories (repo, path, commit)
  core/model/arch.c                   its family table says which model_types decode today

A preset whose model_type has no row in arch.c's family table is skipped with a message on
stderr, so a branch that adds the family only has to re-run this script (`make models`).
config/models.json must hold only presets that decode: the server refuses to start otherwise.
Usage: tools/gen-models.py [--check]   (writes config/models.json; --check compares instead)
"""
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "config", "models.json")


def load(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        return json.load(f)


def decodable_model_types():
    """model_type and alias strings of core/model/arch.c's family table (`families[]`)."""
    with open(os.path.join(ROOT, "core", "model", "arch.c"), encoding="utf-8") as f:
        src = f.read()
    table = src[src.index("families[] = {"):]
    table = table[:table.index("\n};")]
    return set(re.findall(r'\.(?:model_type|alias)\s*=\s*"([^"]+)"', table))


def entries(rel):
    """name -> entry of one config file (a list, or an object with "configs")."""
    doc = load(rel)
    items = doc["configs"] if isinstance(doc, dict) else doc
    return {e["name"]: e for e in items}


def sources_of(e):
    """The entry's sources as one object: config, official_total, official_active."""
    s = dict(e.get("sources") or {})
    cs = e.get("config_source")
    if cs:
        s["config"] = cs["url"]
    elif e.get("source") and "config" not in s:
        s["config"] = e["source"]
    for k, v in (("official_total", e.get("official_total_source") or e.get("official_source")),
                 ("official_active", e.get("official_active_source"))):
        if v and k not in s:
            s[k] = v
    return s


def build(row, e):
    cfg = dict(e["config"])
    p = {"name": row["name"], "aliases": [], "display_name": e["name"], "hf_id": e["hf_id"]}
    fidelity = e.get("config_fidelity") or e.get("provenance") or ""
    if "model_type" not in cfg:
        # grok-1: the source is TensorRT-LLM's hard-coded HF-style dict, which has no
        # model_type; the HF port (hpcai-tech/grok-1) names it "grok-1".
        cfg["model_type"] = "grok-1"
        fidelity += '; model_type "grok-1" added (as in the hpcai-tech/grok-1 HF port)'
    p["config_fidelity"] = fidelity
    for k in ("official_total_params_b", "official_total_note", "official_active_params_b"):
        if k in e:
            p[k] = e[k]
    note = e.get("official_total_source") or e.get("official_source")
    if note and "official_total_note" not in p:
        p["official_total_note"] = note
    # How the official total is meant (the test's tolerance): "exact" (a figure quoted to its
    # digits: within 1%, or half a unit of its last digit), "nominal" (a size name such as "70B":
    # within 5%), "convention" (counted another way; pinned in tests/unit/check_params.c).
    p["official_total_kind"] = row.get("official_total_kind") or e.get("official_total_kind") or "exact"
    dtype = e.get("dtype_of_checkpoint") or e.get("dtype_or_quant")
    if dtype:
        p["dtype_of_checkpoint"] = dtype
    p["sources"] = sources_of(e)
    p["counter_notes"] = e.get("counter_notes") or ([e["notes"]] if e.get("notes") else [])
    d = row.get("derive")
    if d:
        # A checkpoint that ships another model's architecture: that model's config, renamed.
        p["display_name"], p["hf_id"] = d["display_name"], d["hf_id"]
        p["config_fidelity"] = d["why"] + "; config: " + p["config_fidelity"]
        p["sources"]["derivation"] = d["source"]
        for k in ("official_total_params_b", "official_active_params_b", "official_total_note",
                  "official_total_kind"):
            p.pop(k, None)
    # Aliases never repeat the Hugging Face id: lookup matches hf_id itself (any case).
    hf = p["hf_id"].split(" ")[0]
    p["hf_id"] = hf
    p["aliases"] = [a for a in row["aliases"] if a.lower() != hf.lower()]
    p["hf_config"] = cfg
    return p


def main():
    check = sys.argv[1:] == ["--check"]
    rows = load("tools/presets.json")["presets"]
    files = {}
    ok = decodable_model_types()
    out, skipped = [], []
    for row in rows:
        if row["from"] not in files:
            files[row["from"]] = entries(row["from"])
        e = files[row["from"]].get(row["entry"])
        if e is None or not e.get("config"):
            sys.exit(f"gen-models: {row['name']}: no full config \"{row['entry']}\" in {row['from']}")
        mt = e["config"].get("model_type", "grok-1")
        if mt not in ok:
            skipped.append(row["name"])
            if not check:
                    print(f"gen-models: skipped {row['name']}: model_type \"{mt}\" has no row "
                      "in core/model/arch.c's family table yet", file=sys.stderr)
            continue
        out.append(build(row, e))
    doc = {
        "schema": "vramfit.models/v1",
        "description": ("Built-in model presets: real Hugging Face config.json objects with "
                        "official parameter counts, each citing its source. Generated by "
                        "tools/gen-models.py from tools/presets.json; do not edit."),
        "models": out,
    }
    text = json.dumps(doc, indent=1, ensure_ascii=False) + "\n"
    print(f"gen-models: {len(out)} presets, {len(skipped)} skipped", file=sys.stderr)
    if check:
        with open(OUT, encoding="utf-8") as f:
            if f.read() != text:
                sys.exit("gen-models: config/models.json is stale; run `make models`")
        return
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(text)


main()
