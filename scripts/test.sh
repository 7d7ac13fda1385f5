#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs what is missing, builds
# the site and server (debug, no LTO), runs the cargo tests (unit, and
# integration against a real SQLite and a running server with the stand-in
# Ollama; again on PostgreSQL when BABBLR_TEST_POSTGRES_URL is set), the
# commands of the docs, then the Playwright suite in Debian's Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh --test
scripts/build.sh
# `frontend` is the WASM entry point; built for the browser by build.sh.
cargo test --workspace --exclude frontend
# With BABBLR_TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/test),
# the integration suite runs again against PostgreSQL, a schema per test.
if [ -n "${BABBLR_TEST_POSTGRES_URL:-}" ]; then
    BABBLR_TEST_DATABASE=postgres cargo test -p server --tests
fi
# The commands in README.md and PERFORMANCE_DEBUGGING.md, run as written.
python3 scripts/check_docs.py
(cd end2end && npx playwright test)
