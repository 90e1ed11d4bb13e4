#!/usr/bin/env bash
# Everything an image build needs on a host with no registry: the local base image and
# the wheelhouse. Prints the settings to export:  eval "$(docker/prepare-offline.sh)"
# On any failure it exits non-zero, says which step failed on stderr and prints nothing
# to stdout, so nothing is half exported.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
step=
fail() {
    echo "prepare-offline: $step failed (exit $1); nothing exported, so an image build" \
        "would try the registry: fix the error above and run it again" >&2
}
trap 'fail $?' ERR

step="checking the build tools (docker/build-wheelhouse.sh --check)"
"$here/build-wheelhouse.sh" --check
step="checking the Docker engine (docker info)"
docker info >/dev/null
step="the base image (docker/build-base-image.sh)"
base=$("$here/build-base-image.sh")
step="the wheelhouse (docker/build-wheelhouse.sh)"
CTM_BASE_IMAGE=$base "$here/build-wheelhouse.sh"
echo "export CTM_BASE_IMAGE=$base CTM_WHEELS=wheelhouse"
