// seed.ts - the seed's TypeScript reference (../shared/seeds/002_e0badbfae0554e15.txt), copied verbatim.
export type Precision = 'fp32' | 'fp16' | 'bf16' | 'int8' | 'int4';

export interface EstimateInput {
  params_b: number;        // total params (billions)
  layers: number;
  hidden: number;
  ctx: number;             // map ctx_len -> ctx if needed
  batch: number;
  precision: Precision;
  training?: boolean;

  // --- MoE additions ---
  moe_active_ratio?: number;    // fraction of expert params active per token
  moe_expert_fraction?: number; // fraction of total params in experts
}

const BYTES: Record<Precision, number> = {
  fp32: 4, fp16: 2, bf16: 2, int8: 1, int4: 0.5,
};

export interface EstimateOutput {
  weights_gb: number;          // active weights for MoE; total for dense
  kv_gb: number;
  total_gb: number;            // VM sizing (single-VM, no-offload)
  gpus: number;
  sku?: AzureGpuSku;
  // optional visibility:
  weights_active_gb?: number;
  weights_footprint_gb?: number;
  total_active_gb?: number;
  total_footprint_gb?: number;
}

export interface AzureGpuSku {
  sku: string; gpu_model: string; gpus_per_vm: number; vram_gb: number; docs_url: string;
}

export interface EstimateFullInput extends EstimateInput {
  skus: AzureGpuSku[];
  vram_per_gpu?: number;
}

export function estimate(input: EstimateInput): Omit<EstimateOutput, 'gpus' | 'sku'> {
  const bytes = BYTES[input.precision];
  const isMoe = (input.moe_active_ratio ?? 0) > 0;
  const fExp = isMoe ? (input.moe_expert_fraction ?? 0.90) : 0.0;
  const rAct = isMoe ? (input.moe_active_ratio as number) : 0.0;

  const pTotal = input.params_b;            // billions
  const pExperts = pTotal * fExp;
  const pShared  = pTotal - pExperts;

  const pActive = isMoe ? (pShared + rAct * pExperts) : pTotal;

  const W_active    = (pActive * 1e9 * bytes) / 1e9;
  const W_footprint = (pTotal  * 1e9 * bytes) / 1e9;

  const K = (2 * input.layers * input.ctx * input.hidden * bytes * input.batch) / 1e9;
  const opt = input.training ? 2.5 * W_footprint : 0;

  const total_active_gb    = 1.2 * (W_active + K + opt);
  const total_footprint_gb = 1.2 * (W_footprint + K + opt);

  // Single-VM selection → footprint governs if no offload is modeled
  return {
    weights_gb: W_active,
    kv_gb: K,
    total_gb: total_footprint_gb,
    weights_active_gb: W_active,
    weights_footprint_gb: W_footprint,
    total_active_gb,
    total_footprint_gb,
  };
}

export function estimateWithSku(input: EstimateFullInput): EstimateOutput {
  const base = estimate(input);
  let best: AzureGpuSku | undefined;
  let needed = 0;
  for (const sku of [...input.skus].sort((a, b) => a.vram_gb - b.vram_gb)) {
    const gpus = Math.ceil(base.total_gb / sku.vram_gb);
    if (gpus <= sku.gpus_per_vm) { best = sku; needed = gpus; break; }
  }
  return { ...base, gpus: needed, sku: best };
}
