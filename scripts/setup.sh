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
    log "installing cmake (whisper-rs builds whisper.cpp with it)"
    apt_install cmake || true
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
    if [ ! -d end2end/node_modules/@playwright/test ] || [ ! -d end2end/node_modules/axe-core ]; then
        log "installing Playwright and axe-core (no browser download: Debian's Chromium is used)"
        (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
    fi
fi
