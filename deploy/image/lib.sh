# Shared by deploy/image/*.sh: an OCI image from a directory, without Docker or a registry.
#   debian_rootfs DIR            debootstrap bookworm (minbase) once into a cache, copied to DIR
#   chroot_apt DIR PKG...        apt-get install inside DIR (what a Dockerfile RUN apt-get does)
#   slim_rootfs DIR              drop docs, man pages, locales and apt caches (as debian:*-slim)
#   oci_archive REF DIR OUT ARGS packs DIR as one layer, umoci config ARGS, writes an OCI archive
# Needs root (debootstrap, chroot, files owned by root in the image), debootstrap and umoci.
set -euo pipefail

IMAGE_CACHE=${IMAGE_CACHE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.cache/image}
ilog() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

need_tools() {
  [ "$(id -u)" = 0 ] || { ilog "run as root (debootstrap, chroot, root-owned files)"; exit 1; }
  local missing=() t
  for t in debootstrap umoci python3; do command -v "$t" >/dev/null || missing+=("$t"); done
  if [ ${#missing[@]} -gt 0 ]; then
    ilog "missing: ${missing[*]} (Debian: apt-get install debootstrap umoci python3)"; exit 1
  fi
}

debian_rootfs() { # dir
  local base=$IMAGE_CACHE/debian-bookworm
  if [ ! -f "$base/.done" ]; then
    local mirror=${DEBIAN_MIRROR:-$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null)}
    [ -n "$mirror" ] || mirror=$(awk '$1=="deb"{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
    [ -n "$mirror" ] || { ilog "no Debian mirror in apt's sources: set DEBIAN_MIRROR"; return 1; }
    ilog "debootstrap bookworm (minbase) from $mirror"
    rm -rf "$base"; mkdir -p "$base"
    debootstrap --variant=minbase bookworm "$base" "$mirror" >/dev/null
    touch "$base/.done"
  fi
  rm -rf "$1"; cp -a "$base" "$1"; rm -f "$1/.done"
}

chroot_apt() { # dir pkgs...
  local dir=$1; shift
  printf '#!/bin/sh\nexit 101\n' > "$dir/usr/sbin/policy-rc.d"; chmod +x "$dir/usr/sbin/policy-rc.d"
  cp /etc/resolv.conf "$dir/etc/resolv.conf"
  mount -t proc proc "$dir/proc"
  local rc=0
  { chroot "$dir" apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive chroot "$dir" apt-get install -y -qq --no-install-recommends "$@" >/dev/null; } || rc=$?
  umount "$dir/proc"
  rm -f "$dir/usr/sbin/policy-rc.d"; : > "$dir/etc/resolv.conf"
  return $rc
}

slim_rootfs() { # dir
  local d=$1
  rm -rf "$d"/var/lib/apt/lists/* "$d"/var/cache/apt/* "$d"/var/cache/debconf/*-old "$d"/var/log/*.log \
    "$d"/usr/share/doc/* "$d"/usr/share/man/* "$d"/usr/share/info/* "$d"/usr/share/lintian "$d"/usr/share/linda
  find "$d/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name 'locale.alias' -exec rm -rf {} + 2>/dev/null || true
}

oci_archive() { # ref rootfs out [umoci config args]
  local ref=$1 rootfs=$2 out=$3; shift 3
  local tag=${ref##*:} w
  mkdir -p "$IMAGE_CACHE"; w=$(mktemp -d "$IMAGE_CACHE/.oci.XXXX")
  umoci init --layout "$w/oci"
  umoci new --image "$w/oci:$tag"
  umoci insert --image "$w/oci:$tag" "$rootfs" /
  umoci config --image "$w/oci:$tag" --os linux --architecture amd64 "$@"
  umoci gc --layout "$w/oci"
  # containerd (ctr import) and kind name the image by this annotation.
  python3 - "$w/oci/index.json" "$ref" <<'PY'
import json, sys
path, ref = sys.argv[1], sys.argv[2]
index = json.load(open(path))
for m in index["manifests"]:
    m.setdefault("annotations", {})["org.opencontainers.image.ref.name"] = ref
json.dump(index, open(path, "w"))
PY
  tar -C "$w/oci" -cf "$out" .
  rm -rf "$w"
}
