#!/usr/bin/env bash
# A real Apache Kafka broker for development and integration tests: one KRaft node acting as
# broker and controller, listening on 127.0.0.1 only.
#
#   deploy/local/kafka.sh start    install (once) and start; returns when the broker serves metadata
#   deploy/local/kafka.sh stop     controlled shutdown (SIGTERM), SIGKILL only after a timeout
#   deploy/local/kafka.sh status   exit 0 when running and answering, 3 otherwise
#
# The jars come from Maven Central through Maven (no tarball download, which this environment
# cannot reach) and are cached under .cache/kafka/<version>. Data, logs and the pid file live in
# .cache/kafka/run-<port>, so two checkouts or two ports never share a broker by accident.
#
# Environment:
#   AEGIS_KAFKA_PORT             client listener port (19092)
#   AEGIS_KAFKA_CONTROLLER_PORT  KRaft controller listener port (client port + 1)
#   AEGIS_KAFKA_VERSION          org.apache.kafka:kafka_2.13 version (4.1.1)
#   AEGIS_KAFKA_HEAP             JVM heap (512m): the machine has two cores and little to spare
#   AEGIS_KAFKA_START_TIMEOUT    seconds to wait for the broker to answer (90)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PORT="${AEGIS_KAFKA_PORT:-19092}"
CONTROLLER_PORT="${AEGIS_KAFKA_CONTROLLER_PORT:-$((PORT + 1))}"
VERSION="${AEGIS_KAFKA_VERSION:-4.1.1}"
HEAP="${AEGIS_KAFKA_HEAP:-512m}"
START_TIMEOUT="${AEGIS_KAFKA_START_TIMEOUT:-90}"
# Log4j 2 binding for the slf4j 1.x API that Kafka's Scala code logs through.
LOG4J_VERSION="2.24.3"

CACHE="$ROOT/.cache/kafka"
LIBS="$CACHE/$VERSION/libs"
RUN="$CACHE/run-$PORT"
PID_FILE="$RUN/broker.pid"
LOG_FILE="$RUN/broker.out"

log() { printf 'kafka.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

[[ "$PORT" =~ ^[0-9]+$ ]] || die "AEGIS_KAFKA_PORT must be a port number, got '$PORT'"
[[ "$CONTROLLER_PORT" =~ ^[0-9]+$ ]] || die "AEGIS_KAFKA_CONTROLLER_PORT must be a port number, got '$CONTROLLER_PORT'"
[[ "$START_TIMEOUT" =~ ^[0-9]+$ ]] || die "AEGIS_KAFKA_START_TIMEOUT must be whole seconds, got '$START_TIMEOUT'"

# --- install -------------------------------------------------------------------------------

install_jars() {
  [[ -f "$LIBS/.complete" ]] && return 0
  command -v java >/dev/null || die "java not found: Kafka $VERSION needs Java 17 or newer"
  command -v mvn >/dev/null || die "mvn not found: it fetches the Kafka jars from Maven Central"
  mkdir -p "$CACHE/$VERSION"
  # Two test runners may start at once: one installs, the other waits for it.
  exec 8>"$CACHE/$VERSION/install.lock"
  flock 8
  if [[ ! -f "$LIBS/.complete" ]]; then
    log "installing Kafka $VERSION from Maven Central into $LIBS"
    local work="$CACHE/$VERSION/work"
    rm -rf "$work" "$LIBS"
    mkdir -p "$work"
    cat >"$work/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>aegis.local</groupId>
  <artifactId>kafka-broker</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>$LOG4J_VERSION</version></dependency>
  </dependencies>
</project>
EOF
    if ! (cd "$work" && mvn -B -ntp dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$work/libs") >"$CACHE/$VERSION/mvn.log" 2>&1; then
      tail -n 30 "$CACHE/$VERSION/mvn.log" >&2
      die "mvn could not fetch org.apache.kafka:kafka_2.13:$VERSION (log: $CACHE/$VERSION/mvn.log)"
    fi
    mv "$work/libs" "$LIBS"
    rm -rf "$work"
    touch "$LIBS/.complete"
  fi
  flock -u 8
}

# --- configuration -------------------------------------------------------------------------

write_config() {
  mkdir -p "$RUN/data"
  cat >"$RUN/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$RUN/data
# Topics exist only when 'aegis kafka create-topics' made them: a typo in a topic name must fail.
auto.create.topics.enable=false
# One node: every replication factor is 1.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
default.replication.factor=1
min.insync.replicas=1
# Fewer internal partitions: creating 50 of them costs seconds on two cores at first group join.
offsets.topic.num.partitions=4
transaction.state.log.num.partitions=4
# Tests join and leave groups constantly; the default 3 s delay would dominate their run time.
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=2
num.partitions=3
log.retention.hours=24
log.segment.bytes=16777216
EOF
  cat >"$RUN/log4j2.properties" <<EOF
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = $RUN/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka
logger.kafka.level = warn
logger.apache.name = org.apache.kafka
logger.apache.level = warn
logger.server.name = kafka.server.KafkaRaftServer
logger.server.level = info
EOF
}

# Serial GC and a small heap: two cores, shared with the tests and Postgres.
JAVA=(java -Xms128m -Xmx"$HEAP" -XX:+UseSerialGC -Djava.awt.headless=true
  -Dlog4j2.configurationFile="$RUN/log4j2.properties" -Dkafka.logs.dir="$RUN" -cp "$LIBS/*")

format_storage() {
  [[ -f "$RUN/data/meta.properties" ]] && return 0
  local cluster_id
  cluster_id="$("${JAVA[@]}" kafka.tools.StorageTool random-uuid | tail -n1)"
  "${JAVA[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$RUN/server.properties" >>"$LOG_FILE" 2>&1 \
    || die "formatting $RUN/data failed; see $LOG_FILE"
}

# --- process -------------------------------------------------------------------------------

pid_alive() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE")"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A metadata round trip through a real client: an open port alone does not mean the broker has
# registered with its controller and can serve requests.
broker_answers() {
  (cd "$ROOT" && AEGIS_KAFKA_PROBE_BROKER="127.0.0.1:$PORT" node -e '
    const { Kafka, logLevel } = require("kafkajs");
    const admin = new Kafka({ clientId: "aegis-kafka-sh", brokers: [process.env.AEGIS_KAFKA_PROBE_BROKER],
      logLevel: logLevel.NOTHING, connectionTimeout: 1000, requestTimeout: 3000, retry: { retries: 0 } }).admin();
    admin.connect()
      .then(() => admin.describeCluster())
      .then((c) => admin.disconnect().then(() => process.exit(c.brokers.length > 0 ? 0 : 1)))
      .catch(() => process.exit(1));
  ') >/dev/null 2>&1
}

start() {
  if pid_alive; then
    if wait_ready; then log "already running on 127.0.0.1:$PORT (pid $(cat "$PID_FILE"))"; return 0; fi
    die "pid $(cat "$PID_FILE") is alive but the broker does not answer on $PORT; see $RUN/server.log"
  fi
  if port_open "$PORT"; then
    die "port $PORT is taken by another process; set AEGIS_KAFKA_PORT"
  fi
  install_jars
  mkdir -p "$RUN"
  write_config
  : >"$LOG_FILE"
  format_storage
  log "starting Kafka $VERSION on 127.0.0.1:$PORT"
  # setsid: the broker must outlive the shell (and the test runner) that started it.
  # setsid without job control execs in place, so $! is the JVM's pid and its process group.
  setsid "${JAVA[@]}" kafka.Kafka "$RUN/server.properties" >>"$LOG_FILE" 2>&1 </dev/null &
  echo $! >"$PID_FILE"
  if ! wait_ready; then
    tail -n 40 "$LOG_FILE" "$RUN/server.log" >&2 2>/dev/null || true
    stop
    die "the broker did not answer within ${START_TIMEOUT}s"
  fi
  log "ready on 127.0.0.1:$PORT (pid $(cat "$PID_FILE"))"
}

wait_ready() {
  local deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    pid_alive || return 1
    if port_open "$PORT" && broker_answers; then return 0; fi
    sleep 0.5
  done
  return 1
}

stop() {
  if ! pid_alive; then
    rm -f "$PID_FILE"
    log "not running"
    return 0
  fi
  local pid
  pid="$(cat "$PID_FILE")"
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    log "controlled shutdown timed out; killing pid $pid"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PID_FILE"
  log "stopped"
}

status() {
  if pid_alive && port_open "$PORT" && broker_answers; then
    echo "running on 127.0.0.1:$PORT (pid $(cat "$PID_FILE"))"
    return 0
  fi
  echo "not running"
  return 3
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  # Only fetch the jars (deploy/image/deps.sh packs them into the in-cluster Kafka image).
  jars) install_jars; echo "$LIBS" ;;
  *) echo "usage: $0 start|stop|status|jars" >&2; exit 2 ;;
esac
