#!/usr/bin/env bash
# Builds helm from the Go module proxy into the git-ignored .cache/bin, so CI needs
# only Go and a module proxy (no curl | bash installer, no distro package).
# Idempotent: does nothing when the pinned version is already there.
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-v3.21.4}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN_DIR="${ROOT}/.cache/bin"
HELM="${BIN_DIR}/helm"

if [[ -x "${HELM}" ]] && "${HELM}" version --template '{{.Version}}' 2>/dev/null | grep -qx "${HELM_VERSION}"; then
  echo "helm ${HELM_VERSION} already at ${HELM}" >&2
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "install-helm: 'go' is not on PATH; helm is built from the Go module proxy" >&2
  exit 1
fi

mkdir -p "${BIN_DIR}"
echo "install-helm: building helm.sh/helm/v3/cmd/helm@${HELM_VERSION} (GOPROXY=$(go env GOPROXY)); this takes minutes on a small machine" >&2
# Helm's Makefile stamps the Kubernetes version it was built against (client-go v0.X -> 1.X)
# into the binary; without it `helm template` assumes v1.20 and refuses kubeVersion >= 1.27.
GO_MOD="$(GOFLAGS=-mod=mod go mod download -json "helm.sh/helm/v3@${HELM_VERSION}" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
CLIENT_GO="$(sed -n 's/^[[:space:]]*k8s\.io\/client-go v0\.\([0-9]*\)\..*/\1/p' "${GO_MOD}")"
if [[ -z "${CLIENT_GO}" ]]; then
  echo "install-helm: could not read the k8s.io/client-go version from ${GO_MOD}" >&2
  exit 1
fi
LDFLAGS="-s -w -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}"
for pkg in pkg/lint/rules pkg/chartutil; do
  LDFLAGS+=" -X helm.sh/helm/v3/${pkg}.k8sVersionMajor=1 -X helm.sh/helm/v3/${pkg}.k8sVersionMinor=${CLIENT_GO}"
done
# -mod=mod: `go install pkg@version` ignores any go.mod around us, but an inherited
# GOFLAGS=-mod=vendor would make it fail.
GOFLAGS="-mod=mod" GOBIN="${BIN_DIR}" CGO_ENABLED=0 go install -trimpath -ldflags "${LDFLAGS}" \
  "helm.sh/helm/v3/cmd/helm@${HELM_VERSION}"

"${HELM}" version --short >&2
