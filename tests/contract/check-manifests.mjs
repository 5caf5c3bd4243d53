// check-manifests.mjs - validates the Kubernetes manifests POST /estimate answers carry in `deploy`
// (a KAITO Workspace on one VM, a LeaderWorkerSet across VMs) against their published CRD schemas,
// vendored with their source in tests/data/crd (tools/vendor-crd.py), strictly: a field the schema
// does not list fails, as kubectl apply --validate=strict would refuse it. Pod templates the CRD
// leaves open (KAITO's inference.template) are checked against the Kubernetes PodTemplateSpec
// (kubernetes-models, the same strict check as deploy/).
//
// usage: node check-manifests.mjs RECORD_DIR
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { PodTemplateSpec } from 'kubernetes-models/v1';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = process.argv[2];
if (!dir) {
  console.error('usage: node check-manifests.mjs RECORD_DIR');
  process.exit(2);
}
const problems = [];
const fail = (m) => problems.push(m);

// 1. The vendored schemas, each with its source.
const crdDir = join(root, 'tests', 'data', 'crd');
const crds = {};
for (const f of readdirSync(crdDir).filter((n) => n.endsWith('.json'))) {
  const doc = JSON.parse(readFileSync(join(crdDir, f), 'utf8'));
  const s = doc.source ?? {};
  if (!s.repo || !s.path || !/^[0-9a-f]{40}$/.test(s.commit ?? '') || !s.group || !s.kind || !s.version)
    fail(`${f}: no source (repo, path, 40-hex commit, group, kind, version)`);
  crds[`${s.group}/${s.version}/${s.kind}`] = { file: f, schema: doc.schema };
}

// A structural schema prunes fields it does not list; closing every object that lists properties
// (and keeps no unknown fields on purpose) turns pruning into an error, as strict validation does.
const close = (node) => {
  if (Array.isArray(node)) return node.map(close);
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) out[k] = k === 'properties' ? Object.fromEntries(Object.entries(v).map(([p, s]) => [p, close(s)])) : close(v);
  if (node.properties && !('additionalProperties' in node) && !node['x-kubernetes-preserve-unknown-fields'])
    out.additionalProperties = false;
  return out;
};
// CRD schemas are OpenAPI v3 (a JSON Schema subset) with x-kubernetes-* extensions and formats
// such as int32 that only describe; Ajv validates the subset and ignores the rest.
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
addFormats(ajv);
const validators = {};
for (const [key, { schema }] of Object.entries(crds)) validators[key] = ajv.compile(close(schema));

function podTemplateProblems(tpl, where) {
  const out = [];
  const records = new Map();
  const wrap = (obj, path) => {
    let rec = records.get(obj);
    if (!rec) {
      rec = { obj, seen: new Set(), path };
      rec.proxy = new Proxy(obj, {
        get(t, k) {
          if (typeof k === 'string') rec.seen.add(k);
          const v = t[k];
          return typeof k === 'string' && v && typeof v === 'object' ? wrap(v, `${path}/${k}`) : v;
        },
        ownKeys(t) {
          for (const k of Reflect.ownKeys(t)) if (typeof k === 'string') rec.seen.add(k);
          return Reflect.ownKeys(t);
        },
      });
      records.set(obj, rec);
    }
    return rec.proxy;
  };
  try {
    PodTemplateSpec.prototype.validate.call(wrap(structuredClone(tpl), ''));
  } catch (e) {
    out.push(`${where}: ${e.message}`);
  }
  for (const { obj, seen, path } of records.values())
    for (const k of Object.keys(obj)) if (!seen.has(k)) out.push(`${where}${path}/${k}: not a field of PodTemplateSpec`);
  return out;
}

export function manifestProblems(m, where) {
  const [group, version] = (m.apiVersion ?? '').split('/');
  const key = `${group}/${version}/${m.kind}`;
  const validate = validators[key];
  if (!validate) return [`${where}: no vendored schema for ${m.apiVersion} ${m.kind}`];
  const out = [];
  // What the API server checks before the schema: the object's identity and a DNS-1123 name.
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(m.metadata?.name ?? '') || m.metadata.name.length > 63)
    out.push(`${where}: metadata.name "${m.metadata?.name}" is not a DNS-1123 label`);
  if (!validate(m)) out.push(...validate.errors.map((e) => `${where}${e.instancePath} ${e.message}${e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : ''}`));
  if (m.kind === 'Workspace') {
    const tpl = m.inference?.template;
    if (!tpl) out.push(`${where}: no inference.template`);
    else out.push(...podTemplateProblems(tpl, `${where}/inference/template`));
  }
  return out;
}

// 2. Every manifest of every recorded answer.
const seen = { Workspace: 0, LeaderWorkerSet: 0 };
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
let sample = null;
for (const f of files) {
  const rec = JSON.parse(readFileSync(join(dir, f), 'utf8'));
  if (rec.method !== 'POST' || !rec.path.startsWith('/estimate') || rec.status !== 200 || !rec.body) continue;
  if (rec.headers?.['content-encoding']) continue;
  let body;
  try { body = JSON.parse(rec.body); } catch { continue; }
  const d = body.deploy;
  if (!d || typeof d !== 'object' || body.view) continue; /* a summary names its manifest only */
  for (const k of ['kaito', 'leaderworkerset']) {
    if (!d[k]) continue;
    seen[d[k].kind] = (seen[d[k].kind] ?? 0) + 1;
    sample ??= {};
    sample[d[k].kind] ??= d[k];
    for (const p of manifestProblems(d[k], `${rec.path} (${f}) deploy.${k}`)) fail(p);
  }
  // The layout and the manifest agree: one VM a Workspace, several a LeaderWorkerSet of nodes pods.
  // An offloaded layout is started by llama.cpp from a GGUF file (deploy.engine "llama.cpp", or
  // "none" for on_demand): no serving image to template, so no manifest.
  const served = d.engine === 'vllm' || d.engine === 'sglang';
  if (served && body.nodes === 1 && !d.kaito) fail(`${f}: one VM but no deploy.kaito`);
  if (!served && (d.kaito || d.leaderworkerset)) fail(`${f}: an offloaded llama.cpp layout carries a manifest`);
  if (body.nodes > 1 && d.leaderworkerset?.spec?.leaderWorkerTemplate?.size !== body.nodes)
    fail(`${f}: ${body.nodes} VMs but no LeaderWorkerSet of that size`);
  if (d.kaito && d.kaito.resource?.instanceType !== body.sku?.sku) fail(`${f}: kaito instanceType is not the chosen size`);
}

// 3. Both kinds were generated by some test, and the check bites (a check that cannot fail is a
//    defect): a misspelt field, a wrong type and a wrong API version must each be caught.
for (const [kind, n] of Object.entries(seen)) if (n === 0) fail(`no recorded answer carried a ${kind}: a test must ask for one`);
if (sample?.Workspace) {
  const typo = structuredClone(sample.Workspace);
  typo.resource.instancetype = typo.resource.instanceType;
  if (!manifestProblems(typo, 'selftest').some((e) => e.includes('instancetype'))) fail('selftest: a misspelt Workspace field was not caught');
  const badCount = structuredClone(sample.Workspace);
  badCount.resource.count = '1';
  if (manifestProblems(badCount, 'selftest').length === 0) fail('selftest: resource.count "1" (a string) was not caught');
  const badPod = structuredClone(sample.Workspace);
  badPod.inference.template.spec.containers[0].imagePullPolicyy = 'Always';
  if (!manifestProblems(badPod, 'selftest').some((e) => e.includes('imagePullPolicyy'))) fail('selftest: a misspelt container field in the Workspace template was not caught');
}
if (sample?.LeaderWorkerSet) {
  const typo = structuredClone(sample.LeaderWorkerSet);
  typo.spec.leaderWorkerTemplate.workerTemplate.spec.containers[0].comand = ['x'];
  if (!manifestProblems(typo, 'selftest').some((e) => e.includes('comand'))) fail('selftest: a misspelt LeaderWorkerSet container field was not caught');
  const badSize = structuredClone(sample.LeaderWorkerSet);
  badSize.spec.leaderWorkerTemplate.size = 'two';
  if (manifestProblems(badSize, 'selftest').length === 0) fail('selftest: size "two" was not caught');
  const badVersion = structuredClone(sample.LeaderWorkerSet);
  badVersion.apiVersion = 'leaderworkerset.x-k8s.io/v2';
  if (manifestProblems(badVersion, 'selftest').length === 0) fail('selftest: an unknown apiVersion was not caught');
}

if (problems.length) {
  console.error(`manifests: ${problems.length} problem(s):`);
  for (const p of problems.slice(0, 40)) console.error('  ' + p);
  process.exit(1);
}
console.log(`manifests: ${seen.Workspace} KAITO Workspaces and ${seen.LeaderWorkerSet} LeaderWorkerSets in the answers valid against their CRD schemas (strict; ${Object.values(crds).map((c) => c.file).join(', ')})`);
