#!/usr/bin/env bash
# One command from a fresh clone to a running Babblr on http://127.0.0.1:8000:
# installs what is missing, builds (release), downloads the Whisper and voice
# activity models and (when no Ollama answers) the built-in tutor model if missing, applies
# migrations and serves.
# Settings come from the environment (see README), e.g. BABBLR_ADDR,
# DATABASE_URL, BABBLR_LLM_PROVIDER=scripted for the demo tutor.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release
export LEPTOS_SITE_ROOT=${LEPTOS_SITE_ROOT:-target/site}
# The Whisper model, when it is a name and not yet downloaded; the app runs
# without it (speech says unavailable) if the download fails.
model=${BABBLR_WHISPER_MODEL:-base}
if [[ "$model" != */* && "$model" != *.bin ]] &&
    [ ! -f "${BABBLR_MODEL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/babblr/models}/ggml-$model.bin" ]; then
    target/release/babblr models pull "$model" ||
        echo "[run] could not download the Whisper model '$model'; speech input stays off until 'babblr models pull $model' works" >&2
fi
# The voice activity model (1 MB) that hands-free conversation listens with.
vad=${BABBLR_VAD_MODEL:-silero-vad}
if [ "$vad" = silero-vad ] &&
    [ ! -f "${BABBLR_MODEL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/babblr/models}/ggml-silero-v5.1.2.bin" ]; then
    target/release/babblr models pull silero-vad ||
        echo "[run] could not download the voice activity model; hands-free conversation stays off until 'babblr models pull silero-vad' works" >&2
fi
# The built-in tutor model, when it will answer (provider `embedded`, or
# `auto` with no Ollama answering) and is a catalogue name not yet pulled
# (`babblr models list` says which are there without hashing them).
provider=${BABBLR_LLM_PROVIDER:-auto}
builtin=${BABBLR_LLM_BUILTIN_MODEL:-qwen2.5-1.5b}
ollama=${BABBLR_LLM_URL:-${OLLAMA_HOST:-http://127.0.0.1:11434}}
[[ "$ollama" == *://* ]] || ollama="http://$ollama"
if [[ "$builtin" != */* && "$builtin" != *.gguf ]] &&
    ! target/release/babblr models list | grep -Eq "^  ${builtin//./\\.} +[0-9]+ MB  downloaded" &&
    { [ "$provider" = embedded ] ||
        { [ "$provider" = auto ] && ! curl -fsS -m 3 "$ollama/api/tags" >/dev/null 2>&1; }; }; then
    target/release/babblr models pull "$builtin" ||
        echo "[run] could not download the built-in tutor model '$builtin'; the tutor stays unavailable until 'babblr models pull $builtin' works" >&2
fi
exec target/release/babblr serve
