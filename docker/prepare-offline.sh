#!/usr/bin/env bash
# Everything an image build needs on a host with no registry: the local base image and
# the wheelhouse. Prints the settings to export:  eval "$(docker/prepare-offline.sh)"
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
base=$("$here/build-base-image.sh")
CTM_BASE_IMAGE=$base "$here/build-wheelhouse.sh"
echo "export CTM_BASE_IMAGE=$base CTM_WHEELS=wheelhouse"
