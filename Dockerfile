# syntax=docker/dockerfile:1.7
# One image for all five services and the sandboxes; each Deployment picks
# its process with `python -m <module>`. Build: docker build -t regal-sync .

# Pinned to an exact Python patch release and Debian release so rebuilds
# are reproducible; CI may pin further by digest with --build-arg.
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

# ---- build: a virtualenv with the dependencies, then the project -------
FROM ${PYTHON_IMAGE} AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_INPUT=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src

# Dependencies first: this layer is rebuilt only when pyproject.toml
# changes, not on every source edit. Every dependency ships wheels, so no
# compiler is needed even here.
COPY pyproject.toml README.md ./
RUN --mount=type=cache,target=/root/.cache/pip \
    python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > requirements.txt \
    && pip install -r requirements.txt

# The source, then the project itself without touching the dependencies.
COPY libs ./libs
COPY services ./services
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install --no-deps .

# ---- runtime: the virtualenv only, as an unprivileged user --------------
FROM ${PYTHON_IMAGE} AS runtime

# Logs reach `kubectl logs` at once; no .pyc writes on a read-only root.
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH \
    REGALSYNC_STATE_DIR=/var/lib/regal-sync \
    REGALSYNC_GRPC_HOST=0.0.0.0 \
    REGALSYNC_HTTP_HOST=0.0.0.0 \
    REGALSYNC_LOG_FORMAT=json

# A fixed numeric uid, so Kubernetes can verify runAsNonRoot.
RUN groupadd --system --gid 10001 regalsync \
    && useradd --system --uid 10001 --gid 10001 --no-create-home \
        --shell /usr/sbin/nologin regalsync \
    && mkdir -p /var/lib/regal-sync \
    && chown 10001:10001 /var/lib/regal-sync

COPY --from=build /opt/venv /opt/venv

WORKDIR /app
USER 10001:10001
EXPOSE 8080 50061 50062 50063 50064 9090

# No ENTRYPOINT on purpose: the chart passes each process's whole command
# as args, which Tilt's restart wrapper keeps when it takes the command
# slot in the dev loop. Without args, the image shows the CLI's help.
CMD ["regal-sync", "--help"]

# ---- dev: the runtime plus the source tree, for Tilt's live update ------
# PYTHONPATH puts /app's sources ahead of the installed copy, so files
# Tilt syncs into /app take effect when the process restarts.
FROM runtime AS dev

ENV PYTHONPATH=/app/libs:/app/services
# Tilt writes into /app (synced files, its restart marker) as this user.
USER root
RUN chown 10001:10001 /app
USER 10001:10001
COPY --chown=10001:10001 libs ./libs
COPY --chown=10001:10001 services ./services

# The last stage is what a plain `docker build` produces: production.
FROM runtime AS production
