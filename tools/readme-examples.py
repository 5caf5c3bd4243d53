#!/usr/bin/env python3
"""readme-examples.py - re-runs the console examples of README.md and docs/*.md; checks or rewrites their output.

The house rule: "The README shows real commands with real output, re-captured when answers change".
Every fenced block opened with ```console (README.md and docs/*.md) is read as a transcript: a line starting with "$ " is a
command (continued while its line ends with a backslash or a quote is still open), the lines up
to the next "$ " are its output. Each `curl ... localhost:8080...` command is run through bash
against a server this script starts itself on an ephemeral port (the URL is rewritten to it);
each `./build/vramfit ...` command that does not end with `&` is run as written (start-up
refusals). Outputs are compared as JSON values when both sides parse as a sequence of JSON
values (so hand-wrapping and indentation do not matter), else as text.

A block is configured by an HTML comment on the line(s) right above its fence:
  <!-- not checked: REASON -->          skip the block (dates, ports, ids, fixtures not in tree)
  <!-- example server: ARGS -->         start the server with ARGS ($PWD = the repository root)
                                        instead of the default `--no-prices --today 2026-11-23`
  <!-- example server: fakehub ARGS --> also start build/fakehub-serve and give the server its
                                        --hf-endpoint and --hf-cdn-hosts
A block with a command the script cannot run and no "not checked" comment is an error, so a new
example is either checked or says why not.

  --check  exit 1 listing the stale examples (default)
  --write  rewrite stale outputs in place
Python 3 standard library only; needs curl, jq and the built binaries (make -j2).
"""
import argparse
import glob
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_ARGS = "--no-prices --today 2026-11-23"
DIRECTIVE = re.compile(r"^<!--\s*(not checked|example server):\s*(.*?)\s*-->\s*$")
CMD_TIMEOUT = 30


class Block:
    """One ```console block: where it is, its directive and its (command, output lines) pairs."""

    def __init__(self, start, end, directive):
        self.start = start  # index of the line after the opening fence
        self.end = end  # index of the closing fence
        self.directive = directive
        self.items = []  # (first_line, cmd_lines, out_first, out_end)


def command_complete(text):
    if text.endswith("\\"):
        return False
    try:
        shlex.split(text.replace("$?", ""), comments=False)
    except ValueError:
        return False
    return True


def parse(lines):
    blocks = []
    i = 0
    while i < len(lines):
        if lines[i].rstrip() != "```console":
            i += 1
            continue
        directive = None
        j = i - 1
        while j >= 0 and lines[j].strip() == "":
            j -= 1
        if j >= 0:
            m = DIRECTIVE.match(lines[j].strip())
            if m:
                directive = (m.group(1), m.group(2))
        k = i + 1
        while k < len(lines) and lines[k].rstrip() != "```":
            k += 1
        block = Block(i + 1, k, directive)
        p = i + 1
        while p < k:
            if not lines[p].startswith("$ "):
                p += 1
                continue
            first = p
            cmd = [lines[p][2:]]
            while not command_complete("\n".join(cmd)) and p + 1 < k:
                p += 1
                cmd.append(lines[p])
            p += 1
            out_first = p
            while p < k and not lines[p].startswith("$ "):
                p += 1
            block.items.append((first, cmd, out_first, p))
        blocks.append(block)
        i = k + 1
    return blocks


def runnable(cmd):
    text = "\n".join(cmd).strip()
    if text.startswith("curl ") and "localhost:8080" in text:
        return "curl"
    if text.startswith("./build/vramfit ") and not text.endswith("&"):
        return "binary"
    if re.sub(r"\s+#[^'\"]*$", "", text).endswith("&"):
        return "setup"  # starts what the block's "example server" comment starts
    return None


class Servers:
    """Servers started on demand, one per distinct argument string; stopped by close()."""

    def __init__(self):
        self.running = {}
        self.procs = []
        self.tmp = tempfile.mkdtemp(prefix="readme-examples-")

    def port_for(self, args):
        if args not in self.running:
            self.running[args] = self._start(args)
        return self.running[args]

    def _wait_line(self, path, pattern, proc, what):
        deadline = time.time() + 15
        while time.time() < deadline:
            with open(path, encoding="utf-8", errors="replace") as f:
                for line in f:
                    m = re.search(pattern, line)
                    if m:
                        return m
            if proc.poll() is not None:
                break
            time.sleep(0.05)
        with open(path, encoding="utf-8", errors="replace") as f:
            sys.exit(f"readme-examples: {what} did not start:\n{f.read()}")

    def _spawn(self, argv, name):
        log = os.path.join(self.tmp, f"{name}-{len(self.procs)}.log")
        with open(log, "w", encoding="utf-8") as f:
            proc = subprocess.Popen(argv, cwd=ROOT, stdout=f, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc, log

    def _start(self, args):
        words = shlex.split(args.replace("$PWD", ROOT))
        if words and words[0] == "fakehub":
            words = words[1:]
            hub, log = self._spawn([os.path.join(ROOT, "build/fakehub-serve"), "600"], "fakehub")
            m = self._wait_line(log, r"^(\S+) (\S+)$", hub, "build/fakehub-serve")
            words += ["--hf-endpoint", m.group(1), "--hf-cdn-hosts", m.group(2)]
        argv = [os.path.join(ROOT, "build/vramfit"), "--port", "0"] + words
        proc, log = self._spawn(argv, "vramfit")
        m = self._wait_line(log, r'"event":"listening".*?"port":(\d+)', proc, " ".join(argv))
        port = int(m.group(1))
        if "--prices-url" in words:
            self._wait_prices(port)
        return port

    def _wait_prices(self, port):
        """The price feed loads after start: wait until /readyz says what was loaded."""
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                    if json.load(r)["catalog"].get("prices") is not None:
                        return
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.05)
        sys.exit("readme-examples: the price feed did not load within 15 s")

    def close(self):
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def run(cmd, kind, port):
    text = "\n".join(cmd)
    if kind == "curl":
        text = text.replace("localhost:8080", f"127.0.0.1:{port}")
    res = subprocess.run(["bash", "-c", text], cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, timeout=CMD_TIMEOUT)
    out = res.stdout
    return out.rstrip("\n").split("\n") if out.strip() else []


def json_values(text):
    dec = json.JSONDecoder()
    vals, i = [], 0
    text = text.strip()
    while i < len(text):
        v, i = dec.raw_decode(text, i)
        vals.append(v)
        while i < len(text) and text[i].isspace():
            i += 1
    return vals


def same(shown, got):
    a, b = "\n".join(shown), "\n".join(got)
    try:
        va, vb = json_values(a), json_values(b)
        if va:
            return va == vb
    except ValueError:
        pass
    return [s.rstrip() for s in shown] == [s.rstrip() for s in got]


def check_file(path, write, servers):
    """Runs one file's examples; prints what is stale; rewrites them when write is set."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    blocks = parse(lines)
    stale, errors, checked, skipped = [], [], 0, 0
    replacements = []  # (out_first, out_end, new_lines)
    name = os.path.relpath(path, ROOT)
    for block in blocks:
        if block.directive and block.directive[0] == "not checked":
            skipped += 1
            continue
        args = DEFAULT_ARGS
        if block.directive and block.directive[0] == "example server":
            args = block.directive[1]
        kinds = [runnable(cmd) for _, cmd, _, _ in block.items]
        if "setup" in kinds and args == DEFAULT_ARGS:
            kinds = [None]  # a server started by hand needs the comment that says how
        if not block.items or None in kinds:
            errors.append(f"{name}:{block.start}: a console block with a command this "
                          "script cannot run; mark it <!-- not checked: reason -->")
            continue
        for (first, cmd, out_first, out_end), kind in zip(block.items, kinds):
            if kind == "setup":
                continue
            port = servers.port_for(args) if kind == "curl" else 0
            got = run(cmd, kind, port)
            checked += 1
            if not same(lines[out_first:out_end], got):
                stale.append(f"{name}:{first + 1}: {cmd[0][:100]}")
                replacements.append((out_first, out_end, got))
    for e in errors:
        print(e, file=sys.stderr)
    if write and replacements:
        for out_first, out_end, got in sorted(replacements, reverse=True):
            lines[out_first:out_end] = got
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
    for s in stale:
        print(f"{'rewrote' if write else 'stale'}: {s}", file=sys.stderr)
    return checked, len(stale), skipped, len(errors)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="exit 1 listing stale examples")
    mode.add_argument("--write", action="store_true", help="rewrite stale outputs")
    ap.add_argument("--file", action="append",
                    help="a Markdown file (repeatable); default README.md and docs/*.md")
    opts = ap.parse_args()
    files = opts.file or [os.path.join(ROOT, "README.md")] + sorted(
        glob.glob(os.path.join(ROOT, "docs", "*.md")))
    servers = Servers()
    totals = [0, 0, 0, 0]  # commands run, stale, blocks skipped, unmarked blocks
    try:
        for path in files:
            for i, n in enumerate(check_file(path, opts.write, servers)):
                totals[i] += n
    finally:
        servers.close()
    verb = "rewrote" if opts.write else "stale"
    print(f"readme-examples: {totals[0]} commands run, {totals[1]} {verb}, {totals[2]} blocks not "
          f"checked (marked), {totals[3]} unmarked blocks it cannot run", file=sys.stderr)
    if totals[3] or (totals[1] and not opts.write):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
