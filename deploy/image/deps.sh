#!/usr/bin/env bash
# Images for the chart's in-cluster Kafka and Postgres (kafka.enabled, postgresql.enabled) on a
# machine without Docker Hub: Debian bookworm rootfs + Debian's OpenJDK 17 and Kafka 4.1.1's jars
# from Maven Central (deploy/local/kafka.sh jars), and Debian's PostgreSQL 15 with an entrypoint
# following the official postgres image's contract (POSTGRES_USER / POSTGRES_PASSWORD /
# POSTGRES_DB / PGDATA, args after `postgres` passed to the server). Where Docker Hub is
# reachable, the chart's defaults (apache/kafka, postgres) need none of this.
#   deploy/image/deps.sh [kafka|postgres|all]     prints the OCI archive paths
# Refs: docker.io/aegis-local/kafka:4.1.1, docker.io/aegis-local/postgres:15 (set kafka.image /
# postgresql.image; full refs, as the kubelet normalises short names to docker.io).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
need_tools
mkdir -p "$IMAGE_CACHE"

# An archive newer than this script (and the entrypoint) is reused.
fresh() { [ -f "$1" ] && [ "$1" -nt "$HERE/deps.sh" ] && [ "$1" -nt "$HERE/postgres-entrypoint.sh" ] && [ "$1" -nt "$HERE/lib.sh" ]; }

kafka() {
  local ref=docker.io/aegis-local/kafka:4.1.1 out=$IMAGE_CACHE/aegis-local_kafka_4.1.1.oci.tar r=$IMAGE_CACHE/kafka-rootfs libs
  if fresh "$out"; then echo "$out"; return; fi
  libs=$(bash "$ROOT/deploy/local/kafka.sh" jars)
  ilog "kafka: Debian + openjdk-17-jre-headless + $(find "$libs" -name '*.jar' | wc -l) jars"
  debian_rootfs "$r"
  chroot_apt "$r" openjdk-17-jre-headless
  slim_rootfs "$r"
  mkdir -p "$r/opt/kafka"; cp -r "$libs" "$r/opt/kafka/libs"; rm -f "$r/opt/kafka/libs/.complete"
  # apache/kafka's user: the chart runs the pod as 1000:1000.
  echo 'appuser:x:1000:1000:kafka:/tmp:/usr/sbin/nologin' >> "$r/etc/passwd"; echo 'appuser:x:1000:' >> "$r/etc/group"
  oci_archive "$ref" "$r" "$out" --config.user 1000:1000 --config.env PATH=/usr/local/bin:/usr/bin:/bin --config.workingdir /opt/kafka
  rm -rf "$r"; ilog "kafka: $(( $(stat -c %s "$out") / 1048576 )) MiB"; echo "$out"
}

postgres() {
  local ref=docker.io/aegis-local/postgres:15 out=$IMAGE_CACHE/aegis-local_postgres_15.oci.tar r=$IMAGE_CACHE/postgres-rootfs
  if fresh "$out"; then echo "$out"; return; fi
  ilog "postgres: Debian + postgresql-15"
  debian_rootfs "$r"
  mkdir -p "$r/etc/postgresql-common"; echo "create_main_cluster = false" > "$r/etc/postgresql-common/createcluster.conf"
  chroot_apt "$r" postgresql-15
  slim_rootfs "$r"
  # The official image's postgres user is 999:999, which the chart runs the pod as.
  local uid gid
  uid=$(awk -F: '$1=="postgres"{print $3}' "$r/etc/passwd"); gid=$(awk -F: '$1=="postgres"{print $3}' "$r/etc/group")
  sed -i 's/^postgres:x:[0-9]*:[0-9]*:/postgres:x:999:999:/' "$r/etc/passwd"
  sed -i 's/^postgres:x:[0-9]*:/postgres:x:999:/' "$r/etc/group"
  find "$r" -xdev \( -uid "$uid" -o -gid "$gid" \) -exec chown -h 999:999 {} +
  install -m 755 "$HERE/postgres-entrypoint.sh" "$r/usr/local/bin/docker-entrypoint.sh"
  oci_archive "$ref" "$r" "$out" --config.user 999:999 --config.entrypoint /usr/local/bin/docker-entrypoint.sh --config.cmd postgres \
    --config.env PATH=/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/bin:/bin --config.env PGDATA=/var/lib/postgresql/data
  rm -rf "$r"; ilog "postgres: $(( $(stat -c %s "$out") / 1048576 )) MiB"; echo "$out"
}

case "${1:-all}" in
  kafka) kafka ;;
  postgres) postgres ;;
  all) kafka; postgres ;;
  *) echo "usage: $0 [kafka|postgres|all]" >&2; exit 2 ;;
esac
