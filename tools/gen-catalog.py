#!/usr/bin/env python3
"""gen-catalog.py - builds config/azure-gpu-skus.json (vramfit catalog format) from the cited
research table ../shared/data/azure-gpu-skus.json. Run by hand when the research table changes;
the output is committed and compiled into the binary."""
import json
import sys
from fractions import Fraction

src = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/azure-gpu-skus.json"
rows = json.load(open(src))


# Host links for MoE experts in host RAM (issue 14). PCIe per direction, x16 lanes: 8/16/32 GT/s
# per lane for gen 3/4/5 with 128b/130b encoding (PCI-SIG base specifications 3.0/4.0/5.0) is
# 15.75/31.5/63.0 GB/s; the GPU's generation is its vendor's datasheet. Grace-Blackwell GPUs reach
# the Grace CPU's memory over NVLink-C2C instead (900 GB/s bidirectional, 450 per direction).
PCIE_GBPS = {3: 15.75, 4: 31.5, 5: 63.0}
PCIE_SPEC = "PCI-SIG PCIe base spec: 8/16/32 GT/s per lane (gen 3/4/5), 128b/130b, x16"
GPU_LINKS = [  # (substring of gpu_model, generation or None, GB/s per direction, datasheet)
    ("Tesla T4", 3, None, "NVIDIA T4 datasheet: PCIe Gen3 x16"),
    ("Tesla V100", 3, None, "NVIDIA V100 datasheet: PCIe Gen3 (32 GB/s bidirectional)"),
    ("Tesla M60", 3, None, "NVIDIA Tesla M60 datasheet: PCIe Gen3 x16"),
    ("A100", 4, None, "NVIDIA A100 datasheet: PCIe Gen4 64 GB/s (bidirectional)"),
    ("A10 24GB", 4, None, "NVIDIA A10 datasheet: PCIe Gen4 64 GB/s (bidirectional)"),
    ("H100", 5, None, "NVIDIA H100 datasheet: PCIe Gen5 128 GB/s (bidirectional)"),
    ("H200", 5, None, "NVIDIA H200 datasheet: PCIe Gen5 128 GB/s (bidirectional)"),
    ("RTX PRO 6000", 5, None, "NVIDIA RTX PRO 6000 Blackwell Server Edition datasheet: PCIe Gen5 x16"),
    ("MI300X", 5, None, "AMD Instinct MI300X datasheet: PCIe Gen5 x16, 128 GB/s"),
    ("MI25", 3, None, "AMD Radeon Instinct MI25 datasheet: PCIe Gen3 x16"),
    ("V620", 4, None, "AMD Radeon PRO V620 datasheet: PCIe 4.0 x16"),
    ("V710", 4, None, "AMD Radeon PRO V710 datasheet: PCIe 4.0 x16"),
    ("GB200", None, 450.0, "NVIDIA GB200 NVL72 datasheet: NVLink-C2C 900 GB/s bidirectional"),
    ("GB300", None, 450.0, "NVIDIA GB300 NVL72 datasheet: NVLink-C2C 900 GB/s bidirectional"),
]
# Peak memory bandwidth of one socket of the VM's processor (channels x MT/s x 8 bytes); a VM
# that holds part of a host may see less, so the answer calls it a bound.
CPU_MEMORY = [  # (substring of cpu, GB/s, source)
    ("7V12", 204.8, "AMD EPYC 7002: 8 channels DDR4-3200, 204.8 GB/s per socket"),
    ("7V13", 204.8, "AMD EPYC 7003: 8 channels DDR4-3200, 204.8 GB/s per socket"),
    ("7763", 204.8, "AMD EPYC 7003: 8 channels DDR4-3200, 204.8 GB/s per socket"),
    ("74F3", 204.8, "AMD EPYC 7003: 8 channels DDR4-3200, 204.8 GB/s per socket"),
    ("Genoa", 460.8, "AMD EPYC 9004: 12 channels DDR5-4800, 460.8 GB/s per socket"),
    ("Sapphire Rapids", 307.2, "Intel Xeon 4th gen: 8 channels DDR5-4800, 307.2 GB/s per socket"),
    ("E5-2690 v4", 76.8, "Intel Xeon E5-2690 v4 (ark.intel.com): 4 channels DDR4-2400, 76.8 GB/s"),
    ("Platinum 8168", 127.8, "Intel Xeon Platinum 8168 (ark.intel.com): 6 channels DDR4-2666, 127.8 GB/s"),
    ("Granite Rapids", 614.4, "Intel Xeon 6900P: 12 channels DDR5-6400, 614.4 GB/s per socket"),
    ("Grace", 512.0, "NVIDIA Grace CPU datasheet: LPDDR5X up to 512 GB/s per Grace"),
]


def links(r):
    """pcie_gen, pcie_gbps, host_memory_gbs, link_source of a research row (None when unknown)."""
    gen = gbps = mem = None
    src = []
    for sub, g, bw, why in GPU_LINKS:
        if sub in r["gpu_model"]:
            gen, gbps = g, (bw if bw is not None else PCIE_GBPS[g])
            src.append(why + ("" if bw is not None else "; " + PCIE_SPEC))
            break
    for sub, bw, why in CPU_MEMORY:
        if sub in (r.get("cpu") or ""):
            mem = bw
            src.append(why)
            break
    return gen, gbps, mem, ("; ".join(src) if src else None)

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
    gen, gbps, mem, lsrc = links(r)
    if lsrc:
        entry["pcie_gen"] = gen
        entry["pcie_gbps"] = gbps
        entry["host_memory_gbs"] = mem
        entry["link_source"] = lsrc
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
