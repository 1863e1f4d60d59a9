#!/usr/bin/env bash
# A local Spark Connect server for the Spark engine's tests (docs/spark.md):
#   scripts/spark-server.sh install   the venv with the pinned pyspark (which ships the server)
#   scripts/spark-server.sh start     install if needed, start local[2], wait for the port
#   scripts/spark-server.sh stop      stop the server this script started (by its pid file)
#   scripts/spark-server.sh status
# Settings (environment): SPARK_VENV (~/.cache/amlscreen-spark-venv), SPARK_CONNECT_PORT
# (15002), SPARK_STATE_DIR (~/.cache/amlscreen-spark-state: pid file and log),
# SPARK_START_TIMEOUT (180 s), JAVA_HOME (a JDK/JRE 17 or later; found on the PATH otherwise),
# SPARK_MASTER (local[2]), SPARK_DRIVER_MEMORY (2g: the driver is the executor in local mode),
# SPARK_MAX_STREAM_DURATION and SPARK_MAX_STREAM_SIZE (how long and how many bytes one result
# stream lasts before the client must reattach; Spark's own 2m and 1g when unset; scripts/test.sh
# sets them small, so that results cross several streams), SPARK_MAX_MESSAGE_SIZE (the largest
# message the server takes; Spark's own 128m when unset; scripts/test.sh sets 1m, so that a large
# local relation must go up as a cached artifact), SPARK_SHUFFLE_PARTITIONS (4: enough for
# the tests' small data; 10M rows need more, such as 32, or a task runs out of memory),
# SPARK_EXTRA_CONF (more server settings, space-separated key=value, each passed as --conf; the
# engine's own session settings, such as adaptive execution off, override the server's).
set -euo pipefail
PYSPARK_VERSION=4.3.0
VENV=${SPARK_VENV:-$HOME/.cache/amlscreen-spark-venv}
PORT=${SPARK_CONNECT_PORT:-15002}
STATE=${SPARK_STATE_DIR:-$HOME/.cache/amlscreen-spark-state}
PIDFILE=$STATE/spark-connect-$PORT.pid
LOG=$STATE/spark-connect-$PORT.log
TIMEOUT=${SPARK_START_TIMEOUT:-180}

find_java() {
    if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]]; then return 0; fi
    for candidate in /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/java-17-openjdk-arm64 /usr/lib/jvm/java-21-openjdk-amd64; do
        if [[ -x $candidate/bin/java ]]; then export JAVA_HOME=$candidate; return 0; fi
    done
    if command -v java >/dev/null 2>&1; then
        JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
        export JAVA_HOME
        return 0
    fi
    echo "spark-server.sh: no Java found; install a JRE 17 (Debian/Ubuntu: apt-get install openjdk-17-jre-headless) or set JAVA_HOME" >&2
    return 1
}

installed() {
    [[ -x $VENV/bin/python ]] &&
        [[ $("$VENV/bin/python" -c 'import pyspark; print(pyspark.__version__)' 2>/dev/null) == "$PYSPARK_VERSION" ]]
}

install() {
    if installed; then return 0; fi
    command -v python3 >/dev/null 2>&1 || { echo "spark-server.sh: python3 is needed to install pyspark" >&2; return 1; }
    echo "spark-server.sh: installing pyspark==$PYSPARK_VERSION into $VENV (about 460 MB, once)" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "pyspark==$PYSPARK_VERSION" 'pandas<3' >&2
    installed || { echo "spark-server.sh: pyspark $PYSPARK_VERSION did not install into $VENV" >&2; return 1; }
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }
alive() { [[ -f $PIDFILE ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

start() {
    mkdir -p "$STATE"
    if alive; then echo "spark connect already running on 127.0.0.1:$PORT (pid $(cat "$PIDFILE"))"; return 0; fi
    if port_open; then echo "spark-server.sh: port $PORT is already taken by another process" >&2; return 1; fi
    install
    find_java
    SPARK_HOME=$("$VENV/bin/python" -c 'import pyspark, os; print(os.path.dirname(pyspark.__file__))')
    export SPARK_HOME SPARK_LOCAL_IP=127.0.0.1
    # spark-submit execs the JVM, so $! is the server's pid. The session time zone is UTC and
    # ANSI mode is on; the engine sets both again for its own session. The driver keeps the
    # plans of only the last 50 queries (1000 by default: a whole test run's plans, each holding
    # the ingest plan, filled the 2 GB heap).
    local limits=()
    if [[ -n ${SPARK_MAX_STREAM_DURATION:-} ]]; then
        limits+=(--conf "spark.connect.execute.reattachable.senderMaxStreamDuration=$SPARK_MAX_STREAM_DURATION")
    fi
    if [[ -n ${SPARK_MAX_STREAM_SIZE:-} ]]; then
        limits+=(--conf "spark.connect.execute.reattachable.senderMaxStreamSize=$SPARK_MAX_STREAM_SIZE")
    fi
    if [[ -n ${SPARK_MAX_MESSAGE_SIZE:-} ]]; then
        limits+=(--conf "spark.connect.grpc.maxInboundMessageSize=$SPARK_MAX_MESSAGE_SIZE")
    fi
    local extra
    for extra in ${SPARK_EXTRA_CONF:-}; do limits+=(--conf "$extra"); done
    nohup "$SPARK_HOME/bin/spark-submit" \
        --class org.apache.spark.sql.connect.service.SparkConnectServer \
        --master "${SPARK_MASTER:-local[2]}" --driver-memory "${SPARK_DRIVER_MEMORY:-2g}" \
        --conf spark.connect.grpc.binding.address=127.0.0.1 \
        --conf spark.connect.grpc.binding.port="$PORT" \
        --conf spark.ui.enabled=false \
        --conf spark.sql.session.timeZone=UTC \
        --conf spark.sql.ansi.enabled=true \
        --conf spark.sql.shuffle.partitions="${SPARK_SHUFFLE_PARTITIONS:-4}" \
        --conf spark.sql.ui.retainedExecutions=50 \
        ${limits[@]+"${limits[@]}"} \
        >"$LOG" 2>&1 </dev/null &
    echo $! >"$PIDFILE"
    local t0=$SECONDS
    until port_open; do
        if ! alive; then
            echo "spark-server.sh: the server died; the end of $LOG:" >&2
            tail -20 "$LOG" >&2
            rm -f "$PIDFILE"
            return 1
        fi
        if ((SECONDS - t0 >= TIMEOUT)); then
            echo "spark-server.sh: port $PORT not open after ${TIMEOUT}s; see $LOG" >&2
            stop >&2
            return 1
        fi
        sleep 0.5
    done
    echo "spark connect up on sc://127.0.0.1:$PORT (pid $(cat "$PIDFILE"), $((SECONDS - t0)) s)"
}

stop() {
    [[ -f $PIDFILE ]] || { echo "spark connect on port $PORT: not running"; return 0; }
    local pid
    pid=$(cat "$PIDFILE")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
        if kill -0 "$pid" 2>/dev/null; then
            echo "spark-server.sh: pid $pid ignored TERM for 30 s; sending KILL" >&2
            kill -KILL "$pid"
        fi
    fi
    rm -f "$PIDFILE"
    echo "spark connect stopped (pid $pid)"
}

case ${1:-} in
    install) install ;;
    start) start ;;
    stop) stop ;;
    status) if alive; then echo "running on 127.0.0.1:$PORT (pid $(cat "$PIDFILE"))"; else echo "not running"; exit 1; fi ;;
    *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
