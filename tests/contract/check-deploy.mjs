// check-deploy.mjs - validates deploy/*.yaml against the Kubernetes schemas (kubernetes-models,
// strict: unknown fields fail too), checks the manifests agree with each other, with the
// server's options and with the Dockerfile, and lints the Dockerfile (dockerfile-utils).
//
// usage: node check-deploy.mjs [VRAMFIT_BIN]
import { readFileSync, readdirSync, writeFileSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import YAML from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1';
import { ConfigMap, Service } from 'kubernetes-models/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { DockerfileParser } from 'dockerfile-ast';
import { validate as lintDockerfile } from 'dockerfile-utils';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = process.argv[2] ?? join(root, 'build', 'vramfit');
const problems = [];
const fail = (m) => problems.push(m);
const models = {
  'apps/v1/Deployment': Deployment,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

// Schema validation, plus unknown fields: a Proxy notes every key the generated validator
// looks at; a key it never looked at is not in the schema (a typo like "livenesProbe").
export function strictValidate(raw) {
  const Model = models[`${raw.apiVersion}/${raw.kind}`];
  if (!Model) return [`no schema for ${raw.apiVersion} ${raw.kind}`];
  // One record per underlying object: the validator may fetch the same child several times.
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
  const out = [];
  try {
    Model.prototype.validate.call(wrap(raw, ''));
  } catch (e) {
    out.push(e.message);
  }
  for (const { obj, seen, path } of records.values())
    for (const k of Object.keys(obj)) if (!seen.has(k)) out.push(`${path}/${k}: not a field of ${raw.kind}`);
  return out;
}

// 1. Every manifest, every document.
const dir = join(root, 'deploy');
const docs = {};
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
for (const f of files) {
  for (const d of YAML.parseAllDocuments(readFileSync(join(dir, f), 'utf8'))) {
    if (d.errors.length) { fail(`${f}: ${d.errors[0].message}`); continue; }
    const raw = d.toJSON();
    for (const e of strictValidate(raw)) fail(`${f}: ${raw.kind}: ${e}`);
    docs[raw.kind] = raw;
  }
}

// 2. The kustomization lists exactly the manifests.
const kust = YAML.parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8'));
if (kust.kind !== 'Kustomization') fail('kustomization.yaml: kind must be Kustomization');
for (const k of Object.keys(kust))
  if (!['apiVersion', 'kind', 'resources', 'images', 'namespace', 'labels', 'configMapGenerator', 'patches'].includes(k))
    fail(`kustomization.yaml: unexpected key ${k}`);
const listed = new Set(kust.resources ?? []);
for (const f of files) if (!listed.has(f)) fail(`kustomization.yaml does not list ${f}`);
for (const r of listed) if (!files.includes(r)) fail(`kustomization.yaml lists ${r}, which is not in deploy/`);

// 3. The pieces agree.
const dep = docs.Deployment, pod = dep?.spec?.template?.spec, c = pod?.containers?.[0];
const labels = dep?.spec?.template?.metadata?.labels ?? {};
const matches = (sel) => sel && Object.entries(sel).every(([k, v]) => labels[k] === v);
if (!dep || !c) fail('deploy/: no Deployment with a container');
else {
  if (dep.spec.replicas !== 2) fail('Deployment: 2 replicas expected');
  if (dep.spec.strategy?.type !== 'RollingUpdate') fail('Deployment: rolling update expected');
  if (!matches(dep.spec.selector?.matchLabels)) fail('Deployment: selector does not match the pod labels');
  if (!matches(docs.Service?.spec?.selector)) fail('Service: selector does not match the pod labels');
  if (!matches(docs.PodDisruptionBudget?.spec?.selector?.matchLabels)) fail('PodDisruptionBudget: selector does not match the pod labels');
  const ref = docs.HorizontalPodAutoscaler?.spec?.scaleTargetRef;
  if (ref?.kind !== 'Deployment' || ref?.name !== dep.metadata.name) fail('HPA: scaleTargetRef is not the Deployment');
  if (!docs.HorizontalPodAutoscaler?.spec?.metrics?.some((m) => m.resource?.name === 'cpu')) fail('HPA: no CPU metric');
  if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory || !c.resources?.limits?.memory)
    fail('Deployment: cpu/memory requests and a memory limit are needed (the HPA scales on CPU requests)');
  const sc = c.securityContext ?? {};
  if (pod.securityContext?.runAsNonRoot !== true) fail('Deployment: runAsNonRoot must be true');
  if (sc.readOnlyRootFilesystem !== true) fail('Deployment: readOnlyRootFilesystem must be true');
  if (sc.allowPrivilegeEscalation !== false) fail('Deployment: allowPrivilegeEscalation must be false');
  if (!(sc.capabilities?.drop ?? []).includes('ALL')) fail('Deployment: capabilities must drop ALL');

  // Probes hit routes of the contract, on the container's port.
  const spec = YAML.parse(readFileSync(join(root, 'openapi.yaml'), 'utf8'));
  const want = { livenessProbe: '/healthz', readinessProbe: '/readyz', startupProbe: null };
  for (const [p, path] of Object.entries(want)) {
    const g = c[p]?.httpGet;
    if (!g) { fail(`Deployment: no ${p}`); continue; }
    if (path && g.path !== path) fail(`Deployment: ${p} should GET ${path}`);
    if (!spec.paths[g.path]?.get) fail(`Deployment: ${p} path ${g.path} is not in openapi.yaml`);
    if (!c.ports.some((pt) => pt.name === g.port || pt.containerPort === g.port)) fail(`Deployment: ${p} port ${g.port} is not a container port`);
  }

  // The ConfigMap's config.json is accepted by the real binary, and agrees with the pod.
  const cfgText = docs.ConfigMap?.data?.['config.json'];
  if (!cfgText) fail('ConfigMap: no config.json');
  else {
    const tmp = mkdtempSync(join(tmpdir(), 'vramfit-deploy-'));
    writeFileSync(join(tmp, 'config.json'), cfgText);
    const r = spawnSync(bin, ['--config', join(tmp, 'config.json'), '--print-config'], { encoding: 'utf8' });
    rmSync(tmp, { recursive: true });
    if (r.status !== 0) fail(`ConfigMap config.json refused by ${bin}: ${r.stderr.trim()}`);
    else {
      const eff = JSON.parse(r.stdout);
      if (!c.ports.some((p) => p.containerPort === eff.port)) fail(`ConfigMap port ${eff.port} is not the containerPort`);
      // Probes and scrapes go to the probe listener, which clients on the main port cannot starve.
      const pp = eff['probe-port'];
      if (!(pp > 0) || pp === eff.port) fail(`ConfigMap: probe-port ${pp} must be a port of its own`);
      const portOf = (ref) => c.ports.find((pt) => pt.name === ref || pt.containerPort === ref)?.containerPort;
      for (const p of ['livenessProbe', 'readinessProbe', 'startupProbe'])
        if (c[p]?.httpGet && portOf(c[p].httpGet.port) !== pp) fail(`Deployment: ${p} must use the probe port ${pp}`);
      if (Number(dep.spec.template.metadata?.annotations?.['prometheus.io/port']) !== pp)
        fail(`Deployment: prometheus.io/port must be the probe port ${pp}`);
      for (const sp of docs.Service?.spec?.ports ?? [])
        if (portOf(sp.targetPort) === pp) fail('Service: the probe port is for the kubelet and Prometheus, not clients');
      const pre = c.lifecycle?.preStop?.exec?.command;
      const preS = pre?.[0] === 'sleep' ? Number(pre[1]) : (c.lifecycle?.preStop?.sleep?.seconds ?? 0);
      const tgps = pod.terminationGracePeriodSeconds ?? 30;
      if (preS < 1) fail('Deployment: a preStop delay lets endpoints drain before SIGTERM');
      if (tgps < preS + eff['shutdown-grace'] + 5)
        fail(`terminationGracePeriodSeconds ${tgps} < preStop ${preS} + shutdown-grace ${eff['shutdown-grace']} + 5`);
    }
    if (!c.args?.includes('--config')) fail('Deployment: the container does not pass --config');
  }
}

// 4. The Dockerfile: lint, then the facts the issue asks for.
const dfText = readFileSync(join(root, 'Dockerfile'), 'utf8');
for (const d of lintDockerfile(dfText)) fail(`Dockerfile:${d.range.start.line + 1}: ${d.message}`);
const df = DockerfileParser.parse(dfText);
const stages = df.getFROMs();
if (stages.length !== 2) fail('Dockerfile: two stages (build, runtime) expected');
for (const f of stages) {
  const img = f.getImageName(), tag = f.getImageTag();
  if (img !== 'debian' || !tag || !/bookworm.*slim|^12[.0-9]*-slim$/.test(tag)) fail(`Dockerfile: FROM ${img}:${tag} is not a pinned Debian bookworm-slim tag`);
}
const instrs = df.getInstructions();
const stageOf = (ins) => stages.filter((f) => f.getRange().start.line <= ins.getRange().start.line).length - 1;
const runs = (s) => instrs.filter((i) => i.getKeyword() === 'RUN' && stageOf(i) === s).map((i) => i.getTextContent().replace(/^RUN\s+/, ''));
const makeCalls = (text) => [...text.matchAll(/(?:^|&&|;|\n|\|\|)\s*make\b([^&;\n|]*)/g)].map((m) => m[1].replace(/\\/g, ' ').trim().split(/\s+/).filter(Boolean).join(' '));
const dockerMakes = runs(0).flatMap(makeCalls);
const ci = readFileSync(join(root, '.ci', 'run'), 'utf8');
const ciMakes = makeCalls(ci);
// The image builds with what CI runs: `make deps`, then the default goal, which `make test` builds too.
if (JSON.stringify(dockerMakes) !== JSON.stringify(['deps', ''])) fail(`Dockerfile: the build stage must run "make deps" then "make" (runs: ${JSON.stringify(dockerMakes)})`);
if (!ciMakes.includes('deps')) fail('.ci/run no longer runs make deps: update the Dockerfile check');
const mk = readFileSync(join(root, 'Makefile'), 'utf8');
const testRule = mk.match(/^test:(.*)$/m)?.[1] ?? '';
const allRule = mk.match(/^all:(.*)$/m)?.[1] ?? '';
if (!ciMakes.includes('test') || !/\$\(BIN\)/.test(testRule) || !/\$\(BIN\)/.test(allRule) || !/DEFAULT_GOAL := all/.test(mk))
  fail('Makefile/.ci/run: `make test` must build the same $(BIN) as the default goal the Dockerfile runs');
const runtime = instrs.filter((i) => stageOf(i) === 1);
const kw = (k) => runtime.filter((i) => i.getKeyword() === k);
const copies = kw('COPY');
// Exactly the server and its fetch helper, into one directory (the server runs the helper from
// its own directory).
if (copies.length !== 1 || !/^COPY\s+--from=build\s+\/src\/build\/vramfit\s+\/src\/build\/vramfit-fetch\s+\/usr\/local\/bin\/\s*$/.test(copies[0].getTextContent().trim()))
  fail('Dockerfile: the runtime stage must copy only build/vramfit and build/vramfit-fetch, together, from the build stage');
const user = kw('USER')[0]?.getTextContent().replace(/^USER\s+/, '').trim();
if (!user || !/^[1-9][0-9]*(:[0-9]+)?$/.test(user)) fail(`Dockerfile: USER must be a numeric non-root uid (got ${user})`);
else if (dep && String(dep.spec.template.spec.securityContext?.runAsUser) !== user.split(':')[0])
  fail(`Deployment runAsUser differs from the Dockerfile's USER ${user}`);
if (!kw('EXPOSE').some((e) => /\b8080\b/.test(e.getTextContent()))) fail('Dockerfile: EXPOSE 8080 missing');
if (!kw('STOPSIGNAL').some((e) => /SIGTERM/.test(e.getTextContent()))) fail('Dockerfile: STOPSIGNAL SIGTERM missing');
// The runtime packages cover every shared library the binary needs (readelf NEEDED -> dpkg -S).
const rtText = runs(1).join(' ');
const rtPkgs = new Set([...rtText.matchAll(/\b(lib[a-z0-9.+-]+|ca-certificates)\b/g)].map((m) => m[1]));
if ([...rtPkgs].some((p) => p.endsWith('-dev'))) fail('Dockerfile: the runtime stage installs -dev packages');
const base = new Set(['libc6', 'zlib1g', 'libgcc-s1']); // in debian:bookworm-slim
const helper = join(dirname(bin), 'vramfit-fetch');
if (!existsSync(helper)) fail(`${helper} is missing: the server runs it for every refresh`);
const needed = [bin, helper].flatMap((b) => [...spawnSync('readelf', ['-d', b], { encoding: 'utf8' }).stdout.matchAll(/NEEDED.*\[(.+)\]/g)]);
for (const m of needed) {
  const lib = m[1];
  const found = spawnSync('sh', ['-c', `p=$(ldconfig -p | awk '$1=="${lib}" {print $NF; exit}'); r=$(realpath "$p"); ` +
    // usrmerge: dpkg may know a file under /lib or under /usr/lib, by its link or its target.
    `for v in "$p" "$r" "\${p#/usr}" "/usr$p" "\${r#/usr}" "/usr$r"; do dpkg -S "$v" 2>/dev/null && break; done`], { encoding: 'utf8' });
  const pkg = found.stdout.split(':')[0].trim();
  if (!pkg) fail(`Dockerfile: cannot tell which package ships ${lib}`);
  else if (!base.has(pkg) && !rtPkgs.has(pkg)) fail(`Dockerfile: the runtime stage lacks ${pkg} (for ${lib})`);
}

// 5. The checks themselves catch what they must (a check that cannot fail is a defect).
if (dep) {
  const typo = structuredClone(dep);
  const ct = typo.spec.template.spec.containers[0];
  ct.livenesProbe = ct.livenessProbe;
  delete ct.livenessProbe;
  if (!strictValidate(typo).some((e) => e.includes('livenesProbe'))) fail('selftest: a misspelt field was not caught');
  const badType = structuredClone(dep);
  badType.spec.replicas = '2';
  if (strictValidate(badType).length === 0) fail('selftest: replicas "2" (a string) was not caught');
}
if (lintDockerfile('FROM debian:bookworm-slim\nEXPOSE eighty\nSTOPSIGNAL\n').length === 0)
  fail('selftest: dockerfile-utils found nothing wrong in a broken Dockerfile');

if (problems.length) {
  console.error(`deploy: ${problems.length} problem(s):`);
  for (const p of problems) console.error('  ' + p);
  process.exit(1);
}
console.log(`deploy: ${files.length} manifests valid against the Kubernetes schemas (strict), consistent with config, probes and the Dockerfile; Dockerfile lint clean`);
