// gen-cases.js - runs the seed's own TypeScript on random valid inputs and writes the expected answers.
// usage: node gen-cases.js CATALOG.json TODAY OUT.json [COUNT]
'use strict';
const fs = require('fs');
const path = require('path');
const ts = require('typescript');

const [catalogPath, today, outPath, countArg] = process.argv.slice(2);
if (!catalogPath || !today || !outPath) {
  console.error('usage: node gen-cases.js CATALOG.json TODAY OUT.json [COUNT]');
  process.exit(2);
}
const COUNT = Number(countArg || 3000);

// Transpile the verbatim seed (types stripped by the TypeScript compiler itself, nothing by hand).
const source = fs.readFileSync(path.join(__dirname, 'seed.ts'), 'utf8');
const js = ts.transpileModule(source, {
  compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020 },
}).outputText;
const seed = {};
new Function('exports', 'require', js)(seed, require);

// The seed picks from the list it is given, in a stable sort by vram_gb. vramfit's rule is that
// sort over the catalog in canonical order (ties: fewer gpus_per_vm, then sku name), without
// sizes retired on or before today.
const catalog = JSON.parse(fs.readFileSync(catalogPath, 'utf8'));
const skus = catalog.skus
  .filter((s) => !(s.retires_on && s.retires_on <= today))
  .sort((a, b) => a.vram_gb - b.vram_gb || a.gpus_per_vm - b.gpus_per_vm ||
                  (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0))
  .map((s) => ({ sku: s.sku, gpu_model: s.gpu_model, gpus_per_vm: s.gpus_per_vm,
                 vram_gb: s.vram_gb, docs_url: s.docs_url }));

// mulberry32: a small deterministic PRNG so every run draws the same cases.
let state = 0x5eed2026;
function rand() {
  state = (state + 0x6d2b79f5) | 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (a) => a[Math.floor(rand() * a.length)];
const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
const logu = (lo, hi) => Math.exp(Math.log(lo) + rand() * (Math.log(hi) - Math.log(lo)));

function randomBody() {
  const body = {};
  body.params_b = rand() < 0.3 ? int(1, 1000) : Number(logu(0.05, 3000).toPrecision(int(2, 17)));
  body.layers = int(1, 160);
  body.hidden = rand() < 0.5 ? pick([768, 2048, 4096, 5120, 7168, 8192, 12288, 16384]) : int(1, 32768);
  const ctx = rand() < 0.5 ? pick([512, 2048, 4096, 8192, 32768, 131072]) : Math.round(logu(1, 1e6));
  if (rand() < 0.2) body.ctx_len = ctx; else body.ctx = ctx;
  if (rand() < 0.7) body.batch = rand() < 0.5 ? int(1, 8) : int(1, 1024);
  body.precision = pick(['fp32', 'fp16', 'bf16', 'int8', 'int4']);
  if (rand() < 0.5) body.training = rand() < 0.5;
  const r = rand();
  if (r < 0.4) {
    body.moe_active_ratio = rand() < 0.1 ? 1 : Number(rand().toPrecision(int(1, 17)));
    if (rand() < 0.5) body.moe_expert_fraction = rand() < 0.1 ? pick([0, 1]) : rand();
  } else if (r < 0.5) {
    body.moe_active_ratio = 0;
    if (rand() < 0.5) body.moe_expert_fraction = rand();
  } else if (r < 0.55) {
    body.moe_expert_fraction = rand(); // ignored by the seed: dense
  }
  return body;
}

const fixed = [
  // The seed's worked example.
  { params_b: 685, layers: 61, hidden: 7168, ctx: 4096, precision: 'fp16', moe_active_ratio: 0.05 },
  { params_b: 7, layers: 32, hidden: 4096, ctx: 4096, batch: 1, precision: 'fp16' },
  { params_b: 46.7, layers: 32, hidden: 4096, ctx: 32768, precision: 'bf16', moe_active_ratio: 0.25 },
  { params_b: 100000, layers: 10000, hidden: 1048576, ctx: 16777216, batch: 1048576, precision: 'fp32',
    training: true, moe_active_ratio: 1, moe_expert_fraction: 1 },
  { params_b: 0.001, layers: 1, hidden: 1, ctx: 1, precision: 'int4', moe_active_ratio: 1e-9,
    moe_expert_fraction: 0 },
];

const cases = [];
for (let i = 0; i < COUNT; i++) {
  const body = i < fixed.length ? fixed[i] : randomBody();
  const input = {
    params_b: body.params_b, layers: body.layers, hidden: body.hidden,
    ctx: body.ctx !== undefined ? body.ctx : body.ctx_len,
    batch: body.batch !== undefined ? body.batch : 1, precision: body.precision,
    training: body.training, moe_active_ratio: body.moe_active_ratio,
    moe_expert_fraction: body.moe_expert_fraction, skus,
  };
  const out = seed.estimateWithSku(input);
  cases.push({
    body,
    expected: {
      weights_gb: out.weights_gb, kv_gb: out.kv_gb, total_gb: out.total_gb,
      weights_active_gb: out.weights_active_gb, weights_footprint_gb: out.weights_footprint_gb,
      total_active_gb: out.total_active_gb, total_footprint_gb: out.total_footprint_gb,
      gpus: out.gpus, sku: out.sku ? out.sku.sku : null,
    },
  });
}
fs.mkdirSync(path.dirname(outPath), { recursive: true });
fs.writeFileSync(outPath, JSON.stringify({ today, generator: 'seed.ts via typescript ' + ts.version,
                                            cases }));
console.log(`seed parity: ${cases.length} cases from the seed's TypeScript -> ${outPath}`);
