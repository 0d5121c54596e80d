#!/usr/bin/env bash
# An interleaved A/B of the request path (issue 27: "after a change on the request path, quote before/after"):
# builds each COMMIT in a worktree of its own (or takes a snapshot directory as it is), then, ROUNDS times, starts
# each build in turn through its launcher (its JVM flags and class-data-sharing archive) against one standalone
# simulator of 20 managed instances, warms it up, and measures `wrk -t2 -c16` runs of /ping, /version and the
# authenticated instance summary: requests per second and the CPU µs per request of the service (user + system of
# its process over the run, /proc). Interleaving keeps the builds under the same machine load: on this 2-CPU machine
# only such comparisons count (docs/performance.md).
#
#   bash tools/perf/ab.sh [--rounds N] [--duration S] COMMIT_OR_SNAPSHOT_DIR...
#   e.g. bash tools/perf/ab.sh --rounds 3 4855bae HEAD
#
# A snapshot directory holds spot-api and target/launcher/ (what ./spot-api runs); a commit is built into one under
# the work dir with `./mvnw -B -o -q -DskipTests process-classes`. Traffic stays on 127.0.0.1; needs wrk and curl.
set -euo pipefail
# shellcheck source=tools/perf/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rounds=3 duration=6
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    -*) echo "usage: $0 [--rounds N] [--duration S] COMMIT_OR_SNAPSHOT_DIR..." >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || { echo "usage: $0 [--rounds N] [--duration S] COMMIT_OR_SNAPSHOT_DIR..." >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 1; }
log() { printf '[ab %s] %s\n' "$(date +%T)" "$*" >&2; }
with_work_dir

# snapshot SOURCE DIR: a copy of SOURCE's launcher and its class path jars' list, without its archives.
snapshot() {
  mkdir -p "$2/target"
  cp -a "$1/spot-api" "$2/"
  cp -a "$1/target/launcher" "$2/target/"
  rm -f "$2"/target/launcher/*.jsa "$2"/target/launcher/cds.*
}

builds=() names=()
for arg in "$@"; do
  if [ -d "$arg" ] && [ -x "$arg/spot-api" ]; then
    builds+=("$arg") names+=("$(basename "$arg")")
    continue
  fi
  commit="$(git -C "$root" rev-parse --short "$arg")"
  log "building $commit"
  git -C "$root" worktree add -q --detach "$work/src-$commit" "$commit"
  (cd "$work/src-$commit" && ./mvnw -B -o -q -DskipTests process-classes >"$work/build-$commit.log" 2>&1) \
    || { tail -n 20 "$work/build-$commit.log" >&2; git -C "$root" worktree remove --force "$work/src-$commit"; exit 1; }
  snapshot "$work/src-$commit" "$work/app-$commit"
  git -C "$root" worktree remove --force "$work/src-$commit"
  builds+=("$work/app-$commit") names+=("$commit")
done
for b in "${builds[@]}"; do
  log "waiting for $b's class-data-sharing archive"
  prepare_app "$b"
done

account=act-0ab0ab01 spot_token=ab-spot-token key=ab-pre-shared-key-0123456789
start_simulator "${builds[0]}" "$account" "$spot_token"
body='{"accounts":{"'$account'":{"managedInstances":['
for i in $(seq 20); do
  [ "$i" -gt 1 ] && body+=','
  body+='{"name":"ab-'$i'","region":"us-east-1","compute":{"subnetIds":["subnet-0123"],"vpcId":"vpc-0123456789abcdef0","launchSpecification":{"instanceTypes":{"preferredType":"t3a.micro","types":["t3a.micro"]},"imageId":"ami-0123","tags":[{"tagKey":"spinup:org","tagValue":"ab"}]}}}'
done
body+=']}}}'
curl -sf -H "Authorization: Bearer $spot_token" -H 'Content-Type: application/json' -d "$body" "$sim_url/_sim/state" >/dev/null
id="$(curl -sf -H "Authorization: Bearer $spot_token" "$sim_url/aws/ec2/managedInstance?accountId=$account" \
  | grep -o '"id":"smi-[0-9a-f]*"' | head -n 1 | cut -d'"' -f4)"
main="$(sed -n 's/^main=//p' "${builds[0]}/spot-api" | head -n 1)"
token="$(java -cp "${builds[0]}/target/launcher/spot-api-app.jar:$(cat "${builds[0]}/target/launcher/classpath")" \
  "$main" hash-token "$key" | tail -n 1)"
port="$(free_port)"
write_config "$work/ab.json" "$port" ab "$account" "$spot_token" "$sim_url" "$key" warn ab
base="http://127.0.0.1:$port/v1/spot"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# measure PID NAME URL [wrk args]: "NAME X.Xus Nrps" for one wrk run (CPU per request from clock ticks of 10 ms)
measure() {
  local pid="$1" name="$2" url="$3" t0 t1 out n rps
  shift 3
  t0="$(cpu_ticks "$pid")"
  out="$(wrk -t2 -c16 -d"${duration}s" "$@" "$url")"
  t1="$(cpu_ticks "$pid")"
  n="$(awk '/requests in/ {print $1}' <<<"$out")"
  rps="$(awk '/Requests\/sec/ {printf "%d", $2}' <<<"$out")"
  if grep -q 'Non-2xx' <<<"$out"; then
    echo "$name: errors ($(grep 'Non-2xx' <<<"$out"))" >&2
    exit 1
  fi
  awk -v a="$t0" -v b="$t1" -v n="$n" -v name="$name" -v rps="$rps" 'BEGIN {printf "%s %.1fus %srps", name, (b - a) * 10000.0 / n, rps}'
}

for ((r = 1; r <= rounds; r++)); do
  for i in "${!builds[@]}"; do
    setsid "${builds[$i]}/spot-api" -config "$work/ab.json" >"$work/service.log" 2>&1 </dev/null &
    svc=$!
    pids+=("$svc")
    for ((t = 0; t < 600; t++)); do curl -sf "$base/ping" >/dev/null 2>&1 && break; sleep 0.1; done
    wrk -t2 -c16 -d4s "$base/ping" >/dev/null
    wrk -t2 -c16 -d4s -H "X-Auth-Token: $token" "$base/ab/instances/$id" >/dev/null
    line="round $r ${names[$i]}:"
    line+=" $(measure "$svc" ping "$base/ping"),"
    line+=" $(measure "$svc" version "$base/version"),"
    line+=" $(measure "$svc" summary "$base/ab/instances/$id" -H "X-Auth-Token: $token")"
    echo "$line"
    kill -TERM -- "-$svc" 2>/dev/null || true
    wait "$svc" 2>/dev/null || true
    sleep 1
  done
done
