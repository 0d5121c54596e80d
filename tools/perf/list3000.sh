#!/usr/bin/env bash
# The list of N (default 3,000) managed instances, timed (issue 27): a standalone `spot-api simulator`
# holding N instances of the service's org, then sequential GETs (one connection, one at a time) of
#   the simulator's own list, GET /aws/ec2/managedInstance?accountId=..., against
#   c1    spot-api's GET /v1/spot/perf/instances, started by the launcher with its own flags (C1 only)
#   c2    the same with JAVA_OPTS=-XX:TieredStopAtLevel=4 (tiered C2)
# For each JIT: WARMUP unrecorded requests of both, then REQUESTS timed ones of each (curl time_total), in
# blocks of 10 simulator lists and 10 spot-api lists in turn, so that both see the same machine load:
# medians, p90 and their ratio; also the heap allocated per request (Micrometer's jvm_gc_memory_allocated_bytes_total over
# ALLOC_REQUESTS more requests, plus the change in eden use) and its RSS afterwards.
#
#   bash tools/perf/list3000.sh [--instances N] [--foreign M] [--requests R] [--warmup W] [--no-build]
#                               [--from DIR] [--jfr]
# --from DIR: run a saved spot-api-app.jar and classpath (e.g. of an older build) instead of building.
# --jfr: record each service with Java Flight Recorder and print where its heap allocation goes.
#
# --foreign M adds M instances of another org (filtered out by spot-api, listed by the simulator).
# Runs from a copy of ./spot-api and target/launcher (so a build beside it cannot change what runs);
# waits for the launcher's class-data-sharing archive before timing. Traffic stays on 127.0.0.1.
set -euo pipefail
# shellcheck source=tools/perf/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
instances=3000 foreign=0 requests=50 warmup=50 build=1 alloc_requests=200 from="" jfr=0
while [ $# -gt 0 ]; do
  case "$1" in
    --instances) instances="$2"; shift 2 ;;
    --foreign) foreign="$2"; shift 2 ;;
    --requests) requests="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --alloc-requests) alloc_requests="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --jfr) jfr=1; shift ;;
    --from) from="$2"; build=0; shift 2 ;;
    *) echo "usage: $0 [--instances N] [--foreign M] [--requests R] [--warmup W] [--alloc-requests A] [--no-build] [--from DIR] [--jfr]" >&2
       exit 2 ;;
  esac
done
log() { printf '[list3000 %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

with_work_dir /tmp/list3000.XXXXXX

if [ "$build" -eq 1 ]; then
  log "building (mvn -o process-classes, no tests)"
  (cd "$root" && nice -n 15 ./mvnw -B -o -q -Dmaven.test.skip=true process-classes) || die "build failed"
fi
app="$work/app"
mkdir -p "$app/target/launcher"
cp "$root/spot-api" "$app/"
from="${from:-$root/target/launcher}"
cp "$from/spot-api-app.jar" "$from/classpath" "$app/target/launcher/"

started=""
start() {   # start LOGFILE CMD...: in its own process group; sets started
  local logfile="$1"; shift
  setsid "$@" >"$logfile" 2>&1 </dev/null &
  started=$!
  pids+=("$started")
}
stop() {
  kill -TERM -- "-$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

account=act-list3000 simtoken=simtok org=perf key="list3000-pre-shared-key-0123456789"
log "starting the simulator"
start_simulator "$app" "$account" "$simtoken"
list_url="$sim_url/aws/ec2/managedInstance?accountId=$account"

count() { curl -sS -H "Authorization: Bearer $simtoken" "$list_url" | { grep -o '"smi-[A-Za-z0-9]*"' || true; } | sort -u | wc -l; }
create_all() {   # create_all COUNT ORG PREFIX: COUNT creates in the simulator (the bench's instance, tagged ORG), 8 at a time
  seq 1 "$1" | awk -v url="$list_url" -v tok="$simtoken" -v org="$2" -v prefix="$3" '{
    if (NR > 1) print "next"   # between transfers only: an empty last one fails the whole run
    printf "url = \"%s\"\noutput = \"/dev/null\"\nheader = \"Authorization: Bearer %s\"\n", url, tok
    printf "header = \"Content-Type: application/json\"\nwrite-out = \"%%{http_code}\\n\"\n"
    printf "data = \"{\\\"managedInstance\\\":{\\\"name\\\":\\\"%s-%d\\\",\\\"region\\\":\\\"us-east-1\\\",", prefix, $1
    printf "\\\"compute\\\":{\\\"subnetIds\\\":[\\\"subnet-0123\\\"],\\\"vpcId\\\":\\\"vpc-0123456789abcdef0\\\","
    printf "\\\"launchSpecification\\\":{\\\"instanceTypes\\\":{\\\"preferredType\\\":\\\"t3a.micro\\\",\\\"types\\\":[\\\"t3a.micro\\\"]},"
    printf "\\\"imageId\\\":\\\"ami-0123\\\",\\\"tags\\\":[{\\\"tagKey\\\":\\\"CreatedBy\\\",\\\"tagValue\\\":\\\"perf\\\"},"
    printf "{\\\"tagKey\\\":\\\"spinup:spaceid\\\",\\\"tagValue\\\":\\\"space-%d\\\"},", $1 % 7
    printf "{\\\"tagKey\\\":\\\"spinup:org\\\",\\\"tagValue\\\":\\\"%s\\\"}]}}}}\"\n", org
  }' >"$work/create.cfg"
  curl -sS --no-progress-meter --parallel --parallel-max 8 -K "$work/create.cfg" 2>&1 | sort | uniq -c \
    | awk '{ $1 = $1 " x"; printf "%s; ", $0 }'
}
populate() {   # populate TOTAL ORG PREFIX: creates until the simulator lists TOTAL instances
  local have round
  for round in 1 2 3 4 5; do
    have="$(count)"
    [ "$have" -lt "$1" ] || return 0
    log "round $round: creating $(($1 - have)) instances of org $2: $(create_all "$(($1 - have))" "$2" "$3-r$round")"
  done
  [ "$(count)" -ge "$1" ] || die "the simulator lists $(count) instances, expected $1"
}
t0=$SECONDS
populate "$instances" "$org" perf
[ "$foreign" -eq 0 ] || populate "$((instances + foreign))" other foreign
log "the simulator lists $(count) instances ($((SECONDS - t0)) s); reply $(curl -sS -o /dev/null -w '%{size_download}' \
  -H "Authorization: Bearer $simtoken" "$list_url") bytes"

# The launcher records its class-data-sharing archive in the background after a start: wait for it
for ((i = 0; i < 1800; i++)); do
  [ -f "$app/target/launcher/spot-api-service.jsa" ] && ! pgrep -f "ArchiveClassesAtExit=$app" >/dev/null && break
  sleep 0.1
done

# times NAME URL N HEADER...: N sequential GETs on one connection, appended to NAME.times (status, seconds)
times() {
  local name="$1" url="$2" n="$3"; shift 3
  local cfg="$work/curl.cfg" i
  : >"$cfg"
  for ((i = 0; i < n; i++)); do printf 'url = "%s"\noutput = "/dev/null"\n' "$url" >>"$cfg"; done
  curl -sS -K "$cfg" "$@" -w '%{http_code} %{time_total}\n' >>"$work/$name.times"
  local bad
  bad="$(awk '$1 != 200' "$work/$name.times" | head -n 3)"
  [ -z "$bad" ] || die "$name: non-200 answers: $bad"
}
# stats NAME: median, p90 and min (ms) of NAME.times
stats() {
  awk '{print $2 * 1000}' "$work/$1.times" | sort -n | awk '
    { t[NR] = $1 }
    END { m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
          p = t[int(NR * 0.9 + 0.999999)]; if (p == "") p = t[NR]
          printf "%.2f %.2f %.2f %d", m, p, t[1], NR }'
}
metric() {   # metric URL NAME: the sum of a Prometheus metric's samples
  curl -sS "$1" | awk -v n="$2" 'index($0, n) == 1 { s += $NF } END { printf "%.0f", s }'
}
eden() { curl -sS "$1" | awk 'index($0, "jvm_memory_used_bytes{") == 1 && /eden/ { s += $NF } END { printf "%.0f", s }'; }

results=()
sim_auth=(-H "Authorization: Bearer $simtoken")

token="$("$app/spot-api" hash-token "$key")"
for jit in c1 c2; do
  port="$(free_port)"
  write_config "$work/config.json" "$port" perf "$account" "$simtoken" "$sim_url" "$key" warn "$org"
  opts=""
  [ "$jit" = c2 ] && opts="-XX:TieredStopAtLevel=4"
  [ "$jfr" -eq 0 ] || opts="${opts:+$opts }-XX:StartFlightRecording=filename=$work/$jit.jfr,settings=profile"
  log "starting spot-api ($jit: JAVA_OPTS='$opts')"
  JAVA_OPTS="$opts" start "$work/service-$jit.log" "$app/spot-api" -config "$work/config.json"
  svc="$started" base="http://127.0.0.1:$port/v1/spot"
  for ((i = 0; i < 3000; i++)); do
    [ "$(curl -s --max-time 1 "$base/ping" 2>/dev/null || true)" = pong ] && break
    kill -0 "$svc" 2>/dev/null || { tail -n 30 "$work/service-$jit.log" >&2; die "spot-api exited"; }
    sleep 0.01
  done
  auth=(-H "X-Auth-Token: $token")
  answered="$(curl -sS "${auth[@]}" "$base/perf/instances" | { grep -o '"smi-[A-Za-z0-9]*"' || true; } | sort -u | wc -l)"
  [ "$answered" -eq "$instances" ] || die "spot-api lists $answered instances, expected $instances"
  # warm-up of both, then blocks of 10 simulator lists and 10 spot-api lists in turn: both see the same load
  times "$jit-warmup" "$list_url" "$warmup" "${sim_auth[@]}"
  times "$jit-warmup" "$base/perf/instances" "$warmup" "${auth[@]}"
  for ((b = 0; b < (requests + 9) / 10; b++)); do
    times "$jit-sim" "$list_url" 10 "${sim_auth[@]}"
    times "$jit" "$base/perf/instances" 10 "${auth[@]}"
  done
  read -r sm sp smin sn <<<"$(stats "$jit-sim")"
  read -r am ap amin an <<<"$(stats "$jit")"
  results+=("$(printf '%s: simulator median %.1f ms p90 %.1f ms; spot-api median %.1f ms p90 %.1f ms (min %.1f / %.1f); spot-api/simulator %.2fx median, %.2fx p90 (%d + %d requests)' \
    "$jit" "$sm" "$sp" "$am" "$ap" "$smin" "$amin" "$(awk -v a="$am" -v s="$sm" 'BEGIN {print a / s}')" \
    "$(awk -v a="$ap" -v s="$sp" 'BEGIN {print a / s}')" "$sn" "$an")")
  log "${results[-1]}"
  # heap allocated per request: Micrometer's counter (young-generation growth between collections) plus eden's change
  a0="$(metric "$base/metrics" jvm_gc_memory_allocated_bytes_total)" e0="$(eden "$base/metrics")"
  times "$jit-alloc" "$base/perf/instances" "$alloc_requests" "${auth[@]}"
  a1="$(metric "$base/metrics" jvm_gc_memory_allocated_bytes_total)" e1="$(eden "$base/metrics")"
  rss="$(awk '/^VmRSS/ {print $2}' "/proc/$svc/status")"
  results[-1]+="$(awk -v a=$((a1 - a0 + e1 - e0)) -v n="$alloc_requests" -v r="$rss" \
    'BEGIN { printf "; alloc %.2f MiB/request (%d requests); RSS %.1f MiB", a / n / 1048576, n, r / 1024 }')"
  log "${results[-1]}"
  stop "$svc"
  if [ "$jfr" -eq 1 ] && [ -f "$work/$jit.jfr" ]; then
    # where the heap goes: JFR's allocation samples by class and the first three frames, share of the weight
    results+=("$jit allocation (JFR samples, whole run):")
    results+=("$(jfr print --events jdk.ObjectAllocationSample --stack-depth 4 "$work/$jit.jfr" | awk '
      /objectClass = / { cls = $3 }
      /weight = / { w = $3; u = $4; if (u == "kB") w *= 1024; else if (u == "MB") w *= 1048576; else if (u == "GB") w *= 1073741824 }
      /stackTrace = \[/ { inst = 1; frames = ""; n = 0; next }
      inst && /^[[:space:]]*\]/ { inst = 0; key = cls " @ " frames; sum[key] += w; total += w; next }
      inst && n < 3 { f = $1; sub(/\(.*/, "", f); frames = frames (n ? " < " : "") f; n++ }
      END { for (k in sum) printf "%6.1f%%  %s\n", 100 * sum[k] / total, k }' | sort -rn | awk 'NR <= 15')")
  fi
done

echo "list of $instances instances ($foreign of another org), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), app from $from"
printf '%s\n' "${results[@]}"
