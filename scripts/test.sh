#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs what is missing, builds
# the site and server (debug, no LTO), runs the cargo tests (unit, and
# integration against a real SQLite and a running server with the stand-in
# Ollama), then the Playwright suite in Debian's Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh --test
scripts/build.sh
# `frontend` is the WASM entry point; built for the browser by build.sh.
cargo test --workspace --exclude frontend
# The commands in README.md and PERFORMANCE_DEBUGGING.md, run as written.
python3 scripts/check_docs.py
(cd end2end && npx playwright test)
