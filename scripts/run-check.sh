#!/usr/bin/env bash
# README command 1: set up, build, and run the main check on the default model.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec build/cowcheck check "$@"
