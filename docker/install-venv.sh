#!/bin/sh
# Creates the image's virtual environment; with CTM_WHEELS=wheelhouse also installs
# every dependency wheel from WHEELS_DIR (no network). Usage: install-venv.sh MODE VENV WHEELS_DIR
set -eu

mode=$1
venv=$2
wheels=$3

python3 -m venv "$venv"
case "$mode" in
    pypi) ;;
    wheelhouse)
        if ! ls "$wheels"/*.whl >/dev/null 2>&1; then
            echo "install-venv: no dependency wheels in docker/wheelhouse/deps; run docker/build-wheelhouse.sh" >&2
            exit 2
        fi
        "$venv/bin/pip" install --no-cache-dir --no-index --find-links "$wheels" "$wheels"/*.whl
        ;;
    *)
        echo "install-venv: CTM_WHEELS should be 'pypi' or 'wheelhouse', got '$mode'" >&2
        exit 2
        ;;
esac
