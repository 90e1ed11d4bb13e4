#!/usr/bin/env bash
# Fills docker/wheelhouse/ with the project's wheel (kernel compiled on this host) and
# deps/ with wheels of all its dependencies, for images built with CTM_WHEELS=wheelhouse.
#
# PYTHON (default: .venv/bin/python, else python3) builds the project wheel without build
# isolation, so it needs the build tools of pyproject.toml (setuptools, wheel, Cython, numpy),
# which `pip install -e ".[test]"` installs. Dependencies come from the wheelhouse itself
# when it already holds them, else from the package index; delete the folder to refresh
# them. With CTM_BASE_IMAGE set, checks the image's Python matches.
#   --check: only check that PYTHON has the build tools (exit 2 and say which are missing).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
wheelhouse="$root/docker/wheelhouse"
deps="$wheelhouse/deps"
python=${PYTHON:-}
if [[ -z "$python" ]]; then
    if [[ -x "$root/.venv/bin/python" ]]; then python="$root/.venv/bin/python"; else python=python3; fi
fi

log() { echo "build-wheelhouse: $*" >&2; }

# The build tools, checked before anything is built: a missing one would otherwise surface
# as a traceback in the middle of pip's output.
if ! missing=$("$python" - <<'PY'
import importlib.util
print(", ".join(m for m in ("setuptools", "wheel", "Cython", "numpy") if not importlib.util.find_spec(m)))
PY
); then
    log "$python does not run; set PYTHON to the project's virtual environment's python"
    exit 2
fi
if [[ -n "$missing" ]]; then
    log "$python lacks $missing to build the kernel's wheel;" \
        "install the project as the README says: .venv/bin/pip install -e \".[test]\" (or set PYTHON)"
    exit 2
fi
if [[ "${1:-}" == --check ]]; then
    exit 0
fi

abi='import sys; print("cp%d%d" % sys.version_info[:2])'
host_abi=$("$python" -c "$abi")
if [[ -n "${CTM_BASE_IMAGE:-}" ]]; then
    image_abi=$(docker run --rm "$CTM_BASE_IMAGE" python3 -c "$abi")
    if [[ "$host_abi" != "$image_abi" ]]; then
        log "$python is $host_abi but $CTM_BASE_IMAGE has $image_abi; set PYTHON to a $image_abi interpreter"
        exit 2
    fi
fi

mkdir -p "$deps"
rm -f "$wheelhouse"/ctm_pipeline-*.whl "$deps"/ctm_pipeline-*.whl
log "building the project wheel with $python ($host_abi)"
if ! "$python" -m pip wheel --quiet --no-deps --no-build-isolation --wheel-dir "$wheelhouse" "$root" >&2; then
    log "building the project wheel with $python failed (pip's output above)"
    exit 1
fi
project=$(ls "$wheelhouse"/ctm_pipeline-*.whl)

# pip wheel also copies the project's wheel into deps/; the image takes it from above.
if "$python" -m pip wheel --quiet --no-index --find-links "$deps" \
    --wheel-dir "$deps" "$project" >/dev/null 2>&1; then
    log "dependencies already in $deps"
else
    log "fetching dependency wheels from the package index"
    "$python" -m pip wheel --quiet --find-links "$deps" --prefer-binary \
        --wheel-dir "$deps" "$project" >&2
fi
rm -f "$deps"/ctm_pipeline-*.whl
log "$(basename "$project") and $(ls "$deps" | wc -l) dependency wheels in $wheelhouse"
