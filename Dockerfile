# syntax=docker/dockerfile:1
# Habitus in a container (issue 22). Three stages:
#   assets  Node: `make assets` (npm ci, then scripts/build-assets.mjs), as on a laptop
#   python  uv:   `make install-python` (uv sync --frozen --no-dev --extra ocr) into /app/.venv
#   final   the venv, the code, the built assets and the migrations; no Node, no uv, no
#           make, no dev dependencies; runs as an unprivileged user.
# The build stages run the Makefile's own targets, so the commands CI runs natively are
# the image's (tests/ops/test_container_files.py checks that this stays so).
# Build: docker build -t habitus .   Run everything: docker compose up (compose.yaml).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS assets
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends make \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY Makefile package.json package-lock.json ./
COPY scripts ./scripts
COPY src/habitus/static ./src/habitus/static
RUN make assets

FROM ${PYTHON_IMAGE} AS python
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends make \
    && rm -rf /var/lib/apt/lists/*
# The uv the Makefile finds on PATH (it would otherwise bootstrap one into .tools/).
RUN pip install --no-cache-dir "uv==0.13.9"
# Bytecode compiled now: the final image's code is read-only to the user that runs it.
# Copies, not hard links, out of the cache mount.
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy
WORKDIR /app
COPY Makefile pyproject.toml uv.lock README.md ./
COPY src ./src
RUN --mount=type=cache,target=/root/.cache/uv make install-python
# The project is installed editable: compile its own code too (uv compiled the rest).
RUN python -m compileall -q src

FROM ${PYTHON_IMAGE} AS final
LABEL org.opencontainers.image.title="Habitus" \
      org.opencontainers.image.description="A self-hostable habit tracker" \
      org.opencontainers.image.licenses="MIT"
# pg_dump, pg_restore and psql for `habitus backup` / `restore` and the worker's scheduled
# backups: Debian's client of the same major version as compose.yaml's server (a dump
# needs a client at least as new as the server). Then a fixed, unprivileged user:
# volumes made by this image belong to it.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client-15 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 habitus \
    && useradd --system --uid 10001 --gid habitus --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin habitus \
    && mkdir /data \
    && chown habitus:habitus /data
WORKDIR /app
# Owned by root and read-only to the app: a compromised process cannot rewrite its code.
# The project is installed editable (as `make install` does), so the venv points at
# /app/src and migrations are found at /app/migrations: the same paths as in the build.
COPY --from=python /app/.venv /app/.venv
COPY --from=python /app/src /app/src
COPY --from=assets /app/src/habitus/static /app/src/habitus/static
COPY alembic.ini ./
COPY migrations ./migrations
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    XDG_CACHE_HOME=/tmp/.cache \
    HABITUS_DATA_DIR=/data \
    HABITUS_DATABASE_URL=sqlite+aiosqlite:////data/habitus.db
# Secrets generated at first start (secret_key, chat.keys, vapid_private.pem) and the
# SQLite database live here: keep it on a volume and back it up.
VOLUME ["/data"]
USER 10001:10001
EXPOSE 8000
# Liveness: the process answers (probes.py /healthz). No curl in a slim image: Python.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
# `habitus serve` and `habitus worker` both stop gracefully on SIGTERM, finishing the
# requests and deliveries in flight (HABITUS_SHUTDOWN_GRACE_SECONDS).
STOPSIGNAL SIGTERM
CMD ["habitus", "serve", "--host", "0.0.0.0", "--port", "8000"]
