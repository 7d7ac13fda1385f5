#!/usr/bin/env bash
# Builds the site (WASM bundle, CSS, static files) into target/site and the
# server binary. `scripts/build.sh` builds for development (fast, what the
# tests use); `scripts/build.sh release` builds a size-optimised bundle and an
# optimised server. Cargo skips what is up to date, so a rebuild is quick.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-dev}
site=${LEPTOS_SITE_ROOT:-target/site}
case "$mode" in
    dev) wasm_profile=dev; wasm_dir=debug; server_flags=() ;;
    release) wasm_profile=wasm-release; wasm_dir=wasm-release; server_flags=(--release) ;;
    *) echo "usage: scripts/build.sh [dev|release]" >&2; exit 2 ;;
esac

cargo build -p frontend --lib --target wasm32-unknown-unknown --profile "$wasm_profile"
mkdir -p "$site/pkg"
# Release strips the function-name section (1.8 MB of the 3.3 MB module).
strip=()
[ "$mode" = release ] && strip=(--remove-name-section --remove-producers-section)
wasm-bindgen --target web --no-typescript "${strip[@]}" --out-dir "$site/pkg" --out-name babblr \
    "target/wasm32-unknown-unknown/$wasm_dir/frontend.wasm"
mv -f "$site/pkg/babblr_bg.wasm" "$site/pkg/babblr.wasm"
# No wasm-opt: Debian's (binaryen 108) emits a bundle that fails to start
# with this wasm-bindgen ("WebAssembly.Table.set(): Argument 1 is invalid"),
# and a current one (132) gave 511 KB gzip against 467 KB without it.
cp style/main.css "$site/pkg/babblr.css"
cp -r public/. "$site/"
# The server sends `NAME.gz` / `NAME.br` in place of NAME to browsers that
# accept them (leptos_axum's file handler). Stale ones must go with the build.
rm -f "$site"/pkg/*.gz "$site"/pkg/*.br
if [ "$mode" = release ]; then
    for f in "$site/pkg/babblr.wasm" "$site/pkg/babblr.js" "$site/pkg/babblr.css"; do
        # zopfli writes gzip 4-5% smaller than gzip -9; either is plain gzip.
        if command -v zopfli >/dev/null; then zopfli -c "$f" >"$f.gz"; else gzip -9 -c "$f" >"$f.gz"; fi
        if command -v brotli >/dev/null; then brotli -q 11 -c "$f" >"$f.br"; fi
    done
fi
cargo build -p server --bin babblr "${server_flags[@]}"
# The built-in tutor model (llama.cpp), a second binary the server starts
# when BABBLR_LLM_PROVIDER=embedded.
cargo build -p llm-engine --bin babblr-llm "${server_flags[@]}"
# The stand-in Ollama the tests, benches and docs check use (test support,
# never part of the server binary).
cargo build -p testkit --bin babblr-standin "${server_flags[@]}"
