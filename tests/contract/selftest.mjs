// selftest.mjs - proves validate.mjs fails on what it must catch (a check that cannot fail is a defect).
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

const here = dirname(fileURLToPath(import.meta.url));
const cases = [
  ['an undocumented response field', { method: 'GET', path: '/healthz', status: 200, body: '{"status":"ok","uptime_s":3}\n' }, 'uptime_s'],
  ['an undocumented status', { method: 'GET', path: '/healthz', status: 418, body: '{}' }, 'not documented'],
  ['a wrong type', { method: 'GET', path: '/readyz', status: 200, body: '{"status":"ready","catalog":{"source":"embedded","skus":"51"}}' }, 'must be integer'],
  ['an unknown path answering 200', { method: 'GET', path: '/secret', status: 200, body: '{}' }, 'not in openapi.yaml'],
  ['a price_source outside its enum', { method: 'POST', path: '/estimate', status: 200, body: '{"kind":"refined","weights_active_gb":1,"weights_footprint_gb":1,"kv_gb":1,"params_active_b":1,"moe":false,"kv_bytes_per_token":1,"kv_element_bytes":2,"per_gpu_total_gb":1,"price_source":"live","input":{"params_b":1,"layers":1,"hidden":1,"ctx":1,"batch":1,"precision":"fp16","training":false},"assumptions":[]}' }, 'allowed values'],
  ['a kind naming the wrong answer', { method: 'POST', path: '/estimate', status: 200, body: '{"kind":"training","weights_active_gb":1,"weights_footprint_gb":1,"kv_gb":1,"params_active_b":1,"moe":false,"kv_bytes_per_token":1,"kv_element_bytes":2,"per_gpu_total_gb":1,"input":{"params_b":1,"layers":1,"hidden":1,"ctx":1,"batch":1,"precision":"fp16","training":false},"assumptions":[]}' }, "required property 'mode'"],
  ['a missing X-Request-Id', { method: 'GET', path: '/healthz', status: 200, body: '{"status":"ok"}', noid: true }, 'X-Request-Id'],
];
let failed = 0;
for (const [what, rec, needle] of cases) {
  const dir = mkdtempSync(join(tmpdir(), 'vramfit-contract-'));
  const headers = { 'content-type': 'application/json' };
  if (!rec.noid) headers['x-request-id'] = '0123456789abcdef';
  writeFileSync(join(dir, 'r.json'), JSON.stringify({ ...rec, headers }));
  const r = spawnSync(process.execPath, [join(here, 'validate.mjs'), dir], { encoding: 'utf8' });
  rmSync(dir, { recursive: true });
  if (r.status !== 1 || !r.stderr.includes(needle)) {
    console.error(`selftest: validate.mjs did not catch ${what} (exit ${r.status}):\n${r.stderr}`);
    failed++;
  }
}
if (failed) process.exit(1);
console.log(`contract selftest: ${cases.length} bad exchanges caught`);
