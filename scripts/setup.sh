#!/usr/bin/env bash
# Install the Debian packages cowcheck needs (only the missing ones), then
# configure and build into build/ (or $COWCHECK_BUILD_DIR).  Safe to re-run:
# nothing is reinstalled and the build is incremental.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake pkg-config libz3-dev librapidcheck-dev catch2 libboost-dev
          libcli11-dev nlohmann-json3-dev libfmt-dev graphviz gnuplot-nox parallel)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# Optional: chromium, for the test that opens the HTML viewer in a headless browser
# (skipped with its reason without it).  A failed install does not fail the setup.
optional=(chromium)
for p in "${optional[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" && continue
  echo "setup: installing $p (optional)" >&2
  sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  { "${sudo_cmd[@]}" apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "$p" >&2; } ||
    echo "setup: could not install $p; the browser test will be skipped" >&2
done

build="${COWCHECK_BUILD_DIR:-build}"
shift_args=("$@")
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release "${shift_args[@]}" >/dev/null
cmake --build "$build" -j "$(nproc)"
