#!/usr/bin/env bash
# Obtains the native ONNX Runtime 1.30.0 library from the npm package onnxruntime-node@1.30.0, verifies its SHA-256,
# caches it under .cache/ort and prints its path. EDGEHUB_ORT_LIBRARY=/path/to/libonnxruntime.so overrides all of this.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ORT_VERSION=1.30.0
ORT_SHA256=ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23
CACHE="$ROOT/.cache/ort/$ORT_VERSION"
LIB="$CACHE/libonnxruntime.so.1"

if [ -n "${EDGEHUB_ORT_LIBRARY:-}" ]; then
  if [ ! -f "$EDGEHUB_ORT_LIBRARY" ]; then
    echo "edgehub: EDGEHUB_ORT_LIBRARY=$EDGEHUB_ORT_LIBRARY does not exist" >&2; exit 1
  fi
  echo "$EDGEHUB_ORT_LIBRARY"; exit 0
fi
if [ -f "$LIB" ] && echo "$ORT_SHA256  $LIB" | sha256sum -c --status; then
  echo "$LIB"; exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "edgehub: npm not found, cannot fetch ONNX Runtime $ORT_VERSION; install npm or set EDGEHUB_ORT_LIBRARY=/path/to/libonnxruntime.so" >&2
  exit 1
fi
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
echo "edgehub: fetching ONNX Runtime $ORT_VERSION (npm onnxruntime-node@$ORT_VERSION)..." >&2
if ! (cd "$tmp" && npm pack "onnxruntime-node@$ORT_VERSION" --silent >/dev/null 2>"$tmp/npm.err") ; then
  echo "edgehub: npm pack onnxruntime-node@$ORT_VERSION failed ($(tail -1 "$tmp/npm.err")); set EDGEHUB_ORT_LIBRARY=/path/to/libonnxruntime.so" >&2
  exit 1
fi
tar -xzf "$tmp"/onnxruntime-node-$ORT_VERSION.tgz -C "$tmp" package/bin/napi-v6/linux/x64/libonnxruntime.so.1
if ! echo "$ORT_SHA256  $tmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1" | sha256sum -c --status; then
  echo "edgehub: libonnxruntime.so.1 from npm does not match the pinned SHA-256; set EDGEHUB_ORT_LIBRARY=/path/to/libonnxruntime.so" >&2
  exit 1
fi
mkdir -p "$CACHE"
mv "$tmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1" "$LIB.tmp" && mv "$LIB.tmp" "$LIB"
echo "$LIB"
