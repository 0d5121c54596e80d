#!/usr/bin/env bash
# Memory, start time and throughput of the service alone, with the launcher's JVM flags (issue 27):
#
#   bash tools/perf/memory.sh [--duration 10] [--starts 3] [--nmt] [--threads] [--histo] [--no-load] [--big-list N] [--only ping,summary,...]
#                             [--label TEXT] [--app DIR]
#
# --app DIR: run DIR/spot-api, a snapshot (`mkdir -p DIR/target && cp -a spot-api DIR && cp -a
# target/launcher DIR/target/`: without src/ the launcher never builds), so that edits made meanwhile
# cannot rebuild the jar (and drop its class-data-sharing archive) between two compared runs.
# Starts a standalone simulator (`./spot-api simulator`), then the service from a config file through
# the launcher (`./spot-api -config FILE`, no Redis, no tracing) --starts times, each time measuring
# process start → first pong; the last start is driven with wrk -t2 -c16 for --duration seconds per
# scenario (ping, summary, list, status, create/delete mix, as bench/run.sh), after a warm-up of the
# same length. Prints one line per scenario (req/s and CPU µs per request of the service process, from
# /proc/PID/stat: the figure that hardly depends on the machine's other load), then RSS after load,
# VmHWM, the thread count and (--nmt) the NMT summary. Extra JVM flags go in JAVA_OPTS (after the
# launcher's own, so e.g. JAVA_OPTS=-XX:TieredStopAtLevel=4 overrides its C1-only setting).
# Every request goes to 127.0.0.1; every process it starts is stopped on exit.
set -euo pipefail
# shellcheck source=tools/perf/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bench_dir="$root/bench"
app="$root"
duration=10
starts=3
nmt=0
threads=0
histo=0
noload=0
biglist=0
only=""
label="${JAVA_OPTS:-launcher flags}"
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --starts) starts="$2"; shift 2 ;;
    --nmt) nmt=1; shift ;;
    --threads) threads=1; shift ;;
    --histo) histo=1; shift ;;
    --no-load) noload=1; shift ;;
    --big-list) biglist="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --label) label="$2"; shift 2 ;;
    --app) app="$(cd "$2" && pwd)"; shift 2 ;;
    *) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }

with_work_dir
log() { printf '[memory %s] %s\n' "$(date +%T)" "$*" >&2; }
now_us() { local t="$EPOCHREALTIME"; echo "${t/[.,]/}"; }
clk_tck="$(getconf CLK_TCK)"
cpu_ms() { sed 's/.*) //' "/proc/$1/stat" | awk -v t="$clk_tck" '{printf "%.0f", ($12 + $13) * 1000 / t}'; }
kb() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

prepare_app "$app"   # built once, before anything is timed; its archive recorded

account=act-perf0001; sim_token=perftoken; key=perf-pre-shared-key-0123456789
start_simulator "$app" "$account" "$sim_token"
port="$(free_port)"
base="http://127.0.0.1:$port/v1/spot"
write_config "$work/config.json" "$port" sandbox "$account" "$sim_token" "$sim_url" "$key" info "sandbox"
token="$("$app/spot-api" hash-token "$key")"
opts="${JAVA_OPTS:-}"
[ "$nmt" -eq 0 ] || opts="$opts -XX:NativeMemoryTracking=summary"

pongs=()
pong_cpu=()
for ((s = 1; s <= starts; s++)); do
  t0="$(now_us)"
  JAVA_OPTS="$opts" setsid "$app/spot-api" -config "$work/config.json" >"$work/service.log" 2>&1 </dev/null &
  svc=$!
  pids+=("$svc")
  until [ "$(curl -s --max-time 1 "$base/ping" 2>/dev/null || true)" = pong ]; do
    kill -0 "$svc" 2>/dev/null || { tail -n 30 "$work/service.log" >&2; exit 1; }
    sleep 0.005
  done
  pongs+=("$(awk -v d=$(( $(now_us) - t0 )) 'BEGIN {printf "%.3f", d / 1e6}')")
  pong_cpu+=("$(cpu_ms "$svc")")
  if [ "$s" -lt "$starts" ]; then
    kill -TERM "$svc"; wait "$svc" 2>/dev/null || true
    pids=("${pids[@]/$svc}")
    sleep 0.5
  fi
done
pong_rss="$(kb "$svc" VmRSS)"
sleep 2
idle_rss="$(kb "$svc" VmRSS)"
log "first pong (s) per start: ${pongs[*]}; RSS at first pong $(mib "$pong_rss") MiB, idle $(mib "$idle_rss") MiB"
if [ "$noload" -eq 1 ]; then   # start-up figures only
  echo "== $label"
  echo "first pong (s): ${pongs[*]} (first: maybe cold); CPU ms used by then: ${pong_cpu[*]}"
  echo "RSS: first pong $(mib "$pong_rss") MiB, idle $(mib "$idle_rss") MiB"
  exit 0
fi

auth=(-H "X-Auth-Token: $token")
body='{"name":"perf","region":"us-east-1","compute":{"subnetIds":["subnet-0123"],"launchSpecification":{"instanceTypes":{"preferredType":"t3a.micro","types":["t3a.micro"]},"imageId":"ami-0123","tags":[{"tagKey":"CreatedBy","tagValue":"perf"}]}}}'
for ((i = 1; i <= 20; i++)); do
  id="$(curl -sS --max-time 10 "${auth[@]}" -H 'Content-Type: application/json' -d "${body/\"perf\"/\"perf-$i\"}" \
    "$base/sandbox/instances" | tr -d '"')"
done
case "$id" in smi-*) ;; *) echo "create answered: $id" >&2; exit 1 ;; esac

results=()
scenario() {   # NAME URL [wrk args]
  local name="$1" url="$2"; shift 2
  [ -z "$only" ] || [[ ",$only," == *",$name,"* ]] || return 0
  BENCH_DIR="$bench_dir" wrk -t2 -c16 -d"${duration}s" "$@" "$url" >/dev/null 2>&1 || true   # warm-up
  local c0 c1 line; c0="$(cpu_ms "$svc")"
  line="$(BENCH_DIR="$bench_dir" wrk -t2 -c16 -d"${duration}s" --latency -s "$bench_dir/report.lua" "$@" "$url" 2>&1 \
    | grep '^BENCH ' | tail -n 1)"
  c1="$(cpu_ms "$svc")"
  local n rps p99
  n="$(tr ' ' '\n' <<<"$line" | sed -n 's/^requests=//p')"
  rps="$(tr ' ' '\n' <<<"$line" | sed -n 's/^rps=//p')"
  p99="$(tr ' ' '\n' <<<"$line" | sed -n 's/^p99_us=//p')"
  results+=("$(printf '%-8s %9.0f req/s  %6.1f µs CPU/req  p99 %6.2f ms' "$name" "$rps" \
    "$(awk -v c=$(( c1 - c0 )) -v n="$n" 'BEGIN {print (n > 0 ? c * 1000 / n : 0)}')" \
    "$(awk -v u="$p99" 'BEGIN {print u / 1000}')")")
  log "${results[-1]}"
}
# the mix's script reads its own report.lua; BENCH_* as bench/run.sh sets them
scenario ping "$base/ping"
scenario summary "$base/sandbox/instances/$id" "${auth[@]}"
scenario list "$base/sandbox/instances" "${auth[@]}"
scenario status "$base/sandbox/instances/$id/status" "${auth[@]}"
BENCH_TOKEN="$token" BENCH_CREATE_BODY="${body/\"perf\"/\"perf-mix\"}" \
  scenario mix "$base/sandbox/instances" -s "$bench_dir/create-delete.lua"

echo "== $label"
echo "first pong (s): ${pongs[*]} (first: maybe cold); CPU ms used by then: ${pong_cpu[*]}"
printf '%s\n' "${results[@]}"
echo "RSS: first pong $(mib "$pong_rss") MiB, idle $(mib "$idle_rss") MiB, after load $(mib "$(kb "$svc" VmRSS)") MiB, peak (VmHWM) $(mib "$(kb "$svc" VmHWM)") MiB; threads $(kb "$svc" Threads)"
# resident memory by mapping: files (the JVM's library, the CDS archive, jars) and anonymous memory
awk '/^[0-9a-f]+-[0-9a-f]+ / {name = ($6 == "" ? "[anonymous]" : $6); sub(/.*\//, "", name)}
     /^Rss:/ {rss[name] += $2}
     END {for (n in rss) if (rss[n] >= 512) printf "  %-28s %7.1f MiB resident\n", n, rss[n] / 1024}' "/proc/$svc/smaps" | sort -k2 -rn
jcmd "$svc" GC.heap_info 2>/dev/null | sed -n 's/^ *\(def new generation\|tenured generation\|Metaspace\|class space\) */  \1: /p'
if [ "$threads" -eq 1 ]; then
  jcmd "$svc" Thread.print 2>/dev/null | sed -n 's/^"\([^"]*\)".*/\1/p' | sed 's/[-#]*[0-9][0-9]*$//' | sort | uniq -c | sort -rn
fi
if [ "$nmt" -eq 1 ]; then
  jcmd "$svc" VM.native_memory summary scale=KB 2>/dev/null \
    | sed -n 's/^Total: *reserved=\([0-9]*\)KB, committed=\([0-9]*\)KB.*/total \2/p;
              s/^-  *\(.*[^ ]\) *(reserved=\([0-9]*\)KB, committed=\([0-9]*\)KB).*/\1 \3/p' \
    | awk '{c = $NF; $NF = ""; printf "  %-28s %7.1f MiB\n", $0, c / 1024}'
fi
if [ "$biglist" -gt 0 ]; then   # after the figures above: N more instances, then the whole list, 5 times
  awk -v n="$biglist" 'BEGIN {printf "{\"managedInstances\": ["; for (i = 1; i <= n; i++) printf "%s{\"name\":\"big-%d\",\"region\":\"us-east-1\",\"compute\":{\"subnetIds\":[\"subnet-0123\"],\"vpcId\":\"vpc-0123456789abcdef0\",\"launchSpecification\":{\"instanceTypes\":{\"preferredType\":\"t3a.micro\",\"types\":[\"t3a.micro\"]},\"imageId\":\"ami-0123\",\"tags\":[{\"tagKey\":\"spinup:org\",\"tagValue\":\"sandbox\"}]}}}", (i > 1 ? "," : ""), i; printf "]}"}' >"$work/big.json"
  curl -sS --max-time 120 -X POST -H "Authorization: Bearer $sim_token" --data-binary @"$work/big.json" "$sim_url/_sim/state" | head -c 200; echo
  for ((i = 0; i < 5; i++)); do
    curl -s --max-time 120 -o "$work/big-list.json" -w "big list: %{http_code} %{size_download} bytes %{time_total} s\n" "${auth[@]}" "$base/sandbox/instances"
  done
  kill -0 "$svc" 2>/dev/null || echo "the service exited during the big list (out of memory?)"
  echo "RSS after the big list: $(mib "$(kb "$svc" VmRSS)") MiB, peak $(mib "$(kb "$svc" VmHWM)") MiB"
fi
if [ "$histo" -eq 1 ]; then   # last: the histogram runs a full collection first (live objects only)
  jcmd "$svc" GC.class_histogram 2>/dev/null | sed -n '1,28p'
fi
