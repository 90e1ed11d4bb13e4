#!/usr/bin/env bash
# Builds a local Debian base image for registry-less hosts: debootstrap of the host's
# Debian release from the host's apt mirror, then `docker import`.
#
# The tag is derived from every input (release, mirror, package list, this script), so
# the image is built once per machine; the tag is printed as the last line of stdout:
#   export CTM_BASE_IMAGE=$(docker/build-base-image.sh)
# Overrides: CTM_DEBIAN_RELEASE, CTM_DEBIAN_MIRROR.
set -euo pipefail

PACKAGES=(python3 python3-venv ca-certificates)

log() { echo "build-base-image: $*" >&2; }

release() {
    if [[ -n "${CTM_DEBIAN_RELEASE:-}" ]]; then echo "$CTM_DEBIAN_RELEASE"; return; fi
    # shellcheck disable=SC1091
    . /etc/os-release
    if [[ "${ID:-}" != debian || -z "${VERSION_CODENAME:-}" ]]; then
        log "this host is not Debian (${PRETTY_NAME:-unknown}); set CTM_DEBIAN_RELEASE and CTM_DEBIAN_MIRROR"
        exit 2
    fi
    echo "$VERSION_CODENAME"
}

# The first Debian mirror in the host's apt sources (deb822 or one-line format) that
# serves the release itself.
mirror() {
    local suite=$1
    if [[ -n "${CTM_DEBIAN_MIRROR:-}" ]]; then echo "$CTM_DEBIAN_MIRROR"; return; fi
    local found
    found=$(
        {
            for f in /etc/apt/sources.list.d/*.sources; do
                [[ -f $f ]] || continue
                awk -v suite="$suite" '
                    /^[[:space:]]*$/ { if (deb && has) print uri; deb = has = 0; uri = ""; next }
                    tolower($1) == "types:" && / deb( |$)/ { deb = 1 }
                    tolower($1) == "uris:" { uri = $2 }
                    tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == suite) has = 1 }
                    END { if (deb && has) print uri }' "$f"
            done
            cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
                awk -v suite="$suite" '$1 == "deb" {
                    i = 2; if ($i ~ /^\[/) while ($i !~ /\]$/) i++; if ($i ~ /^\[/ || $i ~ /\]$/) i++
                    if ($(i + 1) == suite) print $i }'
        } | head -n 1
    )
    if [[ -z "$found" ]]; then
        log "no apt source for '$suite' found in /etc/apt; set CTM_DEBIAN_MIRROR"
        exit 2
    fi
    echo "$found"
}

main() {
    local suite mirror_url key tag
    suite=$(release)
    mirror_url=$(mirror "$suite")
    key=$(printf '%s\n' "$suite" "$mirror_url" "${PACKAGES[*]}" | cat - "${BASH_SOURCE[0]}" |
        sha256sum | cut -c1-12)
    tag="ctm-base:${suite}-${key}"

    if docker image inspect "$tag" >/dev/null 2>&1; then
        log "$tag exists; nothing to build"
        echo "$tag"
        return
    fi

    if ! command -v debootstrap >/dev/null; then
        log "installing debootstrap"
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2
    fi

    ROOTFS=$(mktemp -d /tmp/ctm-base-rootfs.XXXXXX)
    trap 'rm -rf "$ROOTFS"' EXIT
    log "debootstrap $suite from $mirror_url into $ROOTFS"
    local include
    include=$(IFS=,; echo "${PACKAGES[*]}")
    debootstrap --variant=minbase --include="$include" "$suite" "$ROOTFS" "$mirror_url" >&2

    # Keep the image small: no package caches or lists.
    rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/* \
        "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/* "$ROOTFS"/tmp/*

    log "docker import as $tag"
    tar -C "$ROOTFS" --numeric-owner -c . |
        docker import \
            --change 'ENV LANG=C.UTF-8' \
            --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
            --change 'CMD ["/bin/bash"]' \
            --message "ctm-pipeline base: debootstrap $suite ${PACKAGES[*]}" \
            - "$tag" >&2
    echo "$tag"
}

main "$@"
