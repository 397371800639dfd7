#!/usr/bin/env bash
# Checks the schema source: `proto/check.sh lint|breaking|generated|all` (npm run proto:*).
#   lint       buf lint (STANDARD, see buf.yaml)
#   breaking   buf breaking against the main branch; skipped, saying so, where main has no
#              buf.yaml yet (the first commit of the schema has nothing to break)
#   generated  libs/contracts/src/gen is exactly what `npm run proto:gen` writes
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BUF=(node_modules/.bin/buf)
AGAINST_BRANCH="${AEGIS_PROTO_BASE_BRANCH:-main}"

lint() { "${BUF[@]}" lint && echo "proto: lint ok"; }

breaking() {
  if ! git rev-parse --verify --quiet "$AGAINST_BRANCH" >/dev/null; then
    echo "proto: breaking skipped: no branch $AGAINST_BRANCH to compare with"
    return 0
  fi
  if ! git cat-file -e "$AGAINST_BRANCH:buf.yaml" 2>/dev/null; then
    echo "proto: breaking skipped: $AGAINST_BRANCH has no buf.yaml yet"
    return 0
  fi
  "${BUF[@]}" breaking --against ".git#branch=$AGAINST_BRANCH" && echo "proto: no breaking change against $AGAINST_BRANCH"
}

generated() {
  local tmp
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' RETURN
  "${BUF[@]}" generate --output "$tmp"
  if ! diff -r "$tmp/libs/contracts/src/gen" libs/contracts/src/gen; then
    echo "proto: libs/contracts/src/gen is stale: run npm run proto:gen and commit the result" >&2
    return 1
  fi
  echo "proto: generated code up to date"
}

case "${1:-all}" in
  lint) lint ;;
  breaking) breaking ;;
  generated) generated ;;
  all) lint && breaking && generated ;;
  *) echo "usage: $0 lint|breaking|generated|all" >&2; exit 2 ;;
esac
