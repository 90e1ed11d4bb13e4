#!/bin/sh
# Puts the project's wheel into DIST. Usage: project-wheel.sh MODE SRC DIST
#   pypi:       compile the kernel from SRC (installs a C compiler and the Python headers
#               when missing; network).
#   wheelhouse: take the wheel docker/build-wheelhouse.sh compiled on the host.
set -eu

mode=$1
src=$2
dist=$3

mkdir -p "$dist"
case "$mode" in
    pypi)
        missing=
        command -v cc >/dev/null 2>&1 || missing="gcc libc6-dev"
        headers=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
        [ -f "$headers/Python.h" ] || missing="$missing python3-dev"
        if [ -n "$missing" ]; then
            apt-get update -qq
            # shellcheck disable=SC2086
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
        fi
        python3 -m venv /tmp/build-venv
        /tmp/build-venv/bin/pip wheel --no-cache-dir --no-deps --wheel-dir "$dist" "$src"
        ;;
    wheelhouse)
        if ! ls "$src"/docker/wheelhouse/ctm_pipeline-*.whl >/dev/null 2>&1; then
            echo "project-wheel: no ctm_pipeline wheel in docker/wheelhouse; run docker/build-wheelhouse.sh" >&2
            exit 2
        fi
        cp "$src"/docker/wheelhouse/ctm_pipeline-*.whl "$dist"/
        ;;
    *)
        echo "project-wheel: CTM_WHEELS should be 'pypi' or 'wheelhouse', got '$mode'" >&2
        exit 2
        ;;
esac
