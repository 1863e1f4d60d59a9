#!/usr/bin/env bash
# Installs what the tests need when it is missing (Debian/Ubuntu, as root; otherwise says what
# to install): xmllint (goAML validation), Chromium (the report test), and for the Spark
# engine's parity tests protoc (the Spark Connect client's build), a Java runtime and Python's
# venv (the local Spark Connect server, scripts/spark-server.sh). With
# AMLSCREEN_TEST_ENGINES=polars the Spark needs are left out.
set -euo pipefail
need=()
command -v xmllint >/dev/null 2>&1 || need+=(libxml2-utils)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ "${AMLSCREEN_TEST_ENGINES:-all}" != polars ]; then
    # the protos import google/protobuf/*.proto, which ship in libprotobuf-dev
    if ! command -v protoc >/dev/null 2>&1 || [ ! -f /usr/include/google/protobuf/any.proto ]; then
        need+=(protobuf-compiler libprotobuf-dev)
    fi
    if ! command -v java >/dev/null 2>&1 && [ -z "${JAVA_HOME:-}" ]; then
        need+=(openjdk-17-jre-headless)
    fi
    python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
fi
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    else
        echo "scripts/test-deps.sh: please install ${need[*]} (Debian/Ubuntu: sudo apt-get install ${need[*]})" >&2
        exit 2
    fi
fi
