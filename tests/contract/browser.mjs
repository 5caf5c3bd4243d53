// browser.mjs - a portal page on one origin calls POST /estimate on another, in headless Chromium
// (Debian's package): the preflight and the CORS headers must let it read the answer, the
// exposed X-Request-Id included; with the portal's origin not allowed, the browser must refuse.
//
// usage: node browser.mjs VRAMFIT_BIN
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bin = process.argv[2];
const chromium = ['chromium', 'chromium-browser', 'google-chrome'].find(
  (c) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0);
if (!bin || !chromium) {
  console.error(`browser: usage: node browser.mjs VRAMFIT_BIN (chromium found: ${chromium ?? 'no'})`);
  process.exit(1);
}

function startServer(args) {
  return new Promise((resolve, reject) => {
    const p = spawn(bin, ['--bind', '127.0.0.1', '--port', '0', '--threads', '2', ...args]);
    let log = '';
    p.stdout.on('data', (d) => {
      log += d;
      const m = log.match(/"event":"listening".*?"port":(\d+)/);
      if (m && !p.port) { p.port = Number(m[1]); resolve(p); }
    });
    p.getLog = () => log;
    p.on('exit', (c) => reject(new Error(`vramfit exited ${c}: ${log}`)));
    setTimeout(() => reject(new Error('vramfit did not start')), 5000);
  });
}

const page = (apiPort) => `<!doctype html><html><body><pre id="out">pending</pre><script>
fetch('http://127.0.0.1:${apiPort}/estimate', {
  method: 'POST',
  headers: { 'Content-Type': 'application/json', 'X-Request-Id': 'browser-42' },
  body: JSON.stringify({ params_b: 7, layers: 32, hidden: 4096, ctx: 4096, precision: 'fp16' }),
}).then((r) => r.json().then((j) => {
  document.getElementById('out').textContent =
    'status=' + r.status + ' fits=' + j.fits + ' sku=' + (j.sku && j.sku.sku) + ' id=' + r.headers.get('X-Request-Id');
})).catch((e) => { document.getElementById('out').textContent = 'error=' + e; });
</script></body></html>`;

async function run(corsArgs) {
  const api = await startServer(corsArgs);
  const portal = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end(page(api.port));
  });
  await new Promise((r) => portal.listen(0, '127.0.0.1', r));
  const profile = mkdtempSync(join(tmpdir(), 'vramfit-chromium-'));
  const url = `http://127.0.0.1:${portal.address().port}/portal.html`;
  const out = await new Promise((resolve) => {
    const c = spawn(chromium, ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      `--user-data-dir=${profile}`, '--virtual-time-budget=10000', '--dump-dom', url]);
    let dom = '';
    c.stdout.on('data', (d) => { dom += d; });
    const timer = setTimeout(() => c.kill('SIGKILL'), 60000);
    c.on('exit', () => { clearTimeout(timer); resolve(dom); });
  });
  portal.close();
  rmSync(profile, { recursive: true, force: true });
  api.kill('SIGTERM');
  await new Promise((r) => api.once('exit', r));
  return { text: out.match(/<pre id="out">([^<]*)<\/pre>/)?.[1] ?? `(no output: ${out.slice(0, 200)})`, log: api.getLog() };
}

const problems = [];
const allowed = await run([]);
if (!/^status=200 fits=true sku=Standard_\S+ id=browser-42$/.test(allowed.text))
  problems.push(`with --cors-origins '*' the portal read: ${allowed.text}`);
if (!/"method":"OPTIONS","route":"\/estimate","path":"\/estimate","status":204/.test(allowed.log))
  problems.push('no preflight (OPTIONS /estimate -> 204) in the server log');
const refused = await run(['--cors-origins', 'https://portal.example.com']);
if (!/^error=TypeError/.test(refused.text))
  problems.push(`with the portal's origin not allowed the browser still read: ${refused.text}`);
if (problems.length) {
  console.error('browser: ' + problems.join('\n  '));
  process.exit(1);
}
console.log(`browser: headless ${chromium} on another origin: allowed -> "${allowed.text}"; not allowed -> "${refused.text}"`);
