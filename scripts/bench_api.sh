#!/usr/bin/env bash
# The API under load: `ab` (apache2-utils, scripts/setup.sh --bench) against GET /api/facts on
# loopback for 30 s (BENCH_SECONDS), with GET /healthz measured in the same run as the baseline
# (the HTTP stack alone, no store). Prints requests/s, mean and p99 latency, failed and non-2xx
# requests, and the server's RSS after a warm-up, after the facts run and after a second facts run
# (flat RSS: the second run does not grow it).
#
#   scripts/bench_api.sh [--chartex .build/release/chartex] [--concurrency 8] [--seconds 30]
#
# The store is Samples/ read with the rules (no model, no semantic index), in a temporary folder.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
chartex="$here/.build/release/chartex"
concurrency=8
seconds="${BENCH_SECONDS:-30}"
while [ $# -gt 0 ]; do
  case "$1" in
    --chartex) chartex="$2"; shift 2 ;;
    --concurrency) concurrency="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    *) echo "bench_api: unknown option $1" >&2; exit 64 ;;
  esac
done
command -v ab >/dev/null || { echo "bench_api: ab is not installed (scripts/setup.sh --bench)" >&2; exit 69; }
if [ ! -x "$chartex" ]; then
  (cd "$here" && swift build -c release --product chartex >&2)
fi

work="$(mktemp -d)"
server=""
cleanup() {
  [ -n "$server" ] && kill -TERM "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

export OMP_THREAD_LIMIT=1
"$chartex" ingest --db "$work/bench.db" --semantic-index off "$here"/Samples/*.pdf >/dev/null 2>&1 || true
facts="$("$chartex" sql --db "$work/bench.db" "SELECT count(*) FROM fact" | tail -1)"

"$chartex" serve --db "$work/bench.db" --port 0 --token-file "$work/token" 2>"$work/serve.log" &
server=$!
for _ in $(seq 100); do
  grep -q "listening on" "$work/serve.log" 2>/dev/null && break
  sleep 0.1
done
url="$(grep -o 'http://[0-9.]*:[0-9]*' "$work/serve.log" | head -1)"
[ -n "$url" ] || { cat "$work/serve.log" >&2; exit 70; }
token="$(head -1 "$work/token")"
rss() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$server/status"; }

# Prints: requests/s, mean ms, p99 ms, failed, non-2xx.
measure() {
  local path="$1" secs="$2" out="$work/ab.txt"
  ab -q -k -t "$secs" -n 10000000 -c "$concurrency" -H "Authorization: Bearer $token" "$url$path" >"$out" 2>&1 || true
  local rps mean p99 failed non2xx
  rps="$(awk '/^Requests per second/ {print $4}' "$out")"
  mean="$(awk '/^Time per request:.*\(mean\)$/ {print $4}' "$out")"
  p99="$(awk '$1 == "99%" {print $2}' "$out")"
  failed="$(awk '/^Failed requests/ {print $3}' "$out")"
  non2xx="$(awk '/^Non-2xx responses/ {print $3}' "$out")"
  echo "${rps:-0} ${mean:-0} ${p99:-0} ${failed:-?} ${non2xx:-0}"
}

measure "/api/facts?limit=100" 3 >/dev/null   # warm-up: the store's pages in cache
rss_warm="$(rss)"
read -r h_rps h_mean h_p99 h_failed h_non2xx < <(measure "/healthz" "$seconds")
read -r f_rps f_mean f_p99 f_failed f_non2xx < <(measure "/api/facts?limit=100" "$seconds")
rss_first="$(rss)"
read -r a_rps a_mean a_p99 a_failed a_non2xx < <(measure "/api/facts" "$seconds")
rss_second="$(rss)"
read -r g_rps g_mean g_p99 g_failed g_non2xx < <(measure "/api/facts?limit=100" "$seconds")
rss_third="$(rss)"

echo "bench_api: $facts facts in the store; ab -k -c $concurrency, ${seconds} s per route, loopback, $(nproc) cores"
printf "%-30s %10s %9s %8s %7s %8s\n" route "req/s" "mean ms" "p99 ms" failed non-2xx
printf "%-30s %10s %9s %8s %7s %8s\n" "/healthz (baseline)" "$h_rps" "$h_mean" "$h_p99" "$h_failed" "$h_non2xx"
printf "%-30s %10s %9s %8s %7s %8s\n" "/api/facts?limit=100" "$f_rps" "$f_mean" "$f_p99" "$f_failed" "$f_non2xx"
printf "%-30s %10s %9s %8s %7s %8s\n" "/api/facts (all, ${facts})" "$a_rps" "$a_mean" "$a_p99" "$a_failed" "$a_non2xx"
printf "%-30s %10s %9s %8s %7s %8s\n" "/api/facts?limit=100 again" "$g_rps" "$g_mean" "$g_p99" "$g_failed" "$g_non2xx"
awk -v f="$f_rps" -v h="$h_rps" 'BEGIN { if (h > 0) printf "facts (100 per page) / healthz: %.2f\n", f / h }'
echo "server RSS MB: after warm-up $rss_warm, after the first facts run $rss_first, after all-facts $rss_second, after the last run $rss_third"
