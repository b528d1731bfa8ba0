#!/usr/bin/env bash
# ./edgehub test [--filter EXPR]: installs missing test dependencies (idempotent, no network when present),
# builds once, runs every test project and ends with one line "N passed, N failed, N skipped".
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
FILTER=""
while [ $# -gt 0 ]; do
  case "$1" in
    --filter) FILTER="${2:?--filter needs an expression}"; shift 2 ;;
    -h|--help) echo "usage: ./edgehub test [--filter EXPR]   (EXPR: a dotnet test --filter expression)"; exit 0 ;;
    *) echo "edgehub test: unknown option '$1'" >&2; exit 2 ;;
  esac
done

"$ROOT/tools/install-test-deps.sh"
export EDGEHUB_NODE_MODULES="$ROOT/.cache/node/node_modules"
if [ -z "${EDGEHUB_MITDB:-}" ] && [ -d "$ROOT/../shared/data/mitdb" ]; then
  export EDGEHUB_MITDB="$(cd "$ROOT/../shared/data/mitdb" && pwd)"
fi
[ -n "${EDGEHUB_MITDB:-}" ] || echo "edgehub test: MIT-BIH records not found (set EDGEHUB_MITDB=DIR); tests that need them will fail and say so" >&2

echo "edgehub test: building tests (Release)..."
if ! dotnet build EdgeHub.sln -c Release --nologo -v q -clp:ErrorsOnly >.build-test.log 2>&1; then
  grep -E "error" .build-test.log | sort -u | head -30 >&2
  echo "edgehub test: build failed (full log: .build-test.log)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

passed=0; failed=0; skipped=0; bad=()
mkdir -p TestResults
for proj in $(ls -d tests/*.Tests | sort); do
  name="$(basename "$proj")"
  log="TestResults/$name.log"
  # Normal console verbosity puts each failure's message and stack in the log, so the summary below can show them.
  args=(test "$proj" -c Release --no-build --nologo -v q --logger "console;verbosity=normal" --blame-hang-timeout 15m)
  [ -n "$FILTER" ] && args+=(--filter "$FILTER")
  set +e; dotnet "${args[@]}" >"$log" 2>&1; rc=$?; set -e
  line="$(grep -E "^(Passed|Failed)!|Total tests:|No test matches" "$log" | tail -1 || true)"
  p=$(grep -oE "Passed: +[0-9]+" "$log" | tail -1 | grep -oE "[0-9]+" || echo 0)
  f=$(grep -oE "Failed: +[0-9]+" "$log" | tail -1 | grep -oE "[0-9]+" || echo 0)
  s=$(grep -oE "Skipped: +[0-9]+" "$log" | tail -1 | grep -oE "[0-9]+" || echo 0)
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && ! grep -q "No test matches" "$log"; then f=1; fi
  passed=$((passed+p)); failed=$((failed+f)); skipped=$((skipped+s))
  printf '%-28s %4s passed %4s failed %4s skipped\n' "$name" "$p" "$f" "$s"
  if [ "$f" -ne 0 ]; then bad+=("$name"); { grep -E -A3 "^\s+Failed |Error Message" "$log" || true; } | head -60 | sed 's/^/    /'; fi
done
[ ${#bad[@]} -eq 0 ] || echo "failing projects: ${bad[*]} (logs under TestResults/)"
if [ "$skipped" -gt 0 ]; then echo "$passed passed, $failed failed, $skipped skipped"; else echo "$passed passed, $failed failed"; fi
[ "$failed" -eq 0 ]
