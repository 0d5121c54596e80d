# The helpers of bench/run.sh, which sources this file after reading its arguments; the order of the
# run (what is measured, in which order) is in run.sh. Every function reads and sets the global
# variables named in its comment; every request goes to 127.0.0.1.
#
#   logging, units ...... log, die, seconds_of, now_us, mib, ge, le
#   processes ........... bench_init (work dir, traps), start_group, stop_group, run_waited
#   start-up ............ free_port, pong_at, listens_on, await_pong, launch (port races retried)
#   measurements ........ cpu_ms, rss_kb
#   preparing ........... prepare_app (build, wrk, snapshot of ./spot-api), machine_facts
#   processes under test  start_simulator, populate, write_config, start_go, start_service_cold_and_warm
#   scenarios ........... check, run_scenario, spot_scenario (the wrk arguments of each spot-api scenario)
#   profile ............. profile_scenario (JFR: CPU self time, spot-api frames, allocation sites)
#   results ............. write_results (bench/results.md and the terminal)

exec {log_fd}>&2   # the terminal's stderr, kept for log() even inside redirected steps and traps
log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&"$log_fd"; }
die() { log "error: $*"; exit 1; }

# "10s", "2m", "1h" or "30" -> whole seconds (wrk's own duration syntax, integers only).
seconds_of() {
  case "$1" in
    *[!0-9smh]*|'') return 1 ;;
    *h) echo $(( ${1%h} * 3600 )) ;;
    *m) echo $(( ${1%m} * 60 )) ;;
    *s) echo "${1%s}" ;;
    *) echo "$1" ;;
  esac
}

now_us() { local t="$EPOCHREALTIME"; echo "${t/[.,]/}"; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a + 0 >= b + 0)}'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a + 0 <= b + 0)}'; }
ratio_of() { awk -v a="$1" -v b="$2" 'BEGIN {if (b + 0 > 0) printf "%.2f", a / b; else printf "n/a"}'; }

# ---------------------------------------------------------------------------------------------
# Clean-up: every process is started with setsid, so its process id is also its process group id;
# on exit (normal, failure or signal) each group gets SIGTERM, then SIGKILL after 15 s.
# ---------------------------------------------------------------------------------------------

group_alive() {   # true while any process of group $1 is still running (zombies do not count)
  local p state
  for p in $(pgrep -g "$1" 2>/dev/null || true); do
    state="$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -d' ' -f1)" || continue
    [ -n "$state" ] && [ "$state" != Z ] && return 0
  done
  return 1
}

stop_group() {
  local pgid="$1" i
  kill -TERM -- "-$pgid" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do
    group_alive "$pgid" || break
    sleep 0.1
  done
  if group_alive "$pgid"; then
    log "process group $pgid did not stop on SIGTERM within 15 s; killing it"
    kill -KILL -- "-$pgid" 2>/dev/null || true
  fi
  wait "$pgid" 2>/dev/null || true
  local kept=() g
  for g in "${groups[@]}"; do [ "$g" = "$pgid" ] || kept+=("$g"); done
  groups=(${kept[@]+"${kept[@]}"})
}

# Long foreground steps (build, apt, wrk) run in the background and are waited for, so that a
# signal runs the traps at once instead of after the step; clean-up stops them too.
waited=""
run_waited() {
  "$@" &
  waited=$!
  local rc=0
  wait "$waited" || rc=$?
  waited=""
  return "$rc"
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM ERR
  if [ -n "$waited" ]; then
    kill -TERM "$waited" 2>/dev/null || true
    wait "$waited" 2>/dev/null || true
  fi
  local g
  for g in ${groups[@]+"${groups[@]}"}; do stop_group "$g"; done
  if [ "$rc" -eq 0 ] && [ "${keep_work:-0}" -eq 0 ]; then
    rm -rf "$work"
  elif [ "$rc" -eq 0 ]; then
    log "logs, wrk output and recordings kept in $work (--keep)"
  else
    log "failed (exit $rc); logs kept in $work"
  fi
  exit "$rc"
}

# Starts "$@" in its own session and process group, output to file $1; sets $started_pid. setsid
# (and env, when "$@" starts with it) exec, so the pid is the measured process's own.
start_group() {
  local logfile="$1"; shift
  setsid "$@" >"$logfile" 2>&1 </dev/null &
  started_pid=$!
  groups+=("$started_pid")
}

# CPU time (user + system) a process has used, in ms: unlike rates and latencies, it hardly depends on
# what else runs on the machine, so it stays comparable when the machine is busy.
cpu_ms() { sed 's/.*) //' "/proc/$1/stat" | awk -v t="$clk_tck" '{printf "%.0f", ($12 + $13) * 1000 / t}'; }
rss_kb() { awk -v f="${2:-VmRSS}:" '$1 == f {print $2}' "/proc/$1/status"; }

clk_tck="$(getconf CLK_TCK 2>/dev/null || echo 100)"

# ---------------------------------------------------------------------------------------------
# Start-up. A port chosen free can be taken by another process (other tests and benchmarks run on
# the machine) before the server binds it; launch() therefore checks that the pong comes from the
# process it started (its own listening socket) and, when that process failed to bind, starts it
# again on another port. The probe uses bash built-ins only (/dev/tcp, read -t on a fifo): forking
# curl every 10 ms took a large share of a CPU from the start it measured.
# ---------------------------------------------------------------------------------------------

free_port() {
  local p i
  for ((i = 0; i < 100; i++)); do
    p=$(( 20000 + RANDOM % 40000 ))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
  done
  return 1
}

# pong_at PORT: true when GET /v1/spot/ping on 127.0.0.1:PORT answers exactly `pong`.
pong_at() {
  local c reply=""
  { exec {c}<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
  printf 'GET /v1/spot/ping HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' 1>&"$c" 2>/dev/null || { exec {c}>&-; return 1; }
  IFS= read -r -d '' -t 5 -u "$c" reply 2>/dev/null || true
  exec {c}>&-
  [[ "$reply" == *$'\r\n\r\n'pong ]]
}

# listens_on PID PORT: true when process PID holds the socket listening on PORT (/proc/net/tcp{,6}).
listens_on() {
  local hex inode fds
  hex="$(printf '%04X' "$2")"
  fds="$(ls -l "/proc/$1/fd" 2>/dev/null)" || return 1
  for inode in $(awk -v p=":$hex" 'FNR > 1 && $4 == "0A" && substr($2, length($2) - 4) == p {print $10}' \
      /proc/net/tcp /proc/net/tcp6 2>/dev/null); do
    [[ "$fds" == *"socket:[$inode]"* ]] && return 0
  done
  return 1
}

# await_pong PID PORT T0_US: polls every 10 ms until PID answers pong on PORT; sets pong_ms (since
# T0), pong_cpu_ms, pong_rss_kb. Returns 1 when PID exited first; dies after $start_timeout.
await_pong() {
  local pid="$1" port="$2" since="$3" t
  [ -p "$work/tick" ] || mkfifo "$work/tick"
  local tick
  exec {tick}<>"$work/tick"   # read -t on it is a sleep without a fork
  while :; do
    if pong_at "$port"; then
      t="$(now_us)"
      # a pong from another process that took the port: ours will fail to bind and exit
      listens_on "$pid" "$port" && break
    fi
    if ! kill -0 "$pid" 2>/dev/null; then exec {tick}>&-; return 1; fi
    [ $(( $(now_us) - since )) -lt $(( start_timeout * 1000000 )) ] || { exec {tick}>&-; die "no pong from process $pid within ${start_timeout}s"; }
    read -r -t 0.01 -u "$tick" _ || true
  done
  exec {tick}>&-
  pong_ms="$(awk -v d=$(( t - since )) 'BEGIN {printf "%.0f", d / 1000}')"
  pong_rss_kb="$(rss_kb "$pid")"
  pong_cpu_ms="$(cpu_ms "$pid")"
}

# launch LABEL KIND CMD...: picks a free port, writes KIND's config file for it (write_config), starts
# CMD in its own process group (log $work/LABEL.log) and waits for its pong. When the process exits
# because the port was taken in between, it starts again on another port (up to 5 times).
# Sets launched_pid, launched_port, pong_ms, pong_cpu_ms, pong_rss_kb.
launch() {
  local label="$1" kind="$2"; shift 2
  local attempt port t0 pid
  for ((attempt = 1; attempt <= 5; attempt++)); do
    port="$(free_port)" || die "no free loopback port found"
    write_config "$kind" "$port"
    t0="$(now_us)"
    start_group "$work/$label.log" "$@"
    pid="$started_pid"
    if await_pong "$pid" "$port" "$t0"; then
      launched_pid="$pid"
      launched_port="$port"
      return 0
    fi
    stop_group "$pid"
    if grep -qiE 'address already in use|cannot listen|BindException|failed to bind' "$work/$label.log"; then
      log "$label: port $port was taken before it could listen (attempt $attempt); starting it again on another port"
      mv "$work/$label.log" "$work/$label.bind-failure-$attempt.log"
      continue
    fi
    tail -n 30 "$work/$label.log" >&2
    die "$label exited during start-up (log above)"
  done
  die "$label: no port could be bound in 5 attempts"
}

# bench_init: durations in seconds, the work dir ($work), clean-up traps, the result tables.
bench_init() {
  duration_s="$(seconds_of "$duration")" || die "bad --duration: $duration (e.g. 10s, 1m)"
  warmup_s="$(seconds_of "$warmup")" || die "bad --warmup: $warmup (e.g. 5s, 0)"
  list_duration_s="$(seconds_of "$list_duration")" || die "bad list duration: $list_duration"
  list_warmup_s="$(seconds_of "$list_warmup")" || die "bad list warm-up: $list_warmup"
  go_slow_duration_s="$(seconds_of "$go_slow_duration")" || die "bad Go summary duration: $go_slow_duration"
  [ "$duration_s" -ge 1 ] || die "--duration must be at least 1s"
  work="$(mktemp -d "${TMPDIR:-/tmp}/spot-api-bench.XXXXXX")"
  groups=()
  trap cleanup EXIT
  trap 'log "failed at line $LINENO: $BASH_COMMAND"' ERR
  trap 'exit 130' INT
  trap 'exit 143' TERM
  declare -gA R_cpu R_desc R_rps R_p50 R_p90 R_p99 R_err R_req R_note
  runs=()
}

# prepare_app: builds (unless --no-build), installs wrk if missing, snapshots the launcher into $app
# WITHOUT a class-data-sharing archive (the service's first start below is a user's first start);
# sets app, app_version, jvm_flags, jar_sha, git_rev, git_dirty.
prepare_app() {
  launcher_dir="$root/target/launcher"
  jar="$launcher_dir/spot-api-app.jar"
  if [ "$build" -eq 1 ]; then
    local mvn="$root/mvnw"
    [ -x "$mvn" ] || mvn=mvn
    log "building what ./spot-api runs ($(basename "$mvn") -B -q process-classes -Dmaven.test.skip=true)"
    # offline first (the local repository usually has everything), then online
    run_waited timeout 1800 "$mvn" -B -q -o -f "$root/pom.xml" process-classes -Dmaven.test.skip=true >"$work/build.log" 2>&1 \
      || run_waited timeout 1800 "$mvn" -B -q -f "$root/pom.xml" process-classes -Dmaven.test.skip=true >"$work/build.log" 2>&1 \
      || { tail -n 40 "$work/build.log" >&2; die "the build failed (log above)"; }
  fi
  [ -f "$jar" ] && [ -f "$launcher_dir/classpath" ] || die "$jar is missing (run without --no-build)"

  if ! command -v wrk >/dev/null 2>&1; then
    log "installing wrk from Debian"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    run_waited timeout 600 $sudo apt-get update >"$work/apt.log" 2>&1 \
      && run_waited timeout 600 $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >>"$work/apt.log" 2>&1 \
      || { tail -n 20 "$work/apt.log" >&2; die "could not install wrk"; }
  fi
  local tool
  for tool in curl setsid pgrep jq; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is needed"
  done

  # The run uses a snapshot of the launcher and its app jar and class path: byte for byte the ./spot-api
  # users run (its JVM flags stay in that one script), but immune to a concurrent build rewriting
  # target/, and, having no src/ beside it, it never rebuilds in the middle of the measurement.
  app="$work/app"
  mkdir -p "$app/target/launcher"
  cp "$root/spot-api" "$app/spot-api"
  chmod +x "$app/spot-api"
  local main i
  main="$(sed -n 's/^main=//p' "$root/spot-api" | sed -n 1p)"
  [ -n "$main" ] || main=dev.spotapi.cli.Main
  # A build running beside this one may be halfway through rewriting the jar: check the copy starts.
  # (With java itself, not the launcher: the launcher would record its CDS archive, and the service's
  # first start is to be measured without one.)
  for ((i = 1; ; i++)); do
    cp "$jar" "$launcher_dir/classpath" "$app/target/launcher/"
    if timeout 60 java -cp "$app/target/launcher/spot-api-app.jar:$(cat "$app/target/launcher/classpath")" "$main" -version \
        >"$work/version.txt" 2>&1 && grep -q '^spot-api ' "$work/version.txt"; then
      break
    fi
    [ "$i" -lt 60 ] || die "$jar does not start: $(head -n 3 "$work/version.txt")"
    log "the jar does not start (being rebuilt?): $(head -n 1 "$work/version.txt"); retrying in 2 s"
    sleep 2
  done
  app_version="$(head -n 1 "$work/version.txt")"
  jvm_flags="$(sed -n '/^jvm_flags=(/,/)/p' "$root/spot-api" | tr '\n' ' ' | sed -e 's/^jvm_flags=(//' -e 's/).*//' | tr -s ' ') + class-data-sharing archive, MALLOC_ARENA_MAX=$(sed -n 's/^export MALLOC_ARENA_MAX="\${MALLOC_ARENA_MAX:-\([0-9]*\)}"$/\1/p' "$root/spot-api")"
  jar_sha="$(sha256sum "$app/target/launcher/spot-api-app.jar" | cut -c1-12)"
  git_rev="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  git_dirty="$(git --no-optional-locks -C "$root" status --porcelain -- src pom.xml spot-api 2>/dev/null | grep -q . && echo ' + uncommitted changes' || true)"
  key_hash="$(timeout 60 java -cp "$app/target/launcher/spot-api-app.jar:$(cat "$app/target/launcher/classpath")" "$main" hash-token "$key")" \
    || die "spot-api hash-token failed"
  auth=(-H "X-Auth-Token: $key_hash")
  export BENCH_DIR="$bench_dir" BENCH_TOKEN="$key_hash"
}

# machine_facts: sets m_nproc, m_cpu, m_mem, m_kernel, m_java, m_wrk, m_load, m_busy, run_date.
machine_facts() {
  m_nproc="$(nproc)"
  m_cpu="$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
  [ -n "$m_cpu" ] || m_cpu="$(awk -F': *' '/^(Hardware|cpu model|uarch)/ {print $2; exit}' /proc/cpuinfo)"
  m_mem="$(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  m_kernel="$(uname -srm)"
  m_java="$(java -version 2>&1 | sed -n "1,2p" | tr '\n' ' ' | sed 's/ *$//')"
  m_wrk="$( (wrk -v 2>&1 || true) | sed -n "1,1p" | sed 's/ *$//')"
  m_load="$(cut -d' ' -f1-3 /proc/loadavg)"
  m_nice="$(nice)"   # the bench's niceness, which every process it starts inherits
  # Share of all CPUs busy over 2 s while this script does nothing: other work on the machine.
  cpu_sample() { awk '$1 == "cpu" {idle = $5 + $6; total = 0; for (i = 2; i <= 9; i++) total += $i; print idle, total}' /proc/stat; }
  local idle1 total1 idle2 total2
  read -r idle1 total1 < <(cpu_sample)
  sleep 2
  read -r idle2 total2 < <(cpu_sample)
  m_busy=$(( total2 > total1 ? 100 - 100 * (idle2 - idle1) / (total2 - total1) : 0 ))
  [ "$m_busy" -lt 25 ] || log "warning: the machine is busy ($m_busy% CPU used by other work); figures will be low"
  run_date="$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
}

# start_simulator: a separate `spot-api simulator` process (the same launcher: the simulator keeps the
# full JIT), state in memory; sets sim, sim_url, sim_auth.
start_simulator() {
  log "starting a separate Spot simulator"
  start_group "$work/simulator.log" "$app/spot-api" simulator --port 0 --bind 127.0.0.1 \
    --account "$sim_account=$sim_token"
  sim="$started_pid"
  sim_url=""
  local i
  for ((i = 0; i < start_timeout * 100; i++)); do
    sim_url="$(sed -n 's/^Spot simulator listening on \(http:[^ ]*\).*/\1/p' "$work/simulator.log" | sed -n "1,1p")"
    [ -n "$sim_url" ] && break
    kill -0 "$sim" 2>/dev/null || { tail -n 30 "$work/simulator.log" >&2; die "the simulator exited during start-up"; }
    sleep 0.01
  done
  [ -n "$sim_url" ] || die "the simulator did not start within ${start_timeout}s"
  case "$sim_url" in http://127.0.0.1:*) ;; *) die "the simulator is not on loopback: $sim_url" ;; esac
  sim_auth=(-H "Authorization: Bearer $sim_token")
}

# populate N: N managed instances in the simulator, each tagged spinup:org=$org (the tag the service's
# org isolation lists, dev.spotapi.org.Ownership), loaded in one request through the simulator's admin
# API (POST /_sim/state merges bare Spot objects, validated as on create: the fastest honest way; the
# Spot API's create would take one request each). Sets sim_id (the instance the summary reads),
# sim_read, sim_list, create_body.
populate() {
  local n="$1" t0
  log "loading $n managed instances (tag spinup:org=$org) into the simulator"
  awk -v n="$n" -v acct="$sim_account" -v org="$org" 'BEGIN {
    printf "{\"accounts\":{\"%s\":{\"managedInstances\":[", acct
    for (i = 1; i <= n; i++)
      printf "%s{\"name\":\"bench-%d\",\"region\":\"us-east-1\",\"compute\":{\"subnetIds\":[\"subnet-0123\"],\"vpcId\":\"vpc-0123456789abcdef0\",\"launchSpecification\":{\"instanceTypes\":{\"preferredType\":\"t3a.micro\",\"types\":[\"t3a.micro\"]},\"imageId\":\"ami-0123\",\"tags\":[{\"tagKey\":\"CreatedBy\",\"tagValue\":\"bench\"},{\"tagKey\":\"spinup:org\",\"tagValue\":\"%s\"}]}}}", (i > 1 ? "," : ""), i, org
    print "]}}}"
  }' >"$work/seed.json"
  t0="$(now_us)"
  curl -sS --max-time 300 -o "$work/seed.answer" -H 'Content-Type: application/json' --data-binary "@$work/seed.json" \
    "$sim_url/_sim/state" || die "POST /_sim/state failed"
  [ "$(jq -r '.managedInstances // empty' "$work/seed.answer" 2>/dev/null)" = "$n" ] \
    || die "the simulator did not load $n instances: $(head -c 300 "$work/seed.answer")"
  populate_ms=$(( ($(now_us) - t0) / 1000 ))
  sim_list="$sim_url/aws/ec2/managedInstance?accountId=$sim_account"
  curl -sS --max-time 60 -o "$work/sim-list.json" "${sim_auth[@]}" "$sim_list" || die "the simulator's list failed"
  [ "$(jq '.response.items | length' "$work/sim-list.json")" = "$n" ] || die "the simulator lists $(jq '.response.items | length' "$work/sim-list.json") instances, not $n"
  sim_id="$(jq -r '.response.items[0].id' "$work/sim-list.json")"
  sim_read="$sim_url/aws/ec2/managedInstance/$sim_id?accountId=$sim_account"
  sim_list_bytes="$(stat -c %s "$work/sim-list.json")"
  log "loaded $n instances in $populate_ms ms; the list is $(( sim_list_bytes / 1024 )) KiB; the summary reads $sim_id"
  # the mix scenario's create body (the README's example), tagged by the service itself
  create_body='{"name":"bench-mix","region":"us-east-1","compute":{"subnetIds":["subnet-0123"],"launchSpecification":{"instanceTypes":{"preferredType":"t3a.micro","types":["t3a.micro"]},"imageId":"ami-0123","tags":[{"tagKey":"CreatedBy","tagValue":"bench"}]}}}'
  export BENCH_CREATE_BODY="$create_body"
}

# write_config KIND PORT: KIND's config file ($work/KIND.json) serving account "$account" from the
# separate simulator on 127.0.0.1:PORT; the same file format for spot-api and the Go service (which
# ignores "endpoint" and reads SPOTINST_BASE_URL instead).
write_config() {
  cat >"$work/$1.json" <<CONFIG
{
  "listenAddress": "127.0.0.1:$2",
  "accounts": {
    "$account": {"region": "us-east-1", "id": "$sim_account", "token": "$sim_token",
                 "defaultVPC": "vpc-0123456789abcdef0", "endpoint": "$sim_url"}
  },
  "token": "$key",
  "logLevel": "info",
  "org": "$org"
}
CONFIG
}

# start_go: the old Go service against the same simulator; sets go, go_base, go_pong_ms, go_pong_cpu_ms,
# go_rss_first_kb; go="" (and go_missing_reason) when its binary is missing or does not run.
start_go() {
  go="" go_missing_reason="" go_pong_ms="" go_pong_cpu_ms="" go_rss_first_kb=0 go_rss_after_kb=0 go_rss_peak_kb=0
  if [ "$with_go" -eq 0 ]; then
    go_missing_reason="skipped (--no-go)"
  elif [ ! -x "$go_bin" ]; then
    go_missing_reason="skipped: $go_bin is missing (see /work/shared/gopeer/README.md; --go BINARY to name another)"
  fi
  if [ -z "$go_missing_reason" ]; then
    log "starting the Go service ($go_bin)"
    launch go go env SPOTINST_BASE_URL="$sim_url" "$go_bin" -config "$work/go.json"
    go="$launched_pid"
    go_base="http://127.0.0.1:$launched_port/v1/spot"
    go_pong_ms="$pong_ms"; go_pong_cpu_ms="$pong_cpu_ms"; go_rss_first_kb="$pong_rss_kb"
    log "Go service: first pong after $go_pong_ms ms"
  else
    log "the Go service is $go_missing_reason"
  fi
}

# start_spot LABEL: ./spot-api -config FILE through the snapshot's launcher; sets svc, base and the pong_* figures.
start_spot() {
  service_java_opts="${JAVA_OPTS:-}"
  [ "$nmt" -eq 0 ] || service_java_opts="${service_java_opts:+$service_java_opts }-XX:NativeMemoryTracking=summary"
  launch "$1" spot env JAVA_OPTS="$service_java_opts" "$app/spot-api" -config "$work/spot.json"
  svc="$launched_pid"
  base="http://127.0.0.1:$launched_port/v1/spot"
  [ "$(cat "/proc/$svc/comm" 2>/dev/null)" = java ] || die "process $svc is not java; the launcher must exec java"
}

# start_service_cold_and_warm: the service's first start (no class-data-sharing archive: a user's first
# start; the launcher records the archive in the background), then, with the archive, $warm_starts
# starts; the last one stays up for the scenarios. Sets cold_ms, cold_cpu_ms, warm_ms (median),
# warm_all, warm_cpu_ms, rss_first_kb, rss_idle_kb.
start_service_cold_and_warm() {
  local cds="$app/target/launcher/spot-api-service.jsa" i   # the archive of the service alone (config file)
  log "starting spot-api -config FILE, first start (no class-data-sharing archive yet)"
  start_spot service-cold
  cold_ms="$pong_ms"; cold_cpu_ms="$pong_cpu_ms"
  log "first start: first pong after $cold_ms ms, $cold_cpu_ms ms of CPU; waiting for the archive the launcher records"
  for ((i = 0; i < 3000; i++)); do
    [ -f "$cds" ] && break
    sleep 0.1
  done
  [ -f "$cds" ] || die "no class-data-sharing archive after 300 s: $(tail -n 3 "$app/target/launcher/cds.log" 2>/dev/null)"
  stop_group "$svc"
  local all=()
  for ((i = 1; i <= warm_starts; i++)); do
    [ "$i" -eq 1 ] || stop_group "$svc"
    sleep 1   # let the previous process's exit settle before timing the next start
    start_spot "service-warm-$i"
    all+=("$pong_ms")
    warm_cpu_ms="$pong_cpu_ms"
    rss_first_kb="$pong_rss_kb"
    log "warm start $i: first pong after $pong_ms ms, $pong_cpu_ms ms of CPU (RSS then $(mib "$rss_first_kb") MiB)"
  done
  warm_all="$(printf '%s ms, ' "${all[@]}" | sed 's/, $//')"
  warm_ms="$(printf '%s\n' "${all[@]}" | sort -n | awk '{v[NR] = $1} END {print (NR % 2 ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2))}')"
  sleep 2
  rss_idle_kb="$(rss_kb "$svc")"
  log "RSS idle: $(mib "$rss_idle_kb") MiB"
}

# check NAME URL [curl args]: the request answers 200 (body kept in $work/NAME.sample, / in NAME as -).
check() { answers_200 "$@" || die "$check_error"; }
# answers_200 NAME URL [curl args]: the same without dying; sets check_error when it fails.
answers_200() {
  local name="$1" url="$2"; shift 2
  local code file="$work/${name//\//-}.sample"
  code="$(curl -s --max-time 60 -o "$file" -w '%{http_code}' "$@" "$url")" || code="curl-failed"
  [ "$code" = 200 ] && return 0
  check_error="$name: $url answered $code: $(head -c 300 "$file" 2>/dev/null)"
  return 1
}

# run_scenario [-t THREADS] [-c CONNECTIONS] [-w WARMUP] [-d DURATION] [-T TIMEOUT] -p PID KEY DESCRIPTION URL [wrk args...]
# A warm-up run (not recorded), then the measured run; CPU µs/req is PID's CPU time over the run per request.
# KEY is scenario/server (e.g. ping/spot); results in the R_* tables.
run_scenario() {
  local threads="$wrk_threads" conns="$wrk_connections" wu="$warmup" wu_s="$warmup_s" dur="$duration" dur_s="$duration_s"
  local timeout_arg=() pid=""
  while [ $# -gt 0 ]; do
    case "$1" in
      -t) threads="$2"; shift 2 ;;
      -c) conns="$2"; shift 2 ;;
      -w) wu="$2"; wu_s="$(seconds_of "$2")"; shift 2 ;;
      -d) dur="$2"; dur_s="$(seconds_of "$2")"; shift 2 ;;
      -T) timeout_arg=(--timeout "$2"); shift 2 ;;
      -p) pid="$2"; shift 2 ;;
      *) break ;;
    esac
  done
  local name="$1" desc="$2" url="$3"; shift 3
  local file="${name//\//-}"
  case "$url" in http://127.0.0.1:*) ;; *) die "refusing a non-loopback target: $url" ;; esac
  local wrk_cmd=(wrk -t"$threads" -c"$conns" ${timeout_arg[@]+"${timeout_arg[@]}"} --latency -s "$bench_dir/report.lua" "$@")
  if [ "$wu_s" -gt 0 ]; then
    log "$name: warm-up $wu"
    run_waited timeout $(( wu_s + 60 )) "${wrk_cmd[@]}" -d"$wu" "$url" \
      >"$work/$file.warmup.txt" 2>&1 || die "$name: wrk warm-up failed: $(tail -n 5 "$work/$file.warmup.txt")"
  fi
  log "$name: measuring $dur (wrk -t$threads -c$conns)"
  local cpu0 cpu1 line
  cpu0="$(cpu_ms "$pid")"
  run_waited timeout $(( dur_s + 60 )) "${wrk_cmd[@]}" -d"$dur" "$url" \
    >"$work/$file.txt" 2>"$work/$file.err" || die "$name: wrk failed: $(tail -n 5 "$work/$file.err")"
  cpu1="$(cpu_ms "$pid")"
  line="$(grep '^BENCH ' "$work/$file.txt" | tail -n 1)"
  [ -n "$line" ] || die "$name: no BENCH line in the wrk output ($work/$file.txt)"
  val() { printf '%s\n' "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
  runs+=("$name")
  R_desc[$name]="$desc"
  R_req[$name]="$(val requests)"
  R_cpu[$name]="$(awk -v c=$(( cpu1 - cpu0 )) -v n="$(val requests)" 'BEGIN {printf "%.0f", (n > 0 ? c * 1000 / n : 0)}')"
  R_rps[$name]="$(val rps)"
  R_p50[$name]="$(awk -v u="$(val p50_us)" 'BEGIN {printf "%.2f", u / 1000}')"
  R_p90[$name]="$(awk -v u="$(val p90_us)" 'BEGIN {printf "%.2f", u / 1000}')"
  R_p99[$name]="$(awk -v u="$(val p99_us)" 'BEGIN {printf "%.2f", u / 1000}')"
  local socket=$(( $(val connect) + $(val read) + $(val write) + $(val timeout) ))
  local status failed
  status="$(val status)"
  failed="$(val failed)"
  if [ -n "$failed" ]; then
    R_err[$name]=$(( socket + failed ))
    R_note[$name]="$(val created) created, $(val deleted) deleted, $failed unexpected answers"
  else
    R_err[$name]=$(( socket + status ))
    R_note[$name]=""
  fi
  [ "$(val requests)" -gt 0 ] || R_note[$name]="no request completed within the run"
  [ "$socket" -eq 0 ] || R_note[$name]="${R_note[$name]:+${R_note[$name]}; }socket errors: connect $(val connect), read $(val read), write $(val write), timeout $(val timeout)"
  [ "$status" -eq 0 ] || R_note[$name]="${R_note[$name]:+${R_note[$name]}; }$status answers >= 400"
  if grep -q . "$work/$file.err"; then
    R_note[$name]="${R_note[$name]:+${R_note[$name]}; }$(head -n 1 "$work/$file.err" | cut -c1-200)"
  fi
  log "$name: $(printf '%.0f' "${R_rps[$name]}") req/s, p50 ${R_p50[$name]} ms, p90 ${R_p90[$name]} ms, p99 ${R_p99[$name]} ms, errors ${R_err[$name]}, ${R_cpu[$name]} µs CPU/req"
}

# spot_scenario NAME: the wrk arguments of spot-api's scenario NAME (for the profile); sets sc_url,
# sc_args (wrk arguments before the URL), sc_script (its wrk script) and sc_desc. Returns 1 for an unknown name.
spot_scenario() {
  sc_args=(-t"$wrk_threads" -c"$wrk_connections")
  sc_script="$bench_dir/report.lua"
  case "$1" in
    ping) sc_url="$base/ping"; sc_desc="GET /v1/spot/ping" ;;
    version) sc_url="$base/version"; sc_desc="GET /v1/spot/version" ;;
    summary) sc_url="$base/$account/instances/$sim_id"; sc_args+=("${auth[@]}"); sc_desc="GET /v1/spot/$account/instances/{id}" ;;
    list) sc_url="$base/$account/instances"; sc_args=(-t1 -c1 "${auth[@]}"); sc_desc="GET /v1/spot/$account/instances ($list_instances instances, one connection)" ;;
    mix) sc_url="$base/$account/instances"; sc_script="$bench_dir/create-delete.lua"
      sc_desc="POST + DELETE /v1/spot/$account/instances" ;;
    *) return 1 ;;
  esac
}
profile_scenarios="ping version summary list mix"

# memory_after_bench: sets rss_after_kb, rss_peak_kb, go_rss_after_kb, go_rss_peak_kb, sim_rss_kb and,
# with --nmt, nmt_md.
memory_after_bench() {
  rss_after_kb="$(rss_kb "$svc")"
  rss_peak_kb="$(rss_kb "$svc" VmHWM)"
  log "spot-api RSS after the whole bench: $(mib "$rss_after_kb") MiB (peak $(mib "$rss_peak_kb") MiB)"
  if [ -n "$go" ]; then
    go_rss_after_kb="$(rss_kb "$go")"
    go_rss_peak_kb="$(rss_kb "$go" VmHWM)"
    log "Go service RSS after the whole bench: $(mib "$go_rss_after_kb") MiB (peak $(mib "$go_rss_peak_kb") MiB)"
  fi
  sim_rss_kb="$(rss_kb "$sim")"
  nmt_md=""
  if [ "$nmt" -eq 1 ]; then
    if timeout 60 jcmd "$svc" VM.native_memory summary scale=KB >"$work/nmt.txt" 2>&1; then
      nmt_md="$(
        echo "## Native memory after the bench (NMT)"
        echo
        echo "\`jcmd PID VM.native_memory summary\` right after the RSS reading (the run had"
        echo "\`-XX:NativeMemoryTracking=summary\`, which itself costs some memory and speed)."
        echo
        echo "| area | committed MiB | reserved MiB |"
        echo "| --- | ---: | ---: |"
        sed -n 's/^Total: *reserved=\([0-9]*\)KB, committed=\([0-9]*\)KB.*/total \2 \1/p;
                s/^-  *\(.*[^ ]\) *(reserved=\([0-9]*\)KB, committed=\([0-9]*\)KB).*/\1 \3 \2/p' "$work/nmt.txt" \
          | awk '{r = $NF; c = $(NF - 1); $NF = ""; $(NF - 1) = ""; sub(/ +$/, ""); printf "| %s | %.1f | %.1f |\n", $0, c / 1024, r / 1024}'
      )"
    else
      nmt_md="## Native memory after the bench (NMT)"$'\n\n'"jcmd failed: $(tail -n 2 "$work/nmt.txt")"
    fi
  fi
}

# profile_scenario NAME: one more run of spot-api's scenario NAME under Java Flight Recorder
# (settings=profile: execution samples every 10 ms, allocation samples), summarised into the hottest
# frames (self time), the first spot-api frame of each sample, threads, and the top allocation sites.
# Sets profile_md.
profile_scenario() {
  local name="$1"
  profile_md=""
  spot_scenario "$name" || die "--profile: unknown scenario $name (one of: $profile_scenarios)"
  if ! command -v jcmd >/dev/null 2>&1 || ! command -v jfr >/dev/null 2>&1; then
    profile_md="## Profile of the $name scenario"$'\n\n'"Not taken: jcmd/jfr (JDK) not found."
    return 0
  fi
  log "profiling the $name scenario with JFR ($duration)"
  local jfr_file="$work/profile.jfr"
  if ! timeout 60 jcmd "$svc" JFR.start name=bench settings=profile filename="$jfr_file" >"$work/jfr.log" 2>&1; then
    profile_md="## Profile of the $name scenario"$'\n\n'"jcmd could not start JFR: $(tail -n 3 "$work/jfr.log")"
    return 0
  fi
  run_waited timeout $(( duration_s + 60 )) wrk "${sc_args[@]}" -d"$duration" -s "$sc_script" --latency "$sc_url" \
    >"$work/profile.txt" 2>&1 || true
  timeout 60 jcmd "$svc" JFR.stop name=bench >>"$work/jfr.log" 2>&1 || true
  if [ ! -s "$jfr_file" ]; then
    profile_md="## Profile of the $name scenario"$'\n\n'"JFR produced no recording: $(tail -n 3 "$work/jfr.log")"
    return 0
  fi
  run_waited timeout 300 jfr print --stack-depth 64 --events jdk.ExecutionSample "$jfr_file" >"$work/samples.txt" 2>/dev/null || true
  run_waited timeout 300 jfr print --stack-depth 64 --events jdk.ObjectAllocationSample "$jfr_file" >"$work/allocations.txt" 2>/dev/null || true
  # Top frame and first dev.spotapi frame of each sample, and samples per thread pool.
  awk '
    /^jdk.ExecutionSample/ {n++; top = ""; app = ""; depth = -1}
    /sampledThread = / {t = $0; sub(/.*sampledThread = "/, "", t); sub(/".*/, "", t); gsub(/[0-9]+/, "N", t); threads[t]++}
    /stackTrace = \[/ {depth = 0; next}
    depth >= 0 && /^[ \t]*\]/ {depth = -1; if (top != "") tops[top]++; if (app != "") apps[app]++; else apps["(no dev.spotapi frame)"]++}
    depth >= 0 && /line:/ {f = $0; sub(/^[ \t]+/, "", f); sub(/[ \t]+line:.*/, "", f); if (depth == 0) top = f; if (app == "" && f ~ /^dev\.spotapi\./) app = f; depth++}
    END {
      for (k in tops) printf "top\t%d\t%s\n", tops[k], k
      for (k in apps) printf "app\t%d\t%s\n", apps[k], k
      for (k in threads) printf "thread\t%d\t%s\n", threads[k], k
      printf "total\t%d\n", n
    }' "$work/samples.txt" >"$work/profile.tsv"
  # Allocation samples, weighted by the bytes each stands for: by top frame (the allocating method),
  # by first dev.spotapi frame, and by class.
  awk '
    function bytes(v, u) { if (u ~ /^kB/) return v * 1024; if (u ~ /^MB/) return v * 1048576; if (u ~ /^GB/) return v * 1073741824; return v }
    /^jdk.ObjectAllocationSample/ {flush(); w = 0; cls = ""; top = ""; app = ""; tid = ""; depth = -1; inev = 1}
    /eventThread = / {tid = $0; sub(/.*javaThreadId = /, "", tid); sub(/\).*/, "", tid)}
    /objectClass = / {cls = $0; sub(/.*objectClass = /, "", cls); sub(/ \(classLoader.*/, "", cls)}
    /weight = / {w = bytes($3 + 0, $4)}
    /stackTrace = \[/ {depth = 0; next}
    depth >= 0 && /^[ \t]*\]/ {depth = -1}
    depth >= 0 && /line:/ {f = $0; sub(/^[ \t]+/, "", f); sub(/[ \t]+line:.*/, "", f); if (depth == 0) top = f; if (app == "" && f ~ /^dev\.spotapi\./) app = f; depth++}
    # The first sample of each thread weighs what the thread allocated since before the recording: left out.
    function flush() { if (!inev) return; inev = 0; if (!(tid in seen)) {seen[tid] = 1; return}; total += w; tops[top] += w; apps[app == "" ? "(no dev.spotapi frame)" : app] += w; classes[cls] += w }
    END {
      flush()
      for (k in tops) printf "top\t%d\t%s\n", tops[k], k
      for (k in apps) printf "app\t%d\t%s\n", apps[k], k
      for (k in classes) printf "class\t%d\t%s\n", classes[k], k
      printf "total\t%d\n", total
    }' "$work/allocations.txt" >"$work/alloc.tsv"
  local total alloc_total thread_starts profile_requests thread_starters gc
  total="$(awk -F'\t' '$1 == "total" {print $2}' "$work/profile.tsv")"
  alloc_total="$(awk -F'\t' '$1 == "total" {print $2}' "$work/alloc.tsv")"
  # Threads started during the run, and by what (the frame that called Thread.start).
  run_waited timeout 300 jfr print --stack-depth 8 --events jdk.ThreadStart "$jfr_file" >"$work/threads.txt" 2>/dev/null || true
  thread_starts="$(grep -c '^jdk.ThreadStart' "$work/threads.txt" || true)"
  profile_requests="$(sed -n 's/^BENCH requests=\([0-9]*\).*/\1/p' "$work/profile.txt")"
  thread_starters="$(awk '/stackTrace = \[/ {getline; f = $0; sub(/^[ \t]+/, "", f); sub(/[ \t]+line:.*/, "", f); n[f]++}
      END {for (k in n) printf "%d\t%s\n", n[k], k}' "$work/threads.txt" | sort -rn | awk -F'\t' 'NR <= 3 {printf "%s`%s` (%d)", (NR > 1 ? ", " : ""), $2, $1}')"
  gc="$(timeout 120 jfr print --events jdk.GarbageCollection "$jfr_file" 2>/dev/null \
    | awk '/sumOfPauses = / {n++; v = $3; u = $4; if (u ~ /^ms/) s += v; else if (u ~ /^s/) s += v * 1000; else if (u ~ /^us/) s += v / 1000; else if (u ~ /^ns/) s += v / 1e6}
           END {printf "%d collections, %.0f ms of pauses", n, s}')"
  section() {   # section FILE KIND N: the N largest rows of KIND, as a share of the total
    awk -F'\t' -v kind="$2" '$1 == kind {printf "%d\t%s\n", $2, $3}' "$1" \
      | sort -rn | awk -v n="$3" 'NR <= n' \
      | awk -F'\t' -v total="$(awk -F'\t' '$1 == "total" {print $2}' "$1")" '{printf "| %.1f%% | `%s` |\n", (total > 0 ? 100 * $1 / total : 0), $2}'
  }
  local per_req=""
  [ -n "$profile_requests" ] && [ "$profile_requests" -gt 0 ] && per_req="$(awk -v b="${alloc_total:-0}" -v n="$profile_requests" 'BEGIN {printf "; ~%.1f KiB per request", b / n / 1024}')"
  profile_md="$(
    echo "## Profile of the $name scenario (spot-api)"
    echo
    echo "An extra $duration run of \`$sc_desc\` under Java Flight Recorder (\`jcmd PID JFR.start settings=profile\`),"
    echo "after every figure above (so it changes none of them)."
    echo "${total:-0} execution samples (Java code only: time blocked or in native I/O is not sampled); GC during it: $gc."
    echo "Threads started during it: ${thread_starts:-0} for ${profile_requests:-?} requests${thread_starters:+; started from $thread_starters}."
    echo "Its own result: $(grep '^Requests/sec' "$work/profile.txt" | tr -s ' ') (recording on)."
    echo
    echo "Hottest top frames (self time):"
    echo
    echo "| share of samples | method |"
    echo "| ---: | --- |"
    section "$work/profile.tsv" top 15
    echo
    echo "First spot-api frame of each sample (where the time is spent, seen from the service's code):"
    echo
    echo "| share of samples | method |"
    echo "| ---: | --- |"
    section "$work/profile.tsv" app 12
    echo
    echo "Samples per thread (pool):"
    echo
    echo "| share of samples | thread |"
    echo "| ---: | --- |"
    section "$work/profile.tsv" thread 8
    echo
    echo "Allocation (jdk.ObjectAllocationSample, weighted by the bytes each sample stands for; each thread's first"
    echo "sample, which also covers what it allocated before the recording, left out): about"
    echo "$(awk -v b="${alloc_total:-0}" 'BEGIN {printf "%.0f MiB", b / 1048576}') allocated during the run$per_req. Top allocation sites (the allocating frame):"
    echo
    echo "| share of bytes | method |"
    echo "| ---: | --- |"
    section "$work/alloc.tsv" top 12
    echo
    echo "First spot-api frame of each allocation:"
    echo
    echo "| share of bytes | method |"
    echo "| ---: | --- |"
    section "$work/alloc.tsv" app 10
    echo
    echo "Allocated classes:"
    echo
    echo "| share of bytes | class |"
    echo "| ---: | --- |"
    section "$work/alloc.tsv" class 10
  )"
}

fmt_rps() {   # 12345.6 -> 12,346, 27.43 -> 27.4 (without depending on the machine's locales)
  awk -v v="$1" 'BEGIN {s = sprintf(v + 0 < 100 && v + 0 != int(v + 0) ? "%.1f" : "%.0f", v); while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s); sub(/^,/, "", s); print s}'
}

# cell KEY FIELD: R_FIELD[KEY] formatted for a table, or — when that run was not made.
cell() {
  local key="$1" field="$2"
  [ -n "${R_rps[$key]+x}" ] || { echo "—"; return; }
  case "$field" in
    rps) fmt_rps "${R_rps[$key]}" ;;
    p50) echo "${R_p50[$key]}" ;;
    p90) echo "${R_p90[$key]}" ;;
    p99) echo "${R_p99[$key]}" ;;
    err) echo "${R_err[$key]}" ;;
    cpu) echo "${R_cpu[$key]}" ;;
    req) echo "${R_req[$key]}" ;;
  esac
}
# ratio_cell KEY_A KEY_B FIELD: A's FIELD over B's, or —.
ratio_cell() {
  local a="$1" b="$2" f="$3"
  { [ -n "${R_rps[$a]+x}" ] && [ -n "${R_rps[$b]+x}" ]; } || { echo "—"; return; }
  local va vb
  case "$f" in
    rps) va="${R_rps[$a]}"; vb="${R_rps[$b]}" ;;
    p50) va="${R_p50[$a]}"; vb="${R_p50[$b]}" ;;
    p90) va="${R_p90[$a]}"; vb="${R_p90[$b]}" ;;
    p99) va="${R_p99[$a]}"; vb="${R_p99[$b]}" ;;
    cpu) va="${R_cpu[$a]}"; vb="${R_cpu[$b]}" ;;
    *) echo "—"; return ;;
  esac
  local r; r="$(ratio_of "$va" "$vb")"
  if [ "$r" = n/a ]; then echo "n/a"; else echo "$r×"; fi
}

verdict() {   # verdict EXIT_STATUS MISS_TEXT
  if [ "$1" -eq 0 ]; then echo PASS; else echo "MISS ($2)"; fi
}

# measure_label FIELD P50_LABEL: the table label of a wrk figure (rps, p50, p90, p99, err, cpu, req).
measure_label() {
  case "$1" in
    rps) echo "req/s" ;; p50) echo "$2" ;; p90) echo "p90 ms" ;; p99) echo "p99 ms" ;;
    err) echo "errors" ;; cpu) echo "CPU µs/req (measured process)" ;; req) echo "requests" ;;
  esac
}

# pair_table SCENARIO: spot-api and the Go service side by side for one scenario.
pair_table() {
  local s="$1" f label
  echo "| measure | Go service | spot-api | spot-api / Go |"
  echo "| --- | ---: | ---: | ---: |"
  for f in rps p50 p90 p99 err cpu req; do
    label="$(measure_label "$f" "p50 ms")"
    case "$f" in
      err|req) echo "| $label | $(cell "$s/go" "$f") | $(cell "$s/spot" "$f") | |" ;;
      *) echo "| $label | $(cell "$s/go" "$f") | $(cell "$s/spot" "$f") | $(ratio_cell "$s/spot" "$s/go" "$f") |" ;;
    esac
  done
  local n
  for n in "$s/go" "$s/spot"; do
    [ -z "${R_note[$n]:-}" ] || echo "| notes, ${n#*/} | ${R_note[$n]} | | |"
  done
}

# target_vs_go SCENARIO: verdict of "spot-api's rate at least the Go service's, p99 <= 5 ms".
target_vs_go() {
  local s="$1" miss=()
  if [ -n "${R_rps[$s/go]+x}" ]; then
    ge "${R_rps[$s/spot]}" "${R_rps[$s/go]}" || miss+=("$(ratio_of "${R_rps[$s/spot]}" "${R_rps[$s/go]}")× Go's rate")
  fi
  le "${R_p99[$s/spot]}" 5 || miss+=("p99 ${R_p99[$s/spot]} ms")
  if [ ${#miss[@]} -eq 0 ]; then
    if [ -n "${R_rps[$s/go]+x}" ]; then echo PASS; else echo "PASS on p99; rate not compared (no Go service)"; fi
  else
    echo "MISS ($(printf '%s; ' "${miss[@]}" | sed 's/; $//'))"
  fi
}

# write_results: verdicts, bench/results.md (or --output) and the same tables on the terminal.
write_results() {
  m_load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
  # Warnings and errors the processes logged during the run (a sign of a bug).
  log_md=""
  local f n
  for f in "$work"/service-*.log "$work/simulator.log" "$work/go.log"; do
    [ -f "$f" ] || continue
    n="$(grep -cE '^[0-9T:.-]+Z? +(WARN|ERROR) |level=(error|warning|fatal)' "$f" 2>/dev/null || true)"
    if [ "${n:-0}" -gt 0 ]; then
      log_md="$log_md"$'\n'"- $(basename "$f"): $n WARN/ERROR lines, e.g.:"$'\n\n''```text'$'\n'
      log_md="$log_md$(grep -E '^[0-9T:.-]+Z? +(WARN|ERROR) |level=(error|warning|fatal)' "$f" | cut -c1-300 | awk '!seen[substr($0, 26, 120)]++' | sed -n "1,5p")"
      log_md="$log_md"$'\n''```'
    fi
  done
  [ -z "$log_md" ] || log_md="## Warnings and errors logged"$'\n\n'"(The Go service logs \`context canceled\` and \`broken pipe\` for the requests wrk abandons when a run ends.)"$'\n'"$log_md"

  load_label="load average $m_load before the run, $m_load_after after; $m_busy% of the CPUs busy with other work just before it"
  [ "$m_nice" -eq 0 ] || load_label="$load_label; the bench and its processes ran at niceness $m_nice (\`nice -n $m_nice\`), below the other work"
  busy_md=""
  if [ "$m_busy" -ge 25 ] || ! le "${m_load%% *}" 1.5 || [ "$m_nice" -ne 0 ]; then
    busy_md="**Not a quiet machine** ($load_label): other work took CPU from both services and from wrk, so rates and latencies are low and noisy. CPU µs/req, RSS and the ratios of one run are the more comparable figures. Rerun on a quiet machine for the record."
  fi
  [ "$quick" -eq 0 ] || busy_md="${busy_md:+$busy_md }**\`--quick\` run**: short warm-up and measurement, for developers; not the figures of record."

  local total_errors=0 k
  for k in "${runs[@]}"; do
    case "$k" in */spot) total_errors=$(( total_errors + R_err[$k] )) ;; esac
  done
  list_ratio="$(ratio_of "${R_p50[list/spot]}" "${R_p50[list/sim]}")"
  local n_fmt; n_fmt="$(fmt_rps "$list_instances")"
  list_ratio_p90="$(ratio_of "${R_p90[list/spot]}" "${R_p90[list/sim]}")"

  local t v_ping v_version v_summary v_cpu v_rss v_warm v_list v_err miss
  v_ping="$(target_vs_go ping)"
  v_version="$(target_vs_go version)"
  miss=()
  ge "${R_rps[summary/spot]}" 15000 || miss+=("$(fmt_rps "${R_rps[summary/spot]}") req/s")
  le "${R_p99[summary/spot]}" 5 || miss+=("p99 ${R_p99[summary/spot]} ms")
  if [ ${#miss[@]} -eq 0 ]; then v_summary=PASS; else v_summary="MISS ($(printf '%s; ' "${miss[@]}" | sed 's/; $//'))"; fi
  if [ -n "$cpu_baseline" ]; then
    if le "${R_cpu[summary/spot]}" "$(awk -v b="$cpu_baseline" 'BEGIN {print b / 2}')"; then t=0; else t=1; fi
    v_cpu="$(verdict $t "$(ratio_of "${R_cpu[summary/spot]}" "$cpu_baseline")× the baseline")"
    cpu_goal="≤ half of $cpu_baseline µs (--cpu-baseline)"
  else
    v_cpu="for comparison (give --cpu-baseline US for a verdict)"
    cpu_goal="half the figure before the change"
  fi
  if le "$rss_after_kb" $(( 96 * 1024 )); then t=0; else t=1; fi
  v_rss="$(verdict $t "$(awk -v k="$rss_after_kb" 'BEGIN {printf "%.1f MiB over", k / 1024 - 96}')")"
  if le "$warm_ms" 500; then t=0; else t=1; fi
  v_warm="$(verdict $t "$(( warm_ms - 500 )) ms over")"
  if [ "$list_ratio" != n/a ] && le "$list_ratio" 1.2; then t=0; else t=1; fi
  v_list="$(verdict $t "${list_ratio}× the simulator")"
  if [ "$total_errors" -eq 0 ]; then t=0; else t=1; fi
  v_err="$(verdict $t "$total_errors errors; see the notes")"

  targets_table() {
    echo "| target | goal | measured | verdict |"
    echo "| --- | --- | --- | --- |"
    echo "| \`/ping\` | ≥ the Go service's rate, p99 ≤ 5 ms | $(cell ping/spot rps) req/s vs Go $(cell ping/go rps) ($(ratio_cell ping/spot ping/go rps)), p99 $(cell ping/spot p99) ms | $v_ping |"
    echo "| \`/version\` | ≥ the Go service's rate, p99 ≤ 5 ms | $(cell version/spot rps) req/s vs Go $(cell version/go rps) ($(ratio_cell version/spot version/go rps)), p99 $(cell version/spot p99) ms | $v_version |"
    echo "| authenticated instance summary | ≥ 15,000 req/s, p99 ≤ 5 ms | $(cell summary/spot rps) req/s, p99 $(cell summary/spot p99) ms | $v_summary |"
    echo "| CPU per proxied read (summary, 1 request = 2 Spot reads) | $cpu_goal | $(cell summary/spot cpu) µs/req | $v_cpu |"
    echo "| RSS after the whole bench, the service alone | ≤ 96 MiB | $(mib "$rss_after_kb") MiB (VmHWM $(mib "$rss_peak_kb") MiB) | $v_rss |"
    echo "| process start → first pong, warm (CDS archive present) | ≤ 500 ms | $warm_ms ms (median of $warm_starts: $warm_all) | $v_warm |"
    echo "| process start → first pong, first start (no archive) | unchanged or better | $cold_ms ms | for comparison |"
    echo "| list of $n_fmt instances, median per request | ≤ 1.2× the simulator's own list | $(cell list/spot p50) ms vs $(cell list/sim p50) ms: ${list_ratio}× (p90 ${list_ratio_p90}×) | $v_list |"
    echo "| errors in spot-api's runs (non-2xx/3xx, socket) | 0 | $total_errors | $v_err |"
  }

  overview_table() {
    echo "| scenario | Go req/s | spot-api req/s | spot-api / Go | Go p99 ms | spot-api p99 ms | Go CPU µs/req | spot-api CPU µs/req |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    local s
    for s in ping version summary list mix; do
      echo "| $s | $(cell "$s/go" rps) | $(cell "$s/spot" rps) | $(ratio_cell "$s/spot" "$s/go" rps) | $(cell "$s/go" p99) | $(cell "$s/spot" p99) | $(cell "$s/go" cpu) | $(cell "$s/spot" cpu) |"
    done
  }

  list_table() {
    echo "| measure (one connection, sequential requests) | simulator alone (a) | spot-api (b) | Go service (c) | b / a | c / a |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: |"
    local f label
    for f in p50 p90 p99 rps cpu req err; do
      label="$(measure_label "$f" "median ms")"
      case "$f" in
        req|err) echo "| $label | $(cell list/sim "$f") | $(cell list/spot "$f") | $(cell list/go "$f") | | |" ;;
        *) echo "| $label | $(cell list/sim "$f") | $(cell list/spot "$f") | $(cell list/go "$f") | $(ratio_cell list/spot list/sim "$f") | $(ratio_cell list/go list/sim "$f") |" ;;
      esac
    done
  }

  memory_table() {
    g() { if [ -n "$go" ]; then echo "$1"; else echo "—"; fi; }   # a Go figure, or — without the Go service
    echo "| measure | Go service | spot-api |"
    echo "| --- | ---: | ---: |"
    echo "| process start → first \`pong\`, first start of the run | $(g "$go_pong_ms ms") | $cold_ms ms (no class-data-sharing archive; CPU by then $cold_cpu_ms ms) |"
    echo "| process start → first \`pong\`, warm (archive present), median | — | $warm_ms ms ($warm_all; CPU by then $warm_cpu_ms ms) |"
    echo "| CPU time used by the first pong (user + system, all threads) | $(g "$go_pong_cpu_ms ms") | $warm_cpu_ms ms (warm) |"
    echo "| RSS at first pong | $(g "$(mib "$go_rss_first_kb") MiB") | $(mib "$rss_first_kb") MiB |"
    echo "| RSS idle (2 s after first pong, no traffic) | — | $(mib "$rss_idle_kb") MiB |"
    echo "| RSS after the whole bench (VmRSS) | $(g "$(mib "$go_rss_after_kb") MiB") | $(mib "$rss_after_kb") MiB |"
    echo "| peak RSS (VmHWM) | $(g "$(mib "$go_rss_peak_kb") MiB") | $(mib "$rss_peak_kb") MiB |"
    echo "| the simulator (separate process), RSS after the bench | $(mib "$sim_rss_kb") MiB | |"
  }

  {
    echo "# spot-api benchmark results (issue 27: side by side with the Go service)"
    echo
    echo "Written by \`bench/run.sh\` (see [bench/README.md](README.md)); rerun with:"
    echo
    echo '```sh'
    echo "$command_line"
    echo '```'
    echo
    echo "Machine state of this run: $load_label."
    if [ -n "$busy_md" ]; then
      echo
      echo "$busy_md"
    fi
    echo
    echo "## Run"
    echo
    echo "| | |"
    echo "| --- | --- |"
    echo "| date | $run_date |"
    echo "| CPUs (nproc) | $m_nproc |"
    echo "| CPU | $m_cpu |"
    echo "| memory | $m_mem |"
    echo "| kernel | $m_kernel |"
    echo "| Java | $m_java |"
    echo "| wrk | $m_wrk |"
    echo "| CPU used by other work just before the run | $m_busy% (load average $m_load; after the run $m_load_after) |"
    echo "| niceness of the bench and the processes it starts | $m_nice |"
    echo "| spot-api | $app_version; checkout $git_rev$git_dirty; jar sha256 $jar_sha… |"
    echo "| JVM flags (from ./spot-api) | \`$jvm_flags\`${service_java_opts:+ + JAVA_OPTS \`$service_java_opts\`} |"
    if [ -n "$go" ]; then
      echo "| Go service | \`$go_bin\` (sha256 $(sha256sum "$go_bin" | cut -c1-12)…) |"
    else
      echo "| Go service | $go_missing_reason |"
    fi
    echo "| load | \`wrk -t$wrk_threads -c$wrk_connections -d$duration --latency\` after a $warmup warm-up per scenario (not recorded); the list: \`wrk -t1 -c1 -d$list_duration\` after $list_warmup; Go's summary: $go_slow_duration, no warm-up, \`--timeout 10s\` |"
    echo
    echo "spot-api runs as users run it: \`./spot-api -config FILE\` (the launcher's JVM flags and its class-data-sharing"
    echo "archive), against a separate \`spot-api simulator\` process (state in memory) holding $n_fmt managed"
    echo "instances of the configured org, loaded through the simulator's admin API. The old Go service"
    echo "(\`SPOTINST_BASE_URL\` pointing at the same simulator, the same config file) runs beside it; each scenario"
    echo "runs against spot-api, then the Go service, never both at once. Everything is on 127.0.0.1 and wrk"
    echo "shares the $m_nproc CPUs. The authenticated routes carry one \`X-Auth-Token\` (a bcrypt hash of the key):"
    echo "spot-api verifies it once and remembers the result, the Go service runs bcrypt on every request."
    echo "Errors are socket errors plus answers ≥ 400 (for the mix: any answer other than the new id or \`OK\`)."
    echo "CPU µs/req is the CPU time (user + system, all threads) the measured process used during the measured"
    echo "run divided by its requests: it barely depends on other load."
    echo
    echo "## Targets (issue 27)"
    echo
    targets_table
    echo
    echo "## Side by side"
    echo
    overview_table
    echo
    echo "### ping: \`GET /v1/spot/ping\`"
    echo
    pair_table ping
    echo
    echo "### version: \`GET /v1/spot/version\`"
    echo
    pair_table version
    echo
    echo "### summary: \`GET /v1/spot/$account/instances/{id}\` (authenticated; spot-api reads the instance and its status, the Go service the instance)"
    echo
    pair_table summary
    echo
    echo "### list: \`GET /v1/spot/$account/instances\`, $n_fmt instances"
    echo
    echo "Per-request latency of the list, one request at a time (\`wrk -t1 -c1\`): (a) the simulator's own"
    echo "\`GET /aws/ec2/managedInstance\` ($(( sim_list_bytes / 1024 )) KiB of JSON), (b) spot-api's list (the org filter applied"
    echo "to the same answer), (c) the Go service's."
    echo
    list_table
    echo
    echo "### mix: \`POST\` + \`DELETE /v1/spot/$account/instances\` (spot-api only)"
    echo
    pair_table mix
    echo
    echo "### The simulator alone: \`GET /aws/ec2/managedInstance/{id}\` (the Spot read a summary makes)"
    echo
    echo "$(cell read/sim rps) req/s, p50 $(cell read/sim p50) ms, p99 $(cell read/sim p99) ms, $(cell read/sim cpu) µs CPU/req, $(cell read/sim err) errors."
    echo
    echo "## Start and memory"
    echo
    memory_table
    if [ -n "$log_md" ]; then
      echo
      echo "$log_md"
    fi
    if [ -n "$nmt_md" ]; then
      echo
      echo "$nmt_md"
    fi
    if [ -n "$profile_md" ]; then
      echo
      echo "$profile_md"
    fi
    echo
    echo "## Raw wrk output"
    echo
    for k in "${runs[@]}"; do
      echo "<details><summary>$k</summary>"
      echo
      echo '```text'
      grep -v '^BENCH ' "$work/${k//\//-}.txt" || true
      echo '```'
      echo
      echo "</details>"
    done
  } >"$work/results.md"
  cp "$work/results.md" "$output"

  echo
  [ -z "$busy_md" ] || { echo "$busy_md" | sed 's/\*\*//g; s/`//g'; echo; }
  echo "Targets (issue 27)"
  targets_table
  echo
  echo "Side by side"
  overview_table
  echo
  echo "List of $n_fmt instances"
  list_table
  echo
  memory_table
  if [ -n "$log_md" ]; then echo; echo "$log_md"; fi
  echo
  log "results written to $output"
}
