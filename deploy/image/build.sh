#!/usr/bin/env bash
# The aegis image (every service, the hook Jobs, the CLI) without Docker: the same layout as
# deploy/docker/Dockerfile's `runtime` target, made from a Debian bookworm rootfs (debootstrap),
# this machine's Node (>= 20.19) and the compiled dist/ (npm run build), packed as an OCI archive
# with umoci.
#   deploy/image/build.sh [REF]        default REF ghcr.io/aegis-posw/aegis:dev
# Prints the archive path on stdout; its size is logged. Load it with `ctr -n k8s.io images
# import`, `kind load image-archive`, or `skopeo copy oci-archive:...` to push it.
# Layout: /app holds dist/ (bin/, libs/, services/, proto/) and production node_modules only,
# owned by root; user 10001:10001; HOME=/tmp (the pods mount an emptyDir there, the root
# filesystem stays read-only: nothing is written at run time outside /tmp).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
REF=${1:-ghcr.io/aegis-posw/aegis:dev}
W=$IMAGE_CACHE/aegis
OUT=$IMAGE_CACHE/$(echo "$REF" | tr '/:' '__').oci.tar
need_tools

node_ok=$(node -e 'const [a,b]=process.versions.node.split(".").map(Number); console.log(a>20||(a===20&&b>=19)?1:0)')
[ "$node_ok" = 1 ] || { ilog "node $(node -v) is older than 20.19 (package.json engines)"; exit 1; }

ilog "npm run build"
(cd "$ROOT" && npm run -s build >/dev/null)

ilog "production node_modules (npm ci --omit=dev)"
rm -rf "$W"; mkdir -p "$W/app"
cp -a "$ROOT/dist/." "$W/app/"
cp "$ROOT/package.json" "$ROOT/package-lock.json" "$ROOT/.npmrc" "$W/app/"
# Offline from npm's cache when it has every tarball, else from the registry.
(cd "$W/app" && { npm ci --omit=dev --no-audit --no-fund --offline >/dev/null 2>&1 || npm ci --omit=dev --no-audit --no-fund >/dev/null; })
# What production needs of onnxruntime-node is its linux/x64 CPU binary; the TypeScript tooling
# listed as dependencies is not loaded by the compiled services.
find "$W/app/node_modules/onnxruntime-node/bin" -mindepth 3 -maxdepth 3 -type d ! -path '*/linux/x64' -exec rm -rf {} +
rm -rf "$W/app/node_modules/@swc" "$W/app/node_modules/@swc-node" "$W/app/node_modules/typescript" \
  "$W/app/node_modules/.bin" "$W/app/node_modules/.package-lock.json"

ilog "rootfs: Debian bookworm + node $(node -v)"
debian_rootfs "$W/rootfs"
slim_rootfs "$W/rootfs"
install -m 755 "$(readlink -f "$(command -v node)")" "$W/rootfs/usr/local/bin/node"
for lib in $(ldd "$(command -v node)" | grep -o '/[^ ]*'); do
  [ -e "$W/rootfs$lib" ] || { mkdir -p "$W/rootfs$(dirname "$lib")"; cp -L "$lib" "$W/rootfs$lib"; }
done
echo 'aegis:x:10001:10001:aegis:/tmp:/usr/sbin/nologin' >> "$W/rootfs/etc/passwd"
echo 'aegis:x:10001:' >> "$W/rootfs/etc/group"
rm -f "$W/app/package-lock.json" "$W/app/.npmrc"
mv "$W/app" "$W/rootfs/app"
chown -R 0:0 "$W/rootfs/app"; chmod -R a+rX,go-w "$W/rootfs/app"
# A smoke test inside the image's own filesystem (nothing resolves from this checkout there): the
# CLI loads every command, and the service launcher finds the compiled services.
(cd "$W/rootfs" && env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp "$(command -v chroot)" . /bin/sh -c \
  'cd /app && node bin/aegis.js --help >/dev/null && { node bin/service.js 2>&1 || true; } | grep -q "known services: inference-worker"')

ilog "OCI archive $REF"
oci_archive "$REF" "$W/rootfs" "$OUT" \
  --config.user 10001:10001 --config.workingdir /app \
  --config.env PATH=/usr/local/bin:/usr/bin:/bin --config.env NODE_ENV=production --config.env HOME=/tmp \
  --config.entrypoint node --config.cmd bin/aegis.js --config.cmd --help \
  --config.exposedports 50051/tcp --config.exposedports 50052/tcp --config.exposedports 50055/tcp --config.exposedports 9464/tcp
ilog "image: $(du -sm "$W/rootfs" | cut -f1) MiB unpacked (/app $(du -sm "$W/rootfs/app" | cut -f1) MiB), archive $(( $(stat -c %s "$OUT") / 1048576 )) MiB compressed"
rm -rf "$W"
echo "$OUT"
