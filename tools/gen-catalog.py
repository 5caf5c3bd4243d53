#!/usr/bin/env python3
"""gen-catalog.py - builds config/azure-gpu-skus.json (vramfit catalog format) from the cited
research table ../shared/data/azure-gpu-skus.json. Run by hand when the research table changes;
the output is committed and compiled into the binary."""
import json
import sys
from fractions import Fraction

src = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/azure-gpu-skus.json"
rows = json.load(open(src))

out = []
for r in rows:
    frac = r.get("gpu_fraction")
    partial = frac is not None
    inter = r.get("interconnect")
    entry = {
        "sku": r["sku"],
        "vendor": r["gpu_vendor"],
        "series": r["series"],
        "gpu_model": r["gpu_model"],
        # Fractional sizes: the VM sees one (partial) GPU whose frame buffer is vram_gb.
        "gpus_per_vm": 1 if partial else int(r["gpus_per_vm"]),
        "vram_gb": r["vram_gb_per_gpu"],
        "vcpus": r["vcpus"],
        "memory_gib": r["memory_gib"],
        "partial": partial,
        "gpu_fraction": float(Fraction(frac)) if partial else 1,
        "retires_on": r.get("retirement_date"),
        "docs_url": r["docs_url"],
        "interconnect": inter,
        "infiniband": bool(inter and "InfiniBand" in inter),
        "cpu_arch": r.get("cpu_arch"),
        "source": r["source"],
    }
    if r.get("note"):
        entry["note"] = r["note"]
    out.append(entry)

doc = {
    "schema": "vramfit.catalog/v1",
    "description": "Azure GPU VM sizes, built from the Microsoft size documentation; each entry cites its source.",
    "skus": out,
}
json.dump(doc, sys.stdout, indent=2, ensure_ascii=False)
sys.stdout.write("\n")
