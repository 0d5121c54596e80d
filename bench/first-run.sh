#!/usr/bin/env bash
# A newcomer's first starts, measured from a fresh clone (issue 15):
#
#   bash bench/first-run.sh [REPOSITORY]     # default: the repository this script is in
#
# 1. first run: `git clone`, then `./spot-api` until the sandbox's first `pong`      target ≤ 60 s
#    (a warm Maven cache in ~/.m2 is assumed: the first build of all needs the network)
# 2. one edit:  a comment added to one source file, `./spot-api` until `pong`        target ≤ 30 s
# 3. warm start: after the launcher recorded its class-data-sharing archive,
#    `./spot-api` until `pong`, best of 3                                            target ≤ 1.5 s
# It also checks the launcher's build output: one line per step, no escape codes.
# Prints each time, the CPU time it took (user + system, every process waited for: a figure that
# hardly depends on other load) and the machine's load average; exits 1 if a target is missed.
# Everything runs in a temporary directory, on 127.0.0.1; every process started is stopped.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
repo="${1:-$here}"
work="$(mktemp -d "${TMPDIR:-/tmp}/spot-api-first-run.XXXXXX")"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

say() { printf '[first-run %s] %s\n' "$(date +%T)" "$*" >&2; }
now() { echo "$EPOCHREALTIME"; }   # a built-in clock: no fork
# CPU seconds (user + system) of this shell's finished children.
children_cpu() { awk -v t="$(getconf CLK_TCK)" '{sub(/.*\) /, ""); printf "%.1f", ($14 + $15) / t}' /proc/$$/stat; }
free_port() {
  local p
  for _ in $(seq 100); do
    p=$(( 20000 + RANDOM % 40000 ))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  return 1
}

# pong PORT: true when GET /v1/spot/ping answers pong. Bash built-ins only (/dev/tcp, read): a poll that
# forked curl every few milliseconds would take CPU from the start it measures.
pong() {
  local c reply=""
  { exec {c}<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
  printf 'GET /v1/spot/ping HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&"$c" 2>/dev/null || { exec {c}>&-; return 1; }
  IFS= read -r -d '' -t 5 -u "$c" reply || true
  exec {c}>&-
  [[ "$reply" == *$'\r\n\r\n'pong ]]
}

# start LABEL: runs ./spot-api in the clone until the first pong, then stops it; sets took (s), cpu (s).
start() {
  local label="$1" port t0 cpu0 tick
  port="$(free_port)"
  [ -p "$work/tick" ] || mkfifo "$work/tick"
  exec {tick}<>"$work/tick"   # read -t on it is a sleep without a fork
  cpu0="$(children_cpu)"
  t0="$(now)"
  (cd "$work/clone" && SPOT_API_LISTEN="127.0.0.1:$port" exec ./spot-api) >"$work/$label.log" 2>&1 &
  pid=$!
  until pong "$port"; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/$label.log" >&2; say "$label: ./spot-api exited"; exit 1; }
    (( ${EPOCHREALTIME/./} - ${t0/./} < 600000000 )) || { cat "$work/$label.log" >&2; say "$label: no pong in 600 s"; exit 1; }
    read -r -t 0.01 -u "$tick" _ || true
  done
  took="$(echo "$(now) - $t0" | bc)"
  exec {tick}>&-
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  pid=""
  cpu="$(echo "$(children_cpu) - $cpu0" | bc)"
  say "$label: first pong after $(printf '%.2f' "$took") s ($cpu s CPU); load average $(cut -d' ' -f1-3 /proc/loadavg)"
}

verdicts=()
target() {   # target NAME SECONDS LIMIT
  if [ "$(echo "$2 <= $3" | bc)" = 1 ]; then verdicts+=("$(printf '%-12s %6.2f s  (target ≤ %s s)  PASS' "$1" "$2" "$3")")
  else verdicts+=("$(printf '%-12s %6.2f s  (target ≤ %s s)  MISS' "$1" "$2" "$3")"); missed=1; fi
}
missed=0

say "load average before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
say "cloning $repo"
git clone -q "$repo" "$work/clone"

start first-run     # the clone is not counted: a user has it already
target "first run" "$took" 60
first_cpu="$cpu"
if grep -q $'\e' "$work/first-run.log"; then say "the launcher's output has escape codes"; missed=1; fi
steps="$(grep -c '^spot-api:   step ' "$work/first-run.log" || true)"
[ "$steps" -ge 3 ] || { say "the launcher printed $steps build steps (expected one line per step)"; missed=1; }
say "build output: $steps step lines, $(grep -c $'\e' "$work/first-run.log" || true) escape codes:"
sed -n '/^spot-api: /p' "$work/first-run.log" | sed 's/^/    /' >&2

file="$work/clone/src/main/java/dev/spotapi/cli/Main.java"
printf '\n// edited by bench/first-run.sh at %s\n' "$(date -u +%FT%TZ)" >>"$file"
start one-edit
target "one edit" "$took" 30
edit_cpu="$cpu"
grep -q 'Compiling' "$work/one-edit.log" || { say "the edit did not cause a compile"; missed=1; }

say "waiting for the class-data-sharing archive (recorded in the background after a start)"
for _ in $(seq 6000); do [ -f "$work/clone/target/launcher/spot-api.jsa" ] && break; sleep 0.1; done
[ -f "$work/clone/target/launcher/spot-api.jsa" ] || { say "no archive after 600 s"; missed=1; }
best=999
for i in 1 2 3; do
  start "warm-$i"
  [ "$(echo "$took < $best" | bc)" = 1 ] && best="$took" && warm_cpu="$cpu"
done
target "warm start" "$best" 1.5

echo
echo "spot-api first-run figures ($(date -u '+%F %T UTC'); $(nproc) CPUs; load average now $(cut -d' ' -f1-3 /proc/loadavg))"
for v in "${verdicts[@]}"; do echo "  $v"; done
echo "  CPU time: first run $first_cpu s, one edit $edit_cpu s, warm start ${warm_cpu:-?} s"
exit "$missed"
