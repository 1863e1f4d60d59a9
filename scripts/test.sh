#!/usr/bin/env bash
# The test command: installs what the tests need (xmllint for goAML validation, Chromium for the
# report test) when it is missing, then runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/amlscreen-target}"
need=()
command -v xmllint >/dev/null 2>&1 || need+=(libxml2-utils)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    else
        echo "scripts/test.sh: please install ${need[*]} (Debian/Ubuntu: sudo apt-get install ${need[*]})" >&2
        exit 2
    fi
fi
cargo test --locked "$@"
