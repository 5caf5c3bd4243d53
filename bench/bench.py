#!/usr/bin/env python3
"""bench.py - make bench / make soak: wrk against vramfit and, as the ceiling, nginx on loopback.

Bench: for each connection count, route and run, wrk drives vramfit and then nginx (answering the
same URLs from memory with vramfit's own response bodies), interleaved so both see the same
machine. Prints requests/s, p50/p99/p99.9 latency, RSS and the ratio to nginx (medians over the
runs) and writes them to --out (build/bench.json). Exits 1 if any valid request got a non-2xx
answer or a socket error.

Soak (--soak SECONDS): one long wrk run cycling the three routes at high concurrency while RSS is
sampled; fails on any non-2xx, any socket error, or RSS growth past the first minute's level.

Slow clients (with --soak, and alone with --slow-probe): SLOW_CLIENTS (1,100) loopback clients
each upload one byte a second for SLOW_TIME (20) seconds, saturating --max-connections (1024)
with the per-address limit off, while /healthz and /readyz are asked on --probe-port every 250 ms
with a 1 s timeout: fails if any probe goes unanswered or takes over 1 s.

Faults (--faults SECONDS): the same load while the live catalog refresher (--catalog-url,
--prices-url) refreshes every second from a loopback fixture whose answers cycle through good
catalogs, 500s, garbage, truncated JSON and a slow response; fails on any non-2xx, any socket
error, or a latency cliff against a run without refreshes. Skipped (exit 0) when the binary has no
--catalog-url (the refresher is not in this build).
"""
import argparse
import http.server as http_server
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TODAY = "2026-11-23"
# A realistic MoE request: Mixtral 8x7B (46.7 B total, ~28% active), 32k context, batch 4, bf16.
MOE_BODY = {
    "params_b": 46.7,
    "layers": 32,
    "hidden": 4096,
    "ctx": 32768,
    "batch": 4,
    "precision": "bf16",
    "moe_active_ratio": 0.28,
    "moe_expert_fraction": 0.96,
}
# All load comes from 127.0.0.1: the per-address connection limit (default 256) would cap wrk.
LOAD_ARGS = ["--max-connections-per-ip", "0"]
ROUTES = [("estimate", "POST", "/estimate"), ("skus", "GET", "/skus"), ("healthz", "GET", "/healthz")]
TARGETS = {"estimate": 0.75, "skus": 0.85}


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return 0
    return 0


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def tree_rss_kb(pid):
    return rss_kb(pid) + sum(rss_kb(c) for c in children(pid))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(port, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.status, r.read()


class Vramfit:
    def __init__(self, binary, workdir, extra=None):
        self.binary = binary
        self.extra = extra or []
        self.log = os.path.join(workdir, "vramfit.log")
        self.proc = None
        self.port = None

    def start(self):
        """Starts the server; returns (start-to-ready seconds, the server's own startup_ms)."""
        t0 = time.monotonic()
        logf = open(self.log, "w")
        self.proc = subprocess.Popen(
            [self.binary, "--bind", "127.0.0.1", "--port", "0", "--today", TODAY] + self.extra,
            stdout=logf, stderr=subprocess.STDOUT)
        logf.close()
        startup_ms = None
        while self.port is None:
            if self.proc.poll() is not None:
                raise RuntimeError(f"vramfit exited: {open(self.log).read()}")
            with open(self.log) as f:
                for line in f:
                    if '"event":"listening"' in line:
                        ev = json.loads(line)
                        self.port, startup_ms = ev["port"], ev.get("startup_ms")
            if self.port is None:
                time.sleep(0.0005)
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"GET /readyz HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n")
                    if s.recv(64).startswith(b"HTTP/1.1 200"):
                        break
            except OSError:
                pass
            time.sleep(0.0005)
        return time.monotonic() - t0, startup_ms

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        self.port = None


class Nginx:
    def __init__(self, workdir, bodies, workers):
        self.prefix = os.path.join(workdir, "nginx")
        os.makedirs(self.prefix, exist_ok=True)
        self.port = free_port()
        with open(os.path.join(HERE, "nginx.conf")) as f:
            conf = f.read()

        def quote(b):
            # Single-quoted nginx string: escape \ and '; $ would start a variable.
            t = b.decode()
            assert "$" not in t, "a body holds '$'"
            return t.replace("\\", "\\\\").replace("'", "\\'")

        conf = (conf.replace("@PREFIX@", self.prefix).replace("@PORT@", str(self.port))
                .replace("@WORKERS@", str(workers))
                .replace("@HEALTHZ_BODY@", quote(bodies["healthz"]))
                .replace("@ESTIMATE_BODY@", quote(bodies["estimate"])))
        with open(os.path.join(self.prefix, "skus.json"), "wb") as f:
            f.write(bodies["skus"])
        self.conf = os.path.join(self.prefix, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(conf)
        self.proc = None

    def start(self):
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.out = os.path.join(self.prefix, "stderr.log")
        with open(self.out, "w") as out:
            self.proc = subprocess.Popen([nginx, "-p", self.prefix, "-c", self.conf,
                                          "-e", os.path.join(self.prefix, "error.log")],
                                         stdout=out, stderr=subprocess.STDOUT)
        for _ in range(500):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("nginx exited: " + open(self.out).read())
                time.sleep(0.01)
        raise RuntimeError("nginx did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class RssSampler(threading.Thread):
    def __init__(self, pid_fn, period=0.1):
        super().__init__(daemon=True)
        self.pid_fn, self.period = pid_fn, period
        self.samples = []
        self.stop_flag = threading.Event()

    def run(self):
        while not self.stop_flag.is_set():
            self.samples.append((time.monotonic(), self.pid_fn()))
            time.sleep(self.period)


def wrk(port, route, conns, duration, threads, body_file=None, mix_file=None):
    name, method, path = route
    env = dict(os.environ)
    env.pop("BENCH_BODY_FILE", None)
    env.pop("BENCH_MIX", None)
    if mix_file:
        env["BENCH_MIX"] = mix_file
    elif method == "POST":
        env["BENCH_BODY_FILE"] = body_file
    cmd = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{duration}s", "--timeout", "5s",
           "-s", os.path.join(HERE, "wrk.lua"), f"http://127.0.0.1:{port}{path}"]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    m = re.search(r"^BENCH_JSON (.*)$", out, re.M)
    if not m:
        raise RuntimeError(f"wrk gave no summary:\n{out}")
    r = json.loads(m.group(1))
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    r["socket_errors"] = r["errors_connect"] + r["errors_read"] + r["errors_write"] + r["errors_timeout"]
    return r


def machine():
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    def version(cmd):
        try:
            p = subprocess.run(cmd, capture_output=True, text=True)
            return (p.stdout + p.stderr).strip().splitlines()[0]
        except (OSError, IndexError):
            return "unknown"
    return {"nproc": os.cpu_count(), "cpu_model": model, "kernel": platform.release(),
            "wrk": version(["wrk", "-v"]), "nginx": version(["nginx", "-v"]),
            "load_avg_at_start": os.getloadavg()}


def med(xs):
    return statistics.median(xs) if xs else 0


def bench(args, workdir):
    body_file = os.path.join(workdir, "estimate-body.json")
    with open(body_file, "w") as f:
        json.dump(MOE_BODY, f)

    srv = Vramfit(args.bin, workdir, LOAD_ARGS)
    # Start-to-ready: spawn until /readyz answers 200, several times.
    starts, startup_ms = [], []
    for _ in range(5):
        s, ms = srv.start()
        starts.append(s * 1000)
        startup_ms.append(ms)
        srv.stop()
    srv.start()
    time.sleep(0.3)
    idle_rss = rss_kb(srv.proc.pid)
    bodies = {}
    for name, method, path in ROUTES:
        status, body = http(srv.port, method, path, MOE_BODY if method == "POST" else None)
        assert status == 200, (name, status)
        bodies[name] = body
    ngx = Nginx(workdir, bodies, os.cpu_count())
    ngx.start()
    for name, method, path in ROUTES:  # same sizes, same answers
        status, body = http(ngx.port, method, path, MOE_BODY if method == "POST" else None)
        assert status == 200 and len(body) == len(bodies[name]), (name, status, len(body))
    ngx_idle_rss = tree_rss_kb(ngx.proc.pid)

    old = None
    if args.compare:  # another build (e.g. before a change), measured in the same interleaving
        old = Vramfit(os.path.abspath(args.compare), os.path.join(workdir, "compare"))
        os.makedirs(os.path.join(workdir, "compare"), exist_ok=True)
        old.start()
    servers = [("vramfit", srv.port), ("nginx", ngx.port)] + ([("compare", old.port)] if old else [])
    sampler = RssSampler(lambda: rss_kb(srv.proc.pid))
    sampler.start()
    results = []
    bad = []
    for conns in args.conns:
        for route in ROUTES:
            runs = {who: [] for who, _ in servers}
            for i in range(args.runs):
                for who, port in servers:
                    r = wrk(port, route, conns, args.duration, args.threads, body_file)
                    runs[who].append(r)
                    if who == "vramfit" and (r["errors_status"] or r["socket_errors"]):
                        bad.append((route[0], conns, r))
            row = {"route": route[0], "method": route[1], "path": route[2], "connections": conns,
                   "body_bytes": len(bodies[route[0]])}
            for who in runs:
                rs = runs[who]
                row[who] = {
                    "rps": med([r["rps"] for r in rs]),
                    "p50_us": med([r["p50_us"] for r in rs]),
                    "p99_us": med([r["p99_us"] for r in rs]),
                    "p999_us": med([r["p999_us"] for r in rs]),
                    "non_2xx": sum(r["errors_status"] for r in rs),
                    "socket_errors": sum(r["socket_errors"] for r in rs),
                    "runs_rps": [round(r["rps"]) for r in rs],
                }
            row["ratio_rps"] = row["vramfit"]["rps"] / row["nginx"]["rps"]
            row["ratio_p99"] = row["vramfit"]["p99_us"] / max(row["nginx"]["p99_us"], 1)
            if old:
                row["ratio_rps_compare"] = row["compare"]["rps"] / row["nginx"]["rps"]
            results.append(row)
            v, n = row["vramfit"], row["nginx"]
            print(f"{route[0]:9s} c={conns:<4d} vramfit {v['rps']:9.0f} req/s  p50 {v['p50_us']/1000:6.2f} "
                  f"p99 {v['p99_us']/1000:6.2f} p99.9 {v['p999_us']/1000:6.2f} ms | nginx {n['rps']:9.0f} "
                  f"req/s  p50 {n['p50_us']/1000:6.2f} p99 {n['p99_us']/1000:6.2f} p99.9 "
                  f"{n['p999_us']/1000:6.2f} ms | ratio {row['ratio_rps']:.2f}  p99x {row['ratio_p99']:.2f}"
                  + (f" | compare {row['compare']['rps']:9.0f} req/s ratio {row['ratio_rps_compare']:.2f}"
                     if old else ""), flush=True)
    sampler.stop_flag.set()
    sampler.join()
    load_rss = max(s for _, s in sampler.samples)
    hwm = 0
    with open(f"/proc/{srv.proc.pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    ngx_load_rss = tree_rss_kb(ngx.proc.pid)
    ngx.stop()
    srv.stop()
    if old:
        old.stop()

    summary = {
        "start_to_ready_ms": med(starts),
        "start_to_ready_ms_runs": [round(s, 2) for s in starts],
        "startup_ms_logged": med([m for m in startup_ms if m is not None]),
        "idle_rss_kb": idle_rss,
        "load_rss_kb_max_sampled": load_rss,
        "vm_hwm_kb": hwm,
        "nginx_idle_rss_kb_all_processes": ngx_idle_rss,
        "nginx_rss_kb_all_processes_after_load": ngx_load_rss,
    }
    checks = []
    for row in results:
        t = TARGETS.get(row["route"])
        if t is not None:
            checks.append((f"{row['route']} c={row['connections']} req/s ratio >= {t}",
                           row["ratio_rps"] >= t, f"{row['ratio_rps']:.2f}"))
        checks.append((f"{row['route']} c={row['connections']} p99 <= 1.5x nginx",
                       row["ratio_p99"] <= 1.5, f"{row['ratio_p99']:.2f}"))
    checks.append(("idle RSS < 8 MB", idle_rss < 8 * 1024, f"{idle_rss} kB"))
    checks.append(("RSS at load < 24 MB", hwm < 24 * 1024, f"{hwm} kB (VmHWM)"))
    checks.append(("start to ready < 50 ms", med(starts) < 50, f"{med(starts):.1f} ms"))
    print()
    print(f"start to ready {med(starts):.1f} ms (median of 5; server-logged startup "
          f"{summary['startup_ms_logged']:.1f} ms), idle RSS {idle_rss} kB, RSS at load "
          f"max {load_rss} kB / VmHWM {hwm} kB; nginx RSS (master + workers) {ngx_idle_rss} kB idle, "
          f"{ngx_load_rss} kB after load")
    for name, ok, val in checks:
        print(f"  {'PASS' if ok else 'MISS'}  {name}: {val}")
    doc = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": " ".join(sys.argv),
        "machine": machine(),
        "settings": {"duration_s": args.duration, "runs": args.runs, "wrk_threads": args.threads,
                     "connections": args.conns, "estimate_body": MOE_BODY,
                     "note": "wrk, vramfit and nginx share the same cores; figures are medians of "
                             "the runs, ratios are vramfit/nginx from the same invocation"},
        "results": results,
        "summary": summary,
        "targets": [{"name": n, "met": ok, "value": v} for n, ok, v in checks],
        "invalid_answers": [{"route": r, "connections": c, "non_2xx": x["errors_status"],
                             "socket_errors": x["socket_errors"]} for r, c, x in bad],
    }
    return doc, not bad


def soak(args, workdir):
    body_file = os.path.join(workdir, "estimate-body.json")
    with open(body_file, "w") as f:
        json.dump(MOE_BODY, f)
    srv = Vramfit(args.bin, workdir, LOAD_ARGS)
    srv.start()
    idle = rss_kb(srv.proc.pid)
    sampler = RssSampler(lambda: rss_kb(srv.proc.pid), period=1.0)
    sampler.start()
    conns = max(args.conns)
    r = wrk(srv.port, ("mix", "GET", "/skus"), conns, args.soak, args.threads, mix_file=body_file)
    sampler.stop_flag.set()
    sampler.join()
    srv.stop()
    samples = [s for _, s in sampler.samples]
    # Flat: after the first fifth (warm-up: threads, pools, allocator arenas) RSS must not climb.
    warm = samples[max(1, len(samples) // 5) - 1]
    peak_late = max(samples[len(samples) // 5:] or samples)
    grew = peak_late - warm
    ok_rss = grew <= max(1024, warm // 10)
    ok = r["errors_status"] == 0 and r["socket_errors"] == 0 and ok_rss
    print(f"soak {args.soak} s, {conns} connections, routes cycled: {r['rps']:.0f} req/s, "
          f"{r['requests']} requests, non-2xx {r['errors_status']}, socket errors {r['socket_errors']}; "
          f"RSS idle {idle} kB, after warm-up {warm} kB, later peak {peak_late} kB "
          f"({'flat' if ok_rss else 'GROWING'})")
    doc = {"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": machine(),
           "seconds": args.soak, "connections": conns, "wrk": r, "rss_idle_kb": idle,
           "rss_after_warmup_kb": warm, "rss_peak_later_kb": peak_late,
           "rss_samples_kb": samples, "ok": ok}
    doc["slow_clients"], ok_probe = slow_probe(args, workdir)
    doc["ok"] = ok = ok and ok_probe
    return doc, ok


def probe_once(port, path, timeout):
    """One GET on a fresh connection: (status or None, seconds taken)."""
    t0 = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.settimeout(max(0.001, timeout - (time.monotonic() - t0)))
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n".encode())
            head = s.recv(64)
        status = int(head.split()[1]) if head.startswith(b"HTTP/1.1 ") else None
    except (OSError, ValueError, IndexError):
        status = None
    return status, time.monotonic() - t0


def slow_probe(args, workdir):
    """Probes on --probe-port while slow uploaders hold every connection of the main port."""
    clients = int(os.environ.get("SLOW_CLIENTS", "1100"))
    seconds = float(os.environ.get("SLOW_TIME", "20"))
    srv = Vramfit(args.bin, workdir, LOAD_ARGS + ["--probe-port", "0"])
    srv.start()
    with open(srv.log) as f:
        pport = next(json.loads(l)["probe_port"] for l in f if '"event":"listening"' in l)
    head = (b"POST /estimate HTTP/1.1\r\nHost: b\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100000\r\n\r\n")
    socks = []
    for _ in range(clients):  # past --max-connections they wait in the listen backlog
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        s.setblocking(False)
        try:
            s.send(head)
        except OSError:
            pass
        socks.append(s)
    lat, failed, main_answered = [], 0, 0
    t0 = time.monotonic()
    next_byte = t0
    while time.monotonic() - t0 < seconds:
        if time.monotonic() >= next_byte:  # one byte a second from every client
            for s in socks:
                try:
                    s.send(b"x")
                except OSError:
                    pass
            next_byte += 1.0
        for path in ("/healthz", "/readyz"):
            st, took = probe_once(pport, path, 1.0)
            lat.append(took)
            failed += st != 200 or took > 1.0
        st, _ = probe_once(srv.port, "/healthz", 0.2)
        main_answered += st == 200
        time.sleep(0.25)
    for s in socks:
        s.close()
    srv.stop()
    ok = failed == 0 and lat
    worst = max(lat) * 1e3 if lat else 0
    print(f"slow clients: {clients} uploading 1 byte/s for {seconds:.0f} s; probe port: {len(lat)} "
          f"probes, {failed} failed or over 1 s, slowest {worst:.1f} ms, median "
          f"{statistics.median(lat) * 1e3 if lat else 0:.1f} ms; main port /healthz answered "
          f"{main_answered} times within 0.2 s")
    return {"clients": clients, "seconds": seconds, "probes": len(lat), "failed": failed,
            "slowest_ms": worst, "main_port_answered": main_answered, "ok": bool(ok)}, bool(ok)


class FaultFixture(threading.Thread):
    """Loopback upstream for the refresher: each fetch gets the next answer of a cycle."""

    def __init__(self):
        super().__init__(daemon=True)
        with open(os.path.join(os.path.dirname(HERE), "config", "azure-gpu-skus.json"), "rb") as f:
            good_a = f.read()
        doc = json.loads(good_a)
        doc["skus"] = doc["skus"][:-5]  # a second good catalog: five sizes fewer
        good_b = json.dumps(doc).encode()
        with open(os.path.join(HERE, "faults", "prices-page.json"), "rb") as f:
            prices = f.read()
        self.cycles = {
            "/catalog": [("good", good_a), ("status", 500), ("good", good_b), ("garbage", None),
                         ("truncated", good_a), ("slow", good_b), ("good", good_a)],
            "/prices": [("good", prices), ("garbage", None), ("status", 503), ("truncated", prices)],
        }
        self.turn = {k: 0 for k in self.cycles}
        self.served = {}
        self.lock = threading.Lock()
        fixture = self

        class Handler(http_server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                path = self.path.split("?", 1)[0]
                if path not in fixture.cycles:
                    self.send_error(404)
                    return
                with fixture.lock:
                    cycle = fixture.cycles[path]
                    kind, data = cycle[fixture.turn[path] % len(cycle)]
                    fixture.turn[path] += 1
                    fixture.served[kind] = fixture.served.get(kind, 0) + 1
                if kind == "status":
                    self.send_error(data)
                    return
                if kind == "garbage":
                    data = os.urandom(4096)
                elif kind == "truncated":
                    data = data[: len(data) // 2]
                elif kind == "slow":
                    time.sleep(2)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = http_server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]

    def run(self):
        self.server.serve_forever()


def faults(args, workdir):
    p = subprocess.run([args.bin, "--help"], capture_output=True, text=True)
    if "--catalog-url" not in p.stdout:
        print("faults: skipped: this build has no live catalog refresher (--catalog-url)")
        return {"skipped": "no --catalog-url in this build"}, True
    body_file = os.path.join(workdir, "estimate-body.json")
    with open(body_file, "w") as f:
        json.dump(MOE_BODY, f)
    conns = max(args.conns)
    mix = ("mix", "GET", "/skus")
    # Baseline: the same load, no refresher.
    srv = Vramfit(args.bin, workdir, LOAD_ARGS)
    srv.start()
    base = wrk(srv.port, mix, conns, min(args.faults, 15), args.threads, mix_file=body_file)
    srv.stop()
    # Faults: refresh every second against the cycling fixture.
    fx = FaultFixture()
    fx.start()
    srv = Vramfit(args.bin, workdir, LOAD_ARGS + [
        "--catalog-url", f"http://127.0.0.1:{fx.port}/catalog",
        "--prices-url", f"http://127.0.0.1:{fx.port}/prices",
        "--refresh-interval", "1", "--fetch-timeout", "5"])
    srv.start()
    r = wrk(srv.port, mix, conns, args.faults, args.threads, mix_file=body_file)
    srv.stop()
    fx.server.shutdown()
    with open(srv.log) as f:
        log = f.read()
    refreshed = log.count('"event":"catalog_refreshed"')
    failed = log.count('"event":"refresh_failed"')
    cliff = r["p99_us"] > 2 * base["p99_us"] + 5000 or r["max_us"] > 1_000_000
    ok = (r["errors_status"] == 0 and r["socket_errors"] == 0 and refreshed >= 2 and failed >= 2
          and not cliff)
    print(f"faults {args.faults} s, {conns} connections: {r['rps']:.0f} req/s, {r['requests']} "
          f"requests, non-2xx {r['errors_status']}, socket errors {r['socket_errors']}; "
          f"{refreshed} refreshes, {failed} failed refreshes (fixture served {fx.served}); "
          f"p99 {r['p99_us'] / 1000:.2f} ms, max {r['max_us'] / 1000:.1f} ms vs "
          f"{base['p99_us'] / 1000:.2f} / {base['max_us'] / 1000:.1f} ms without refreshes"
          f"{' (LATENCY CLIFF)' if cliff else ''}")
    doc = {"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": machine(),
           "seconds": args.faults, "connections": conns, "wrk": r, "baseline_wrk": base,
           "refreshes": refreshed, "failed_refreshes": failed, "fixture_answers": fx.served,
           "ok": ok}
    return doc, ok


def markdown(path):
    """Prints a bench.json as the README's table."""
    with open(path) as f:
        d = json.load(f)
    cmp = "ratio_rps_compare" in d["results"][0]
    print("| route | conns | vramfit req/s | nginx req/s | ratio | vramfit p50 / p99 / p99.9 ms "
          "| nginx p50 / p99 / p99.9 ms | p99 ratio |" + (" before: req/s (ratio) |" if cmp else ""))
    print("|---|---:|---:|---:|---:|---:|---:|---:|" + ("---:|" if cmp else ""))
    for r in d["results"]:
        v, n = r["vramfit"], r["nginx"]
        def lat(x):
            return f"{x['p50_us'] / 1000:.2f} / {x['p99_us'] / 1000:.2f} / {x['p999_us'] / 1000:.2f}"
        print(f"| {r['method']} {r['path']} ({r['body_bytes']} B) | {r['connections']} | "
              f"{v['rps']:.0f} | {n['rps']:.0f} | {r['ratio_rps']:.2f} | {lat(v)} | {lat(n)} | "
              f"{r['ratio_p99']:.2f} |" + (f" {r['compare']['rps']:.0f} ({r['ratio_rps_compare']:.2f}) |"
                                            if cmp else ""))
    s = d["summary"]
    print(f"\nStart to ready {s['start_to_ready_ms']:.1f} ms (median of 5 starts; the server logs "
          f"{s['startup_ms_logged']:.1f} ms from main() to listening). RSS idle {s['idle_rss_kb']} kB, "
          f"at load {s['vm_hwm_kb']} kB peak (VmHWM); nginx master + {d['machine']['nproc']} workers "
          f"{s['nginx_rss_kb_all_processes_after_load']} kB.")


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--markdown":
        markdown(sys.argv[2])
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default="build/vramfit")
    ap.add_argument("--out", default="build/bench.json")
    ap.add_argument("--duration", type=int, default=int(os.environ.get("BENCH_DURATION", "5")))
    ap.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "3")))
    ap.add_argument("--threads", type=int, default=2, help="wrk threads")
    ap.add_argument("--conns", default=os.environ.get("BENCH_CONNS", "16,64,256"))
    ap.add_argument("--compare", help="another vramfit binary to measure in the same runs")
    ap.add_argument("--soak", type=int, default=0, help="soak for this many seconds instead")
    ap.add_argument("--slow-probe", action="store_true",
                    help="only the slow-client probe test (see above)")
    ap.add_argument("--faults", type=int, default=0,
                    help="load with catalog refreshes failing every way, for this many seconds")
    args = ap.parse_args()
    args.conns = [int(c) for c in str(args.conns).split(",")]
    args.bin = os.path.abspath(args.bin)
    for tool in ("wrk", "nginx"):
        if not (shutil.which(tool) or os.path.exists(f"/usr/sbin/{tool}")):
            sys.exit(f"bench: {tool} not found (make deps installs it)")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="vramfit-bench-") as workdir:
        os.chmod(workdir, 0o755)
        if args.slow_probe:
            doc, ok = slow_probe(args, workdir)
        else:
            doc, ok = (soak if args.soak else faults if args.faults else bench)(args, workdir)
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=2)
    print(f"wrote {args.out}")
    if not ok:
        print("bench: FAILED: a valid request got a non-2xx answer or a socket error")
        sys.exit(1)


if __name__ == "__main__":
    main()
