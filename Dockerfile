# One image for every role: `dask scheduler`, `dask worker` and the `ctm` client.
#
# CTM_BASE_IMAGE: a Debian-like image with python3 (3.10 or later) and its venv module;
#   the public Python image by default, or the offline one from docker/build-base-image.sh.
# CTM_WHEELS: `pypi` compiles the kernel here and takes dependencies from PyPI (network);
#   `wheelhouse` installs only wheels from docker/wheelhouse/ (docker/build-wheelhouse.sh),
#   with no network inside the build.
ARG CTM_BASE_IMAGE=python:3.11-slim

# The virtual environment with the dependencies: a layer that survives source changes.
FROM ${CTM_BASE_IMAGE} AS deps
ARG CTM_WHEELS=pypi
COPY docker/install-venv.sh docker/wheelhouse/dep[s] /wheels/
RUN sh /wheels/install-venv.sh "$CTM_WHEELS" /opt/ctm /wheels

# The project's wheel, with the compiled kernel.
FROM ${CTM_BASE_IMAGE} AS wheel
ARG CTM_WHEELS=pypi
COPY . /src
RUN sh /src/docker/project-wheel.sh "$CTM_WHEELS" /src /dist

# The image: settled layers first, so a new project wheel rebuilds only the last two.
FROM ${CTM_BASE_IMAGE}
ARG CTM_WHEELS=pypi
ENV PATH=/opt/ctm/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp \
    CTM_DATA_DIR=/data
WORKDIR /app
EXPOSE 8786 8787
CMD ["ctm", "--help"]
COPY --from=deps /opt/ctm /opt/ctm
COPY jobs /app/jobs
COPY --from=wheel /dist /dist
RUN if [ "$CTM_WHEELS" = wheelhouse ]; then index=--no-index; else index=; fi \
    && pip install --no-cache-dir $index --find-links /dist ctm-pipeline \
    && rm -rf /dist \
    && mkdir -p /data /certs && chmod 1777 /data /certs \
    && python -c "import tmsim_ext, pipeline.cli, dask, distributed, pyarrow, cryptography" \
    && dask --version && ctm --version
# Not root: any uid works (compose's CTM_UID); /data and /certs (and a new volume there)
# take every user, with the sticky bit, as /tmp does.
USER 1000:1000
