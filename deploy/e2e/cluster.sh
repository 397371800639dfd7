#!/usr/bin/env bash
# The chart end to end on a real Kubernetes cluster (any KUBECONFIG; not part of npm test):
#  1. builds the aegis image (deploy/image/build.sh) and, without Docker Hub, the in-cluster Kafka
#     and Postgres images (deploy/image/deps.sh), and loads them into the node(s);
#  2. installs helm/aegis with values-small.yaml, waits until every Deployment is Available;
#  3. `helm test --logs` (health of every service, a task submitted through the ingress Service
#     until ACCEPTED);
#  4. a steady load (`aegis load` in a pod) with 1 inference worker, then with 3;
#  5. the same load while a worker pod and the verifier pod are deleted (no task may be lost);
#  6. the same load during a rolling upgrade of every Deployment (no task may be lost);
#  7. uninstalls. The last stdout line is one JSON object:
#     {"ready","helmTest","tasksAccepted","tasksPerSecond":{"workers1","workers3"},"podKillLost","upgradeLost","imageMb"}
#
# Environment:
#   KUBECONFIG                  the cluster (kubectl and helm on PATH; helm >= 3.12)
#   AEGIS_E2E_IMAGE_LOAD        command run with an OCI archive path to load it into the nodes;
#                               default: `kind load image-archive` when KIND_CLUSTER is set, else
#                               `ctr -n k8s.io images import` on CONTAINERD_ADDRESS (a single node
#                               reachable from here, e.g. a kubeadm or bare-metal node)
#   AEGIS_E2E_DEPS              local (default: build Kafka/Postgres images here) or hub (the
#                               chart's defaults apache/kafka and postgres, pulled by the nodes)
#   AEGIS_E2E_RATE / _SECONDS / _SETTLE   offered tasks/s, seconds of load, seconds to settle (3 / 40 / 240)
#   AEGIS_E2E_NAMESPACE         namespace (default aegis-e2e; created and deleted)
#   AEGIS_E2E_KEEP=1            leave the release installed at the end
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
NS=${AEGIS_E2E_NAMESPACE:-aegis-e2e}
REL=aegis
TAG=e2e-$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || date +%s)
REPO=ghcr.io/aegis-posw/aegis
DEPS=${AEGIS_E2E_DEPS:-local}
RATE=${AEGIS_E2E_RATE:-3} SECONDS_LOAD=${AEGIS_E2E_SECONDS:-40} SETTLE=${AEGIS_E2E_SETTLE:-240}
WORK=$(mktemp -d /tmp/aegis-e2e.XXXX)
trap 'rm -rf "$WORK"' EXIT
log() { printf '[%s] cluster.sh: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
K() { kubectl -n "$NS" "$@"; }
ready=false helm_test=false accepted_total=0 tps1=0 tps3=0 kill_lost=null upgrade_lost=null image_mb=0

command -v kubectl >/dev/null && command -v helm >/dev/null || { log "kubectl and helm must be on PATH"; exit 2; }
kubectl version >/dev/null || { log "no cluster at KUBECONFIG=${KUBECONFIG:-~/.kube/config}"; exit 2; }

load_image() { # oci-archive
  if [ -n "${AEGIS_E2E_IMAGE_LOAD:-}" ]; then $AEGIS_E2E_IMAGE_LOAD "$1"
  elif [ -n "${KIND_CLUSTER:-}" ]; then kind load image-archive "$1" --name "$KIND_CLUSTER"
  else ctr --address "${CONTAINERD_ADDRESS:-/run/containerd/containerd.sock}" -n k8s.io images import "$1" >/dev/null
  fi
}

# ---- 1. images
log "building $REPO:$TAG"
archive=$(bash "$ROOT/deploy/image/build.sh" "$REPO:$TAG" | tail -n 1)
image_mb=$(( $(stat -c %s "$archive") / 1048576 ))
load_image "$archive"
deps_values=""
if [ "$DEPS" = local ]; then
  for a in $(bash "$ROOT/deploy/image/deps.sh" all); do load_image "$a"; done
  deps_values=$'kafka:\n  image: {repository: docker.io/aegis-local/kafka, tag: "4.1.1", pullPolicy: IfNotPresent}\npostgresql:\n  image: {repository: docker.io/aegis-local/postgres, tag: "15", pullPolicy: IfNotPresent}'
fi
{
  for c in ingress inferenceWorker verifier powChecker tallier ledger; do
    printf '%s:\n  image: {repository: %s, tag: %s, pullPolicy: IfNotPresent}\n' "$c" "$REPO" "$TAG"
    # A task whose worker died is offered again after 20 s instead of 120 s (the load settles sooner).
    if [ "$c" = ingress ]; then printf '  extraEnv: [{name: AEGIS_TASK_REQUEUE_SECONDS, value: "20"}]\n'; fi
  done
  echo "$deps_values"
} > "$WORK/images.yaml"
VALUES=(-f "$ROOT/helm/aegis/values-small.yaml" -f "$WORK/images.yaml")

# ---- 2. install
log "helm install (namespace $NS)"
t0=$SECONDS
kubectl create namespace "$NS" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
# No --wait: migrations, topics and the bootstrap run as post-install hooks, after which the
# services become Ready (helm waits for the hook Jobs themselves).
helm upgrade --install "$REL" "$ROOT/helm/aegis" -n "$NS" "${VALUES[@]}" --timeout 20m >"$WORK/install.log" 2>&1 ||
  { log "helm install failed:"; tail -n 20 "$WORK/install.log" >&2; }
if K wait --for=condition=Available deploy -l app.kubernetes.io/instance=$REL --timeout=10m >/dev/null; then ready=true; fi
log "ready=$ready after $((SECONDS - t0)) s"
K get pods -o wide >&2 || true

# ---- 3. helm test
t0=$SECONDS
if helm test "$REL" -n "$NS" --logs --timeout 6m >"$WORK/helm-test.log" 2>&1; then helm_test=true; fi
tail -n 20 "$WORK/helm-test.log" >&2
log "helmTest=$helm_test after $((SECONDS - t0)) s"

# ---- load: `aegis load` in a pod next to the services (a port-forward would follow one ingress pod and die with it)
start_load() { # name
  cat <<YAML | K apply -f - >/dev/null
apiVersion: v1
kind: Pod
metadata:
  name: $1
  labels: {app.kubernetes.io/name: aegis, app.kubernetes.io/instance: $REL, app.kubernetes.io/component: e2e-load}
spec:
  restartPolicy: Never
  automountServiceAccountToken: false
  securityContext: {runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: {type: RuntimeDefault}}
  initContainers:
    - name: model
      image: $REPO:$TAG
      args: [bin/aegis.js, model, build, --model, aegis-tiny-v1, --out, /model]
      securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
      volumeMounts: [{name: model, mountPath: /model}, {name: tmp, mountPath: /tmp}]
  containers:
    - name: load
      image: $REPO:$TAG
      args: [bin/aegis.js, load, --ingress, "$REL-ingress:50051", --key-file, /keys/key, --model, aegis-tiny-v1, --model-dir, /model,
             --rate, "$RATE", --duration, "$SECONDS_LOAD", --settle, "$SETTLE", --json]
      resources: {requests: {cpu: 50m, memory: 128Mi}, limits: {cpu: "1", memory: 512Mi}}
      securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
      volumeMounts: [{name: model, mountPath: /model}, {name: tmp, mountPath: /tmp}, {name: key, mountPath: /keys, readOnly: true}]
  volumes:
    - {name: model, emptyDir: {}}
    - {name: tmp, emptyDir: {}}
    - {name: key, secret: {secretName: $REL-client-key}}
YAML
  K wait --for=condition=Ready "pod/$1" --timeout=5m >/dev/null 2>&1 || true
}
finish_load() { # name -> the JSON result line on stdout
  local phase=""
  for _ in $(seq 1 $(( (SECONDS_LOAD + SETTLE + 120) / 5 ))); do
    phase=$(K get pod "$1" -o jsonpath='{.status.phase}' 2>/dev/null || true)
    [ "$phase" = Succeeded ] || [ "$phase" = Failed ] && break
    sleep 5
  done
  K logs "$1" -c load 2>/dev/null | tail -n 3 >&2 || true
  K logs "$1" -c load 2>/dev/null | tail -n 1 | grep '^{' || echo '{}'
  K delete pod "$1" --wait=false >/dev/null 2>&1 || true
}
field() { python3 -c 'import json,sys; d=json.loads(sys.argv[1] or "{}"); v=d.get(sys.argv[2]); print("null" if v is None else v)' "$1" "$2"; }
add_accepted() { local a; a=$(field "$1" accepted); [ "$a" = null ] || accepted_total=$((accepted_total + a)); }

if [ "$ready" = true ]; then
  # ---- 4. scaling
  log "load with 1 inference worker ($RATE tasks/s for $SECONDS_LOAD s)"
  start_load load-w1; r=$(finish_load load-w1); add_accepted "$r"; tps1=$(field "$r" tasksPerSecond)
  log "workers=1: $r"
  K scale deploy "$REL-inference-worker" --replicas=3 >/dev/null
  K rollout status deploy "$REL-inference-worker" --timeout=5m >/dev/null || true
  log "load with 3 inference workers"
  start_load load-w3; r=$(finish_load load-w3); add_accepted "$r"; tps3=$(field "$r" tasksPerSecond)
  log "workers=3: $r"

  # ---- 5. pod kill under load
  log "load while a worker pod and the verifier pod are deleted"
  start_load load-kill
  sleep $(( SECONDS_LOAD / 3 ))
  victim=$(K get pods -l app.kubernetes.io/component=inference-worker -o jsonpath='{.items[0].metadata.name}')
  verifier=$(K get pods -l app.kubernetes.io/component=verifier -o jsonpath='{.items[0].metadata.name}')
  K delete pod "$victim" "$verifier" --wait=false >/dev/null
  log "deleted $victim $verifier"
  r=$(finish_load load-kill); add_accepted "$r"; kill_lost=$(field "$r" lost)
  log "pod kill: $r"

  # ---- 6. rolling upgrade of every Deployment under load
  log "load during a rolling upgrade of every Deployment"
  start_load load-upgrade
  sleep $(( SECONDS_LOAD / 4 ))
  stamp=$(date +%s)
  helm upgrade "$REL" "$ROOT/helm/aegis" -n "$NS" "${VALUES[@]}" --timeout 15m \
    --set inferenceWorker.replicaCount=3 \
    $(for c in ingress inferenceWorker verifier powChecker tallier ledger; do printf -- '--set-string %s.podAnnotations.aegis-e2e/rollout=%s ' "$c" "$stamp"; done) \
    >"$WORK/upgrade.log" 2>&1 || { log "helm upgrade failed:"; tail -n 20 "$WORK/upgrade.log" >&2; }
  for d in $(K get deploy -l app.kubernetes.io/instance=$REL -o name); do K rollout status "$d" --timeout=10m >/dev/null || log "$d did not finish rolling"; done
  r=$(finish_load load-upgrade); add_accepted "$r"; upgrade_lost=$(field "$r" lost)
  log "upgrade: $r"
fi

# ---- 7. uninstall
if [ "${AEGIS_E2E_KEEP:-0}" != 1 ]; then
  log "helm uninstall"
  helm uninstall "$REL" -n "$NS" --wait --timeout 5m >/dev/null || true
  kubectl delete namespace "$NS" --wait=true --timeout=5m >/dev/null || true
fi

printf '{"ready":%s,"helmTest":%s,"tasksAccepted":%s,"tasksPerSecond":{"workers1":%s,"workers3":%s},"podKillLost":%s,"upgradeLost":%s,"imageMb":%s}\n' \
  "$ready" "$helm_test" "$accepted_total" "$tps1" "$tps3" "$kill_lost" "$upgrade_lost" "$image_mb"
