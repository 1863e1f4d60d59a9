#!/usr/bin/env bash
# The test command: installs what the tests need when it is missing (scripts/test-deps.sh),
# builds the tests with the Spark engine (`--features spark`), starts ONE local Spark Connect
# server for the run (scripts/spark-server.sh: pyspark pinned in a venv, local[2]), runs the
# whole test suite (the Spark engine's parity tests against it) and stops the server.
# AMLSCREEN_TEST_ENGINES=polars runs the tests without the Spark engine (no Java needed); CI
# does not set it, so there a missing Java or pyspark fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/amlscreen-target}"
bash scripts/test-deps.sh
if [ "${AMLSCREEN_TEST_ENGINES:-all}" = polars ]; then
    cargo test --locked "$@"
    exit
fi
# build first: the server is not kept idle through a cold build
cargo test --locked --features spark --no-run "$@"
# the first free port from 15002 on (another run's server may hold one)
if [ -z "${SPARK_CONNECT_PORT:-}" ]; then
    SPARK_CONNECT_PORT=15002
    while (exec 3<>"/dev/tcp/127.0.0.1/$SPARK_CONNECT_PORT") 2>/dev/null; do
        SPARK_CONNECT_PORT=$((SPARK_CONNECT_PORT + 1))
    done
fi
export SPARK_CONNECT_PORT
# result streams end after 64 KB or 10 s, so that every test's results cross several streams and
# a client that did not reattach would fail them (src/spark/exec.rs); messages to the server are
# limited to 1 MiB, so that a large local relation must go up as a cached artifact
SPARK_MAX_STREAM_SIZE=64k SPARK_MAX_STREAM_DURATION=10s SPARK_MAX_MESSAGE_SIZE=1m bash scripts/spark-server.sh start
trap 'bash scripts/spark-server.sh stop' EXIT
export AMLSCREEN_SPARK_TEST_REMOTE="sc://127.0.0.1:$SPARK_CONNECT_PORT"
cargo test --locked --features spark "$@"
