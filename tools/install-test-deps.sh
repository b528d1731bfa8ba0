#!/usr/bin/env bash
# Installs what the tests talk to, only when missing: Debian packages (mosquitto, PostgreSQL, chromium, python3-onnx)
# and npm packages (DuckDB for node, hyparquet) into .cache/node. A second run does no network work.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
need=()
for pkg in mosquitto mosquitto-clients postgresql chromium python3-onnx; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "edgehub test: installing Debian packages: ${need[*]}" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
NODE_DIR="$ROOT/.cache/node"
if [ ! -f "$NODE_DIR/.installed-v1" ]; then
  echo "edgehub test: installing npm packages (@duckdb/node-api, hyparquet) into .cache/node" >&2
  mkdir -p "$NODE_DIR"
  cp "$ROOT/tools/node/package.json" "$NODE_DIR/package.json"
  (cd "$NODE_DIR" && npm install --silent --no-audit --no-fund >/dev/null)
  touch "$NODE_DIR/.installed-v1"
fi
