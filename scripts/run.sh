#!/usr/bin/env bash
# One command from a fresh clone to a running Babblr on http://127.0.0.1:8000:
# installs what is missing, builds (release), applies migrations and serves.
# Settings come from the environment (see README), e.g. BABBLR_ADDR,
# DATABASE_URL, BABBLR_LLM_PROVIDER=scripted for the demo tutor.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release
export LEPTOS_SITE_ROOT=${LEPTOS_SITE_ROOT:-target/site}
exec target/release/babblr serve
