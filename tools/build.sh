#!/usr/bin/env bash
# Builds the solution in Release once; skips MSBuild entirely when no source changed since the last build.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
STAMP=.build/stamp
if [ -f "$STAMP" ] && [ -f .build/bin/edgehub.dll ] && \
   [ -z "$(find . \( -path ./.build -o -path ./.git -o -path ./.cache -o -name bin -o -name obj -o -name node_modules \) -prune -o \
          -type f \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.html' -o -name '*.js' -o -name '*.css' -o -name '*.json' \) \
          -newer "$STAMP" -print -quit)" ]; then
  exit 0
fi
mkdir -p .build
touch .build/stamp.new
echo "edgehub: building (Release)..." >&2
if ! dotnet build cli/EdgeHub.Cli/EdgeHub.Cli.csproj -c Release -o .build/bin --nologo -v q -clp:ErrorsOnly >.build/build.log 2>&1; then
  grep -E "error" .build/build.log | sort -u | head -20 >&2
  echo "edgehub: build failed (full log: .build/build.log)" >&2
  exit 1
fi
mv .build/stamp.new "$STAMP"
