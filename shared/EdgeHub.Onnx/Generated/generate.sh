#!/usr/bin/env bash
# Regenerates OnnxProto.g.cs from Debian's onnx.proto (python3-onnx 1.12.0: IR version 8, opset 17) with Debian's protoc 3.21.12
# (apt-get install protobuf-compiler). The only change to the .proto is an added `option csharp_namespace` so the classes live in
# EdgeHub.Onnx.Protobuf rather than a top-level `Onnx` namespace that would collide with EdgeHub.Onnx.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROTO="${1:-/usr/lib/python3/dist-packages/onnx/onnx.proto}"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
sed 's/^package onnx;$/package onnx;\noption csharp_namespace = "EdgeHub.Onnx.Protobuf";/' "$PROTO" > "$tmp/onnx.proto"
grep -q 'csharp_namespace = "EdgeHub.Onnx.Protobuf"' "$tmp/onnx.proto"
protoc --proto_path="$tmp" --csharp_out="$tmp" --csharp_opt=file_extension=.g.cs "$tmp/onnx.proto"
mv "$tmp/Onnx.g.cs" "$HERE/OnnxProto.g.cs"
echo "wrote $HERE/OnnxProto.g.cs from $PROTO ($(protoc --version))"
