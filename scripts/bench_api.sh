#!/usr/bin/env bash
# The API under load: `wrk` (Debian's wrk, scripts/setup.sh --bench) against GET /api/facts on
# loopback for 30 s per run (--seconds), with GET /healthz measured in the same run as the baseline
# (the HTTP stack and the token check alone, no store). Prints requests/s, p50 and p99 latency,
# socket errors and non-2xx answers, and the server's RSS after a warm-up and after each run (flat
# RSS: later runs do not grow it).
#
#   scripts/bench_api.sh [--chartex .build/release/chartex] [--connections 8] [--seconds 30]
#
# The store is Samples/ read with the rules (no model, no semantic index), in a temporary folder.
# (ab is not used: it speaks HTTP/1.0, and the server, on Hummingbird, keeps HTTP/1.0 connections
# open after the response, so ab waits for a close that does not come; see docs/api.md.)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
chartex="$here/.build/release/chartex"
connections=8
seconds=30
while [ $# -gt 0 ]; do
  case "$1" in
    --chartex) chartex="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    *) echo "bench_api: unknown option $1" >&2; exit 64 ;;
  esac
done
command -v wrk >/dev/null || { echo "bench_api: wrk is not installed (scripts/setup.sh --bench)" >&2; exit 69; }
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

# Prints: requests/s, p50 ms, p99 ms, socket errors, non-2xx.
measure() {
  local path="$1" secs="$2" out="$work/wrk.txt"
  wrk --latency -t 1 -c "$connections" -d "${secs}s" -H "Authorization: Bearer $token" "$url$path" >"$out" 2>&1 || true
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec:/ { rps = $2 }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    /Socket errors:/ { gsub(",", ""); errors = $4 + $6 + $8 + $10 }
    /Non-2xx or 3xx responses:/ { non2xx = $5 }
    END { printf "%s %.2f %.2f %d %d\n", rps ? rps : 0, p50, p99, errors, non2xx }' "$out"
}

measure "/api/facts?limit=100" 3 >/dev/null   # warm-up: the store's pages in cache
rss_warm="$(rss)"
read -r h_rps h_p50 h_p99 h_errors h_non2xx < <(measure "/healthz" "$seconds")
read -r f_rps f_p50 f_p99 f_errors f_non2xx < <(measure "/api/facts?limit=100" "$seconds")
rss_first="$(rss)"
read -r a_rps a_p50 a_p99 a_errors a_non2xx < <(measure "/api/facts" "$seconds")
rss_second="$(rss)"
read -r g_rps g_p50 g_p99 g_errors g_non2xx < <(measure "/api/facts?limit=100" "$seconds")
rss_third="$(rss)"

echo "bench_api: $facts facts in the store; wrk -c $connections -t 1, ${seconds} s per run, loopback, $(getconf _NPROCESSORS_ONLN) cores"
printf "%-30s %10s %8s %8s %13s %8s\n" route "req/s" "p50 ms" "p99 ms" "socket errors" non-2xx
printf "%-30s %10s %8s %8s %13s %8s\n" "/healthz (baseline)" "$h_rps" "$h_p50" "$h_p99" "$h_errors" "$h_non2xx"
printf "%-30s %10s %8s %8s %13s %8s\n" "/api/facts?limit=100" "$f_rps" "$f_p50" "$f_p99" "$f_errors" "$f_non2xx"
printf "%-30s %10s %8s %8s %13s %8s\n" "/api/facts (all $facts)" "$a_rps" "$a_p50" "$a_p99" "$a_errors" "$a_non2xx"
printf "%-30s %10s %8s %8s %13s %8s\n" "/api/facts?limit=100 again" "$g_rps" "$g_p50" "$g_p99" "$g_errors" "$g_non2xx"
awk -v f="$f_rps" -v h="$h_rps" 'BEGIN { if (h > 0) printf "facts (100 a page) / healthz: %.2f\n", f / h }'
echo "server RSS MB: after warm-up $rss_warm, after the first facts run $rss_first, after all-facts $rss_second, after the last run $rss_third"
