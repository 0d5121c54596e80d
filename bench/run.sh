#!/usr/bin/env bash
# The spot-api benchmark (issues 5 and 27): one command, see bench/README.md.
#
#   bash bench/run.sh [--quick] [--duration 10s] [--warmup 10s] [--no-build] [--no-go | --go BINARY]
#                     [--profile [SCENARIO] | --no-profile] [--cpu-baseline US] [--nmt] [--keep] [--output FILE]
#
# Builds what ./spot-api runs, starts a separate Spot simulator holding 3,000 managed instances of the
# configured org, the old Go service (../shared/gopeer/spot-api-go, skipped when missing) and spot-api
# from a config file through the ./spot-api launcher (its JVM flags and class-data-sharing archive:
# first start without the archive, then warm starts with it), runs each scenario with
# `wrk -t2 -c16 --latency` after a warm-up against spot-api and then the Go service, the list of
# 3,000 instances one request at a time against the simulator, spot-api and Go, and writes
# bench/results.md with the issue-27 targets. SCENARIO for --profile: ping, version, summary (the
# default), list, mix. Every request goes to 127.0.0.1; every process it starts is stopped on exit.
# This file is the run, in order; the helpers are in bench/lib.sh.
set -euo pipefail
set -E   # the ERR trap below also reports failures inside functions

bench_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$bench_dir/.." && pwd)"

duration=10s
warmup=10s
list_duration=8s      # the list of 3,000: one connection, sequential requests
list_warmup=3s
go_slow_duration=5s   # the Go service's summary: bcrypt on every request, ~30 req/s
warm_starts=3         # warm starts of the service (median reported); the last one is measured
quick=0
build=1
nmt=0                 # 1: the service runs with -XX:NativeMemoryTracking=summary (via JAVA_OPTS)
profile=auto          # auto: profile the summary when a spot-api target is missed; never; or a scenario
cpu_baseline=""       # CPU µs per summary before the change: the target is half of it
with_go=1
keep_work=0           # 1: keep the work dir (logs, wrk output, JFR recording) after a good run
go_bin="$root/../shared/gopeer/spot-api-go"
[ -x "$go_bin" ] || go_bin="/work/shared/gopeer/spot-api-go"
output="$bench_dir/results.md"
wrk_threads=2
wrk_connections=16
list_instances=3000
start_timeout=60      # seconds allowed for a process to come up
key="bench-pre-shared-key-0123456789"
account="sandbox"     # the service's account name
org="sandbox"         # the service's org: the instances carry spinup:org=sandbox
sim_account="act-bench001"
sim_token="benchtoken"
command_line="bash bench/run.sh${*:+ $*}"

usage() {
  sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

explicit_duration="" explicit_warmup=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; shift ;;
    --duration) explicit_duration="${2:?--duration needs a value, e.g. 10s}"; shift 2 ;;
    --duration=*) explicit_duration="${1#*=}"; shift ;;
    --warmup) explicit_warmup="${2:?--warmup needs a value, e.g. 5s}"; shift 2 ;;
    --warmup=*) explicit_warmup="${1#*=}"; shift ;;
    --no-build) build=0; shift ;;
    --no-go) with_go=0; shift ;;
    --go) go_bin="${2:?--go needs the path of the Go service binary}"; shift 2 ;;
    --go=*) go_bin="${1#*=}"; shift ;;
    --nmt) nmt=1; shift ;;
    --profile=*) profile="${1#*=}"; shift ;;
    --profile)
      profile=summary; shift
      case "${1:-}" in ping|version|summary|list|mix) profile="$1"; shift ;; esac ;;
    --no-profile) profile=never; shift ;;
    --keep) keep_work=1; shift ;;
    --cpu-baseline) cpu_baseline="${2:?--cpu-baseline needs µs per request}"; shift 2 ;;
    --cpu-baseline=*) cpu_baseline="${1#*=}"; shift ;;
    --separate-simulator) shift ;;   # the only mode now (was: instead of --sandbox)
    --output) output="${2:?--output needs a file}"; shift 2 ;;
    --output=*) output="${1#*=}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench/run.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ "$quick" -eq 1 ]; then
  duration=3s warmup=2s list_duration=3s list_warmup=1s go_slow_duration=5s warm_starts=1
  [ "$profile" != auto ] || profile=never
fi
[ -z "$explicit_duration" ] || duration="$explicit_duration"
[ -z "$explicit_warmup" ] || warmup="$explicit_warmup"
case "$output" in /*) ;; *) output="$PWD/$output" ;; esac

# shellcheck source=bench/lib.sh
source "$bench_dir/lib.sh"
bench_init
case "$profile" in auto|never|ping|version|summary|list|mix) ;; *) die "--profile: unknown scenario $profile (one of: $profile_scenarios)" ;; esac

prepare_app                   # build, wrk, a snapshot of ./spot-api and what it runs (no CDS archive yet)
machine_facts
start_simulator               # a separate `spot-api simulator`
populate "$list_instances"    # 3,000 managed instances of our org, in one admin request
start_go                      # the Go service against the same simulator (unless missing)
start_service_cold_and_warm   # spot-api -config FILE: first start, archive, warm start(s): the one measured

# Each scenario's request, checked once before wrk.
check ping/spot "$base/ping"
check version/spot "$base/version"
check summary/spot "$base/$account/instances/$sim_id" "${auth[@]}"
check list/spot "$base/$account/instances" "${auth[@]}"
listed="$(jq length "$work/list-spot.sample" 2>/dev/null || echo '?')"
[ "$listed" = "$list_instances" ] || die "spot-api lists $listed instances, not $list_instances (the org filter?)"
if [ -n "$go" ]; then
  # A Go service that does not answer one of them is left out, saying so, rather than failing the run.
  if ! { answers_200 ping/go "$go_base/ping" && answers_200 version/go "$go_base/version" \
      && answers_200 summary/go "$go_base/$account/instances/$sim_id" "${auth[@]}" \
      && answers_200 list/go "$go_base/$account/instances" "${auth[@]}"; }; then
    go_missing_reason="left out: it did not answer as expected (${check_error:0:200})"
    log "the Go service is $go_missing_reason"
    stop_group "$go"
    go=""
  fi
fi

# Side by side: spot-api, then the Go service, same load.
run_scenario -p "$svc" ping/spot "GET /v1/spot/ping" "$base/ping"
[ -z "$go" ] || run_scenario -p "$go" ping/go "GET /v1/spot/ping" "$go_base/ping"
run_scenario -p "$svc" version/spot "GET /v1/spot/version" "$base/version"
[ -z "$go" ] || run_scenario -p "$go" version/go "GET /v1/spot/version" "$go_base/version"
run_scenario -p "$svc" summary/spot "GET /v1/spot/$account/instances/{id} (auth)" "$base/$account/instances/$sim_id" "${auth[@]}"
# bcrypt on every request: ~30 req/s, so a short run, no warm-up, and a timeout above its latency at 16 connections
[ -z "$go" ] || run_scenario -p "$go" -w 0 -d "$go_slow_duration" -T 10s summary/go "GET /v1/spot/$account/instances/{id} (auth)" \
  "$go_base/$account/instances/$sim_id" "${auth[@]}"

# The list of 3,000, one request at a time: the simulator's own list, spot-api's, Go's.
run_scenario -p "$sim" -t 1 -c 1 -w "$list_warmup" -d "$list_duration" list/sim "GET /aws/ec2/managedInstance (simulator alone)" \
  "$sim_list" "${sim_auth[@]}"
run_scenario -p "$svc" -t 1 -c 1 -w "$list_warmup" -d "$list_duration" list/spot "GET /v1/spot/$account/instances (auth)" \
  "$base/$account/instances" "${auth[@]}"
[ -z "$go" ] || run_scenario -p "$go" -t 1 -c 1 -w "$list_warmup" -d "$list_duration" -T 10s list/go "GET /v1/spot/$account/instances (auth)" \
  "$go_base/$account/instances" "${auth[@]}"

# Writes through spot-api (creates and deletes; after the list, which they would change).
run_scenario -p "$svc" mix/spot "POST + DELETE /v1/spot/$account/instances (auth), alternating" \
  "$base/$account/instances" -s "$bench_dir/create-delete.lua"
# The simulator alone serving the Spot read of a summary (the upstream's own ceiling).
run_scenario -p "$sim" read/sim "GET /aws/ec2/managedInstance/{id} (simulator alone)" "$sim_read" "${sim_auth[@]}"

memory_after_bench            # RSS of spot-api (and Go) after the whole bench, before any profile

profile_md=""
if [ "$profile" = auto ]; then
  if ! le "${R_p99[summary/spot]}" 5 || ! ge "${R_rps[summary/spot]}" 15000; then profile=summary; else profile=never; fi
fi
[ "$profile" = never ] || profile_scenario "$profile"

log "stopping the services and the simulator"
stop_group "$svc"
[ -z "$go" ] || stop_group "$go"
stop_group "$sim"

write_results
