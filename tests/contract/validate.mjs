// validate.mjs - checks every HTTP exchange the integration tests recorded against openapi.yaml.
//
// usage: node validate.mjs RECORD_DIR
// Fails (exit 1) when a response's status, content type, headers or body is not what the spec
// says - including any field the spec does not list, since every object schema is closed - when
// an operation of the spec was never exercised, when the served config/openapi.json is stale,
// or when the README names a route the spec lacks.
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import YAML from 'yaml';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = process.argv[2];
if (!dir) {
  console.error('usage: node validate.mjs RECORD_DIR');
  process.exit(2);
}
const spec = YAML.parse(readFileSync(join(root, 'openapi.yaml'), 'utf8'));
const problems = [];
const fail = (msg) => problems.push(msg);

// 1. The JSON the server embeds must be the YAML, converted (make openapi regenerates it).
const served = JSON.parse(readFileSync(join(root, 'config', 'openapi.json'), 'utf8'));
if (!isDeepStrictEqual(served, spec))
  fail('config/openapi.json is stale: run `make openapi` and rebuild');

// 2. Every schema that lists properties must say whether others are allowed: a field added in
//    the code but not in the spec must fail, so response objects are closed.
function walk(node, where) {
  if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${where}/${i}`));
  if (node === null || typeof node !== 'object') return;
  if (node.properties && !('additionalProperties' in node) && !('unevaluatedProperties' in node))
    fail(`${where}: an object schema without additionalProperties (set false to close it)`);
  for (const [k, v] of Object.entries(node)) if (k !== 'example' && k !== 'examples') walk(v, `${where}/${k}`);
}
walk(spec.components?.schemas, '#/components/schemas');
walk(spec.paths, '#/paths');

// 3. Schemas go to Ajv with their $refs pointed at one document holding components.schemas.
// discriminator: Ajv checks `kind` picks the branch whose const it is (EstimateAnswer).
const ajv = new Ajv2020({ strict: true, allErrors: true, discriminator: true });
addFormats(ajv);
ajv.addVocabulary(['x-unit']);
// Ajv derives a discriminator's mapping from each branch's const and refuses an explicit one,
// so the mapping is checked against the consts here and then left out.
const rewrite = (node) => {
  if (Array.isArray(node)) return node.map(rewrite);
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/'))
      out[k] = 'spec#/$defs/' + v.slice('#/components/schemas/'.length);
    else if (k === 'discriminator' && v?.mapping) {
      for (const [value, ref] of Object.entries(v.mapping)) {
        const branch = spec.components.schemas[ref.replace('#/components/schemas/', '')];
        if (branch?.properties?.[v.propertyName]?.const !== value || !(node.oneOf ?? []).some((b) => b.$ref === ref))
          fail(`discriminator ${v.propertyName}: mapping ${value} -> ${ref} is not a oneOf branch whose ${v.propertyName} is const ${value}`);
      }
      out[k] = { propertyName: v.propertyName };
    } else out[k] = rewrite(v);
  }
  return out;
};
ajv.addSchema({ $id: 'spec', $defs: rewrite(spec.components.schemas) });
const compiled = new Map();
const validator = (schema) => {
  const key = JSON.stringify(schema);
  if (!compiled.has(key)) compiled.set(key, ajv.compile(rewrite(schema)));
  return compiled.get(key);
};
const deref = (obj) => {
  while (obj && obj.$ref) {
    const parts = obj.$ref.replace(/^#\//, '').split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    obj = parts.reduce((o, p) => o?.[p], spec);
  }
  return obj;
};

// 4. Path templates ("/models/{name}") to regular expressions.
// A path parameter spans one segment, or up to x-segments of them when its spec says so
// (/models/{name} takes Hugging Face ids, "org/name").
const segmentsOf = (t, name) => {
  const op = spec.paths[t].get ?? Object.values(spec.paths[t])[0];
  const p = (op?.parameters ?? []).map(deref).find((q) => q?.in === 'path' && q.name === name);
  return p?.['x-segments'] ?? 1;
};
const templates = Object.keys(spec.paths).map((t) => ({
  t,
  re: new RegExp('^' + t.replace(/[.]/g, '\\.').replace(/\{([^}]+)\}/g, (_, n) =>
    '[^/]+' + '(?:/[^/]+)?'.repeat(segmentsOf(t, n) - 1)) + '$'),
}));
const matchPath = (p) => templates.find(({ re }) => re.test(p))?.t;

const seen = new Set();
const seenStatus = new Set();
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
if (files.length === 0) fail(`no recorded exchanges in ${dir}`);
for (const f of files) {
  const rec = JSON.parse(readFileSync(join(dir, f), 'utf8'));
  const path = rec.path.split('?')[0];
  const label = `${rec.method} ${rec.path} -> ${rec.status} (${f})`;
  const h = rec.headers;
  if (!h['x-request-id']) fail(`${label}: no X-Request-Id header`);
  const template = matchPath(path);
  let response;
  if (!template) {
    // Paths outside the spec may only answer the generic 404.
    if (rec.status !== 404) { fail(`${label}: path not in openapi.yaml`); continue; }
    response = { content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  } else {
    const method = (rec.method === 'HEAD' ? 'get' : rec.method.toLowerCase());
    const op = spec.paths[template][method];
    if (!op) {
      if (rec.status !== 405) { fail(`${label}: method not in openapi.yaml and not 405`); continue; }
      response = deref({ $ref: '#/components/responses/MethodNotAllowed' });
    } else {
      seen.add(`${method} ${template}`);
      seenStatus.add(`${method} ${template} ${rec.status}`);
      response = deref(op.responses[String(rec.status)] ?? op.responses[`${String(rec.status)[0]}XX`] ?? op.responses.default);
      if (!response) { fail(`${label}: status ${rec.status} not documented for ${method} ${template}`); continue; }
    }
  }
  for (const [name, hdr] of Object.entries(response.headers ?? {})) {
    const d = deref(hdr);
    const v = h[name.toLowerCase()];
    if (v === undefined) {
      if (name === 'X-Request-Id' || name === 'Allow') fail(`${label}: missing header ${name}`);
      continue;
    }
    const schema = d.schema?.type === 'integer' ? d.schema : d.schema;
    const value = schema?.type === 'integer' ? Number(v) : v;
    const validate = schema && validator(schema);
    if (validate && !validate(value)) fail(`${label}: header ${name}: ${ajv.errorsText(validate.errors)}`);
  }
  const ctype = (h['content-type'] ?? '').split(';')[0].trim();
  const content = response.content;
  if (!content) {
    if (rec.body) fail(`${label}: body present but the spec declares none`);
    continue;
  }
  if (rec.method === 'HEAD') continue;
  const media = content[ctype];
  if (!media) { fail(`${label}: content type "${ctype}" not in the spec (${Object.keys(content)})`); continue; }
  if (h['content-encoding']) continue; // compressed bytes: the plain form is checked elsewhere
  if (rec.body === null) { fail(`${label}: body is not UTF-8`); continue; }
  let body = rec.body;
  if (ctype === 'application/json') {
    try { body = JSON.parse(rec.body); } catch (e) { fail(`${label}: invalid JSON: ${e.message}`); continue; }
  }
  const validate = validator(media.schema);
  if (!validate(body)) {
    fail(`${label}: ${ajv.errorsText(validate.errors, { separator: '; ' })}` +
      (validate.errors.some((e) => e.keyword === 'additionalProperties')
        ? ` (${validate.errors.filter((e) => e.keyword === 'additionalProperties').map((e) => e.instancePath + '/' + e.params.additionalProperty).join(', ')}: add to openapi.yaml)`
        : ''));
  }
}

// 5. Every operation of the spec must have been exercised by some test.
for (const [p, item] of Object.entries(spec.paths))
  for (const m of ['get', 'post', 'put', 'delete', 'patch', 'options'])
    if (item[m] && !seen.has(`${m} ${p}`)) fail(`${m.toUpperCase()} ${p}: in openapi.yaml but no test exercised it`);

// 6. Every route the README shows (headings, `METHOD /path` spans, curl URLs) must be in the
//    spec; a curl example whose output is the not_found error is showing the 404 on purpose.
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const lines = readme.split('\n');
const shown = [];
lines.forEach((line, i) => {
  for (const m of line.matchAll(/(?:^#+ .*?|`)\b(GET|POST|PUT|DELETE|PATCH|OPTIONS|HEAD) (\/[A-Za-z0-9_./{}-]*)/g))
    shown.push([m[1] === 'HEAD' ? 'GET' : m[1], m[2]]);
  if (/^\$ curl /.test(line)) {
    const next = lines.slice(i + 1, i + 4).join('\n');
    for (const m of line.matchAll(/localhost:8080(\/[A-Za-z0-9_./{}-]*)/g))
      if (!/"not_found"/.test(next))
        shown.push([/ -d |--data|-X POST/.test(line) ? 'POST' : (line.match(/-X (\w+)/)?.[1] ?? 'GET'), m[1]]);
  }
});
for (const [method, raw] of shown) {
  const p = raw.replace(/[.]$/, '');
  const t = matchPath(p);
  if (!t || !spec.paths[t][method.toLowerCase()]) fail(`README shows ${method} ${p}, which openapi.yaml lacks`);
}

const ops = [...seen].length;
if (problems.length) {
  console.error(`contract: ${problems.length} problem(s) in ${files.length} exchanges:`);
  for (const p of problems.slice(0, 50)) console.error('  ' + p);
  process.exit(1);
}
console.log(`contract: ${files.length} exchanges valid against openapi.yaml; ${ops} operations exercised, ${seenStatus.size} (operation, status) pairs`);
