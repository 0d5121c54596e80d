#!/usr/bin/env bash
# Process start → first pong of the service alone (issue 27), warm (class-data-sharing archive present),
# for one or more snapshots of the launcher, interleaved so that the machine's other load hits each alike:
#
#   bash tools/perf/startup.sh [--starts 5] [--threads] APP_DIR [APP_DIR ...]
#
# APP_DIR: a snapshot (`mkdir -p DIR/target && cp -a spot-api DIR && cp -a target/launcher DIR/target/`,
# see tools/perf/memory.sh); its archive is recorded first when it has none. Extra JVM flags: JAVA_OPTS.
# Starts one standalone simulator, then for each round each snapshot's `./spot-api -config FILE` once,
# polls /v1/spot/ping every 5 ms and prints, per start: wall time to the first pong, CPU time the process
# used by then (user + system, all threads: the figure that depends least on other load), RSS then, the
# thread count and (--threads) the CPU of its busiest threads (the main thread is the first `java`).
# Ends with the median of each. Everything on 127.0.0.1; every process it starts is stopped on exit.
set -euo pipefail
# shellcheck source=tools/perf/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
starts=5
threads=0
apps=()
while [ $# -gt 0 ]; do
  case "$1" in
    --starts) starts="$2"; shift 2 ;;
    --threads) threads=1; shift ;;
    -*) sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 2 ;;
    *) apps+=("$(cd "$1" && pwd)"); shift ;;
  esac
done
[ "${#apps[@]}" -gt 0 ] || { sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 2; }

with_work_dir
clk_tck="$(getconf CLK_TCK)"
cpu_ms() { sed 's/.*) //' "$1" | awk -v t="$clk_tck" '{printf "%.0f", ($12 + $13) * 1000 / t}'; }

for app in "${apps[@]}"; do   # each snapshot's archive (it names the jars' paths), recorded once
  prepare_app "$app"
done

start_simulator "${apps[0]}" act-perf0001 perftoken
port="$(free_port)"
write_config "$work/config.json" "$port" sandbox act-perf0001 perftoken "$sim_url" perf-pre-shared-key-0123456789 info sandbox

declare -A walls cpus rsss
for ((r = 1; r <= starts; r++)); do
  for app in "${apps[@]}"; do
    t0="$EPOCHREALTIME"
    setsid "$app/spot-api" -config "$work/config.json" >"$work/service.log" 2>&1 </dev/null &
    svc=$!
    pids+=("$svc")
    until [ "$(curl -s --max-time 1 "http://127.0.0.1:$port/v1/spot/ping" 2>/dev/null || true)" = pong ]; do
      kill -0 "$svc" 2>/dev/null || { tail -n 30 "$work/service.log" >&2; exit 1; }
      sleep 0.005
    done
    wall="$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.0f", (b - a) * 1000}')"
    cpu="$(cpu_ms "/proc/$svc/stat")"
    rss="$(awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$svc/status")"
    line="$(printf '%-28s wall %5s ms  CPU %5s ms  RSS %5s MiB  threads %s' "$app" "$wall" "$cpu" "$rss" \
      "$(awk '/^Threads:/ {print $2}' "/proc/$svc/status")")"
    if [ "$threads" -eq 1 ]; then
      line+="  |$(for t in /proc/"$svc"/task/*; do
        { printf '%s=%s\n' "$(tr ' ' _ <"$t/comm")" "$(cpu_ms "$t/stat")"; } 2>/dev/null
      done | sort -t= -k2 -rn | head -n 4 | tr '\n' ' ')"
    fi
    echo "$line"
    walls[$app]+="$wall " cpus[$app]+="$cpu " rsss[$app]+="$rss "
    kill -TERM "$svc"; wait "$svc" 2>/dev/null || true
    pids=("${pids[@]/$svc}")
    sleep 0.3
  done
done
median() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{v[NR] = $1} END {print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }
echo "== median of $starts starts each (load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
for app in "${apps[@]}"; do
  printf '%-28s wall %5s ms  CPU %5s ms  RSS %5s MiB\n' "$app" "$(median <<<"${walls[$app]}")" \
    "$(median <<<"${cpus[$app]}")" "$(median <<<"${rsss[$app]}")"
done
