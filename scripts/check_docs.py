#!/usr/bin/env python3
"""Runs the commands of README.md ("Try the API with curl") and every ```bash
block of PERFORMANCE_DEBUGGING.md, as written, against a real Babblr server on
127.0.0.1:8000 (fresh SQLite) with the stand-in Ollama as its LLM. Each block
must exit 0 (with pipefail, so a grep that finds nothing fails it), and the
server must answer none of them with a 5xx.

Needs target/debug/babblr (scripts/build.sh)."""

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "debug", "babblr")
# The stand-in Ollama (test support, not shipped), built by scripts/build.sh.
STANDIN = os.path.join(ROOT, "target", "debug", "babblr-standin")


def bash_blocks(markdown: str):
    return re.findall(r"```bash\n(.*?)```", markdown, re.S)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float = 30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except Exception:
            time.sleep(0.2)
    sys.exit(f"check_docs: {url} did not come up")


def main():
    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", 8000)) == 0:
            sys.exit("check_docs: port 8000 is taken; the documented commands need it free")
    readme = open(os.path.join(ROOT, "README.md")).read()
    api = readme.split("## Try the API with curl", 1)[1].split("\n## ", 1)[0]
    guide = open(os.path.join(ROOT, "PERFORMANCE_DEBUGGING.md")).read()
    blocks = [("README.md", b) for b in bash_blocks(api)] + [
        ("PERFORMANCE_DEBUGGING.md", b) for b in bash_blocks(guide)
    ]

    tmp = tempfile.mkdtemp(prefix="babblr-docs-")
    standin_port = free_port()
    env = dict(os.environ)
    env.update(
        BABBLR_ADDR="127.0.0.1:8000",
        BABBLR_LLM_PROVIDER="ollama",
        BABBLR_LLM_URL=f"http://127.0.0.1:{standin_port}",
        DATABASE_URL=f"sqlite://{tmp}/docs.db",
        LEPTOS_SITE_ROOT=os.path.join(ROOT, "target", "site"),
        RUST_LOG="warn,babblr::perf=info",
        BABBLR_WHISPER_MODEL=os.path.join(
            os.environ.get("BABBLR_TEST_MODELS", os.path.join(ROOT, "..", "shared", "models")),
            "ggml-base.bin",
        ),
        BABBLR_WHISPER_WARMUP="0",
    )
    procs = [
        subprocess.Popen([STANDIN, "--addr", f"127.0.0.1:{standin_port}"], stdout=subprocess.DEVNULL),
        subprocess.Popen([BIN, "serve"], env=env, stdout=open(f"{tmp}/server.log", "w")),
    ]
    failed = 0
    try:
        wait_for(f"http://127.0.0.1:{standin_port}/api/version")
        wait_for("http://127.0.0.1:8000/health")
        for n, (doc, block) in enumerate(blocks, 1):
            r = subprocess.run(["bash", "-euo", "pipefail", "-c", block], capture_output=True, text=True, timeout=60)
            first = block.strip().splitlines()[0]
            if r.returncode == 0:
                print(f"ok   {doc} block {n}: {first}")
            else:
                failed += 1
                print(f"FAIL {doc} block {n}: {first}\n--- stdout\n{r.stdout}\n--- stderr\n{r.stderr}")
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=10)
    # curl exits 0 on an HTTP error, so the server's own log is checked too.
    errors = [l for l in open(f"{tmp}/server.log") if re.search(r"REQUEST COMPLETE - .* - 5\d\d - ", l)]
    for line in errors:
        failed += 1
        print(f"FAIL server answered 5xx: {line.strip()}")
    print(f"{len(blocks) + len(errors) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
