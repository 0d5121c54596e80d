#!/usr/bin/env bash
# The spot-api benchmark (issue 5): one command, see bench/README.md.
#
#   bash bench/run.sh [--duration 10s] [--warmup 10s] [--no-build] [--separate-simulator] [--nmt]
#                     [--profile | --no-profile] [--output FILE]
#
# Builds what ./spot-api runs, installs wrk from Debian if missing, starts spot-api in sandbox mode
# through the ./spot-api launcher (so with the JVM flags users get), measures the time to the first
# `pong`, RSS idle and after load, runs every scenario with `wrk -t2 -c16 -d<duration> --latency`
# after a warm-up, then a separate Spot simulator for the same read, and writes bench/results.md.
# Every request goes to 127.0.0.1. Every process it starts is stopped on exit, failure included.
# This file is the run, in order; the helpers are in bench/lib.sh.
set -euo pipefail
set -E   # the ERR trap below also reports failures inside functions

bench_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$bench_dir/.." && pwd)"

duration=10s
warmup=10s
build=1
separate=0            # 1: the service runs from a config file against a separate simulator process
nmt=0                 # 1: the service runs with -XX:NativeMemoryTracking=summary (via JAVA_OPTS)
profile=auto
output="$bench_dir/results.md"
wrk_threads=2
wrk_connections=16
instances=20          # managed instances created before the reads, so that the list is not trivial
start_timeout=60      # seconds allowed for the service or the simulator to come up
key="bench-pre-shared-key-0123456789"
sim_account="act-bench001"
sim_token="benchtoken"
command_line="bash bench/run.sh${*:+ $*}"

usage() {
  sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration="${2:?--duration needs a value, e.g. 10s}"; shift 2 ;;
    --duration=*) duration="${1#*=}"; shift ;;
    --warmup) warmup="${2:?--warmup needs a value, e.g. 5s}"; shift 2 ;;
    --warmup=*) warmup="${1#*=}"; shift ;;
    --no-build) build=0; shift ;;
    --separate-simulator) separate=1; shift ;;
    --nmt) nmt=1; shift ;;
    --profile) profile=always; shift ;;
    --no-profile) profile=never; shift ;;
    --output) output="${2:?--output needs a file}"; shift 2 ;;
    --output=*) output="${1#*=}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench/run.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

# shellcheck source=bench/lib.sh
source "$bench_dir/lib.sh"
bench_init

prepare_app         # build, wrk, a snapshot of ./spot-api and what it runs, its CDS archive
machine_facts
start_service       # ./spot-api --sandbox (or -config FILE against a separate simulator): first pong, RSS
create_instances "$instances"

# The scenarios (name, what the results table says, URL, wrk arguments), against the service.
check ping "$base/ping"
check summary "$base/sandbox/instances/$id" "${auth[@]}"
check list "$base/sandbox/instances" "${auth[@]}"
check status "$base/sandbox/instances/$id/status" "${auth[@]}"
cpu_pid="$svc"
run_scenario ping "GET /v1/spot/ping" "$base/ping" -s "$bench_dir/report.lua"
run_scenario summary "GET /v1/spot/sandbox/instances/{id} (auth; 2 Spot reads)" \
  "$base/sandbox/instances/$id" -s "$bench_dir/report.lua" "${auth[@]}"
run_scenario list "GET /v1/spot/sandbox/instances (auth; $instances instances)" \
  "$base/sandbox/instances" -s "$bench_dir/report.lua" "${auth[@]}"
run_scenario status "GET /v1/spot/sandbox/instances/{id}/status (auth)" \
  "$base/sandbox/instances/$id/status" -s "$bench_dir/report.lua" "${auth[@]}"
BENCH_TOKEN="$token" BENCH_CREATE_BODY="${create_body/\"bench\"/\"bench-mix\"}" \
  run_scenario mix "POST /v1/spot/sandbox/instances + DELETE of the new id (auth), alternating" \
  "$base/sandbox/instances" -s "$bench_dir/create-delete.lua"
memory_after_load
profile_if_needed   # JFR profile of the summary read when a target is missed (or --profile)

log "stopping spot-api"
stop_group "$svc"
[ "$separate" -eq 1 ] || start_simulator
simulator_alone     # the simulator process alone, the same Spot read
[ "$separate" -eq 1 ] || service_alone   # the service from a config file: its own start and memory
log "stopping the simulator"
stop_group "$sim"

write_results
