# Babblr in a container. Build: docker build -t babblr .
# Untested here (this project's build machines run no Docker engine); the
# steps are the same as scripts/build.sh release.
FROM rust:1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends cmake libclang-dev zopfli brotli && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# An image may run on another machine than the one that built it: x86-64-v3
# (AVX2, FMA; every x86 CPU since about 2015) instead of .cargo/config.toml's
# target-cpu=native.
RUN sed -i 's/"target-cpu=native"/"target-cpu=x86-64-v3"/' .cargo/config.toml \
    && scripts/setup.sh && scripts/build.sh release

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates libstdc++6 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /src/target/release/babblr /usr/local/bin/babblr
# The built-in model's engine, found next to the server (BABBLR_LLM_PROVIDER=embedded).
COPY --from=build /src/target/release/babblr-llm /usr/local/bin/babblr-llm
COPY --from=build /src/target/site /app/site
# Reachable beyond loopback, so accounts are on: the first to sign up is the admin.
ENV LEPTOS_SITE_ROOT=/app/site \
    BABBLR_ADDR=0.0.0.0:8000 \
    BABBLR_AUTH=on \
    DATABASE_URL=sqlite:///data/babblr.db \
    BABBLR_MODEL_DIR=/data/models
VOLUME /data
EXPOSE 8000
# Pull the Whisper model into the volume once, then serve:
#   docker run -v babblr:/data babblr babblr models pull base
CMD ["babblr", "serve"]
