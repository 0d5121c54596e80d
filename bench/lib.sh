# The helpers of bench/run.sh, which sources this file after reading its arguments; the order of the
# run (what is measured, in which order) is in run.sh. Every function reads and sets the global
# variables named in its comment; every request goes to 127.0.0.1.
#
#   logging, units ...... log, die, seconds_of, now_us, mib
#   processes ........... bench_init (work dir, traps), start_group, stop_group, run_waited, free_port
#   measurements ........ cpu_ms, rss_kb, await_pong
#   preparing ........... prepare_app (build, wrk, snapshot of ./spot-api), machine_facts
#   service, simulator .. start_service, start_simulator, write_config, create_instances, check
#   scenarios ........... run_scenario, simulator_alone, service_alone, memory_after_load
#   profile ............. profile_if_needed (JFR, when a target is missed or with --profile)
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
  groups=("${kept[@]}")
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
  for g in "${groups[@]}"; do stop_group "$g"; done
  if [ "$rc" -eq 0 ]; then
    rm -rf "$work"
  else
    log "failed (exit $rc); logs kept in $work"
  fi
  exit "$rc"
}

# Starts "$@" in its own session and process group, output to file $1; sets $started_pid.
start_group() {
  local logfile="$1"; shift
  setsid "$@" >"$logfile" 2>&1 </dev/null &
  started_pid=$!
  groups+=("$started_pid")
}

free_port() {
  local p i
  for ((i = 0; i < 100; i++)); do
    p=$(( 20000 + RANDOM % 40000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && ! ss -Htln "sport = :$p" 2>/dev/null | grep -q .; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

# CPU time (user + system) a process has used, in ms: unlike rates and latencies, it hardly depends on
# what else runs on the machine, so it stays comparable when the machine is busy.
cpu_ms() { sed 's/.*) //' "/proc/$1/stat" | awk -v t="$clk_tck" '{printf "%.0f", ($12 + $13) * 1000 / t}'; }
rss_kb() { awk -v f="${2:-VmRSS}:" '$1 == f {print $2}' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

clk_tck="$(getconf CLK_TCK 2>/dev/null || echo 100)"

# bench_init: durations in seconds, the work dir ($work), clean-up traps, the result tables.
bench_init() {
  duration_s="$(seconds_of "$duration")" || die "bad --duration: $duration (e.g. 10s, 1m)"
  warmup_s="$(seconds_of "$warmup")" || die "bad --warmup: $warmup (e.g. 5s, 0)"
  [ "$duration_s" -ge 1 ] || die "--duration must be at least 1s"
  work="$(mktemp -d "${TMPDIR:-/tmp}/spot-api-bench.XXXXXX")"
  groups=()
  trap cleanup EXIT
  trap 'log "failed at line $LINENO: $BASH_COMMAND"' ERR
  trap 'exit 130' INT
  trap 'exit 143' TERM
  declare -gA R_cpu R_url R_rps R_p50 R_p90 R_p99 R_err R_req R_note
  scenarios=()
}

# prepare_app: builds (unless --no-build), installs wrk if missing, snapshots the launcher into
# $app and records its CDS archive; sets app, app_version, jvm_flags, jar_sha, git_rev, git_dirty.
prepare_app() {
  launcher_dir="$root/target/launcher"
  jar="$launcher_dir/spot-api-app.jar"
  if [ "$build" -eq 1 ]; then
    log "building what ./spot-api runs (mvn -B -q process-classes -Dmaven.test.skip=true)"
    run_waited timeout 1800 mvn -B -q -f "$root/pom.xml" process-classes -Dmaven.test.skip=true >"$work/build.log" 2>&1 \
      || { tail -n 40 "$work/build.log" >&2; die "the build failed (log above)"; }
  fi
  [ -f "$jar" ] && [ -f "$launcher_dir/classpath" ] || die "$jar is missing (run without --no-build)"

  if ! command -v wrk >/dev/null 2>&1; then
    log "installing wrk from Debian"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    run_waited timeout 600 $sudo apt-get update >"$work/apt.log" 2>&1 \
      && run_waited timeout 600 $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >>"$work/apt.log" 2>&1 \
      || { tail -n 20 "$work/apt.log" >&2; die "could not install wrk"; }
  fi
  command -v curl >/dev/null 2>&1 || die "curl is needed"
  command -v setsid >/dev/null 2>&1 || die "setsid (util-linux) is needed"
  command -v pgrep >/dev/null 2>&1 || die "pgrep (procps) is needed"

  # The run uses a snapshot of the launcher and its app jar and class path: byte for byte the ./spot-api
  # users run (its JVM flags stay in that one script), but immune to a concurrent build rewriting
  # target/, and, having no src/ beside it, it never rebuilds in the middle of the measurement.
  app="$work/app"
  mkdir -p "$app/target/launcher"
  cp "$root/spot-api" "$app/spot-api"
  chmod +x "$app/spot-api"
  # A build running beside this one may be halfway through rewriting the jar: check the copy starts.
  for ((i = 1; ; i++)); do
    cp "$jar" "$launcher_dir/classpath" "$app/target/launcher/"
    if timeout 60 "$app/spot-api" -version >"$work/version.txt" 2>&1 && grep -q '^spot-api ' "$work/version.txt"; then
      break
    fi
    [ "$i" -lt 60 ] || die "$jar does not start: $(head -n 3 "$work/version.txt")"
    log "the jar does not start (being rebuilt?): $(head -n 1 "$work/version.txt"); retrying in 2 s"
    sleep 2
  done
  # That first start recorded the class-data-sharing archive in the background, as for a user's first
  # start; the measured starts use it (a user's second and later starts).
  log "waiting for the launcher's class-data-sharing archive"
  for ((i = 0; i < 1800; i++)); do
    [ -f "$app/target/launcher/spot-api.jsa" ] && break
    sleep 0.1
  done
  [ -f "$app/target/launcher/spot-api.jsa" ] || die "no class-data-sharing archive after 180 s: $(tail -n 3 "$app/target/launcher/cds.log" 2>/dev/null)"
  app_version="$(head -n 1 "$work/version.txt")"
  jvm_flags="$(sed -n '/^jvm_flags=(/,/)/p' "$root/spot-api" | tr '\n' ' ' | sed -e 's/^jvm_flags=(//' -e 's/).*//' | tr -s ' ') + class-data-sharing archive, MALLOC_ARENA_MAX=2"
  jar_sha="$(sha256sum "$app/target/launcher/spot-api-app.jar" | cut -c1-12)"
  git_rev="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  git_dirty="$(git --no-optional-locks -C "$root" status --porcelain -- src pom.xml 2>/dev/null | grep -q . && echo ' + uncommitted changes' || true)"
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
  # Share of all CPUs busy over 2 s while this script does nothing: other work on the machine.
  cpu_sample() { awk '$1 == "cpu" {idle = $5 + $6; total = 0; for (i = 2; i <= 9; i++) total += $i; print idle, total}' /proc/stat; }
  read -r idle1 total1 < <(cpu_sample)
  sleep 2
  read -r idle2 total2 < <(cpu_sample)
  m_busy=$(( total2 > total1 ? 100 - 100 * (idle2 - idle1) / (total2 - total1) : 0 ))
  [ "$m_busy" -lt 25 ] || log "warning: the machine is busy ($m_busy% CPU used by other work); figures will be low"
  run_date="$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
}

# A separate `spot-api simulator` process (same launcher, so the same JVM flags), state in SQLite as
# in sandbox mode, with one managed instance to read; sets sim, sim_url, sim_read, sim_auth.
start_simulator() {
  log "starting a separate Spot simulator"
  start_group "$work/simulator.log" "$app/spot-api" simulator --port 0 --bind 127.0.0.1 \
    --data-dir "$work/simulator" --account "$sim_account=$sim_token"
  sim="$started_pid"
  sim_url=""
  for ((i = 0; i < start_timeout * 100; i++)); do
    sim_url="$(sed -n 's/^Spot simulator listening on \(http:[^ ]*\).*/\1/p' "$work/simulator.log" | sed -n "1,1p")"
    [ -n "$sim_url" ] && break
    kill -0 "$sim" 2>/dev/null || { tail -n 30 "$work/simulator.log" >&2; die "the simulator exited during start-up"; }
    sleep 0.01
  done
  [ -n "$sim_url" ] || die "the simulator did not start within ${start_timeout}s"
  sim_body='{"managedInstance":{"name":"bench","region":"us-east-1","compute":{"subnetIds":["subnet-0123"],"vpcId":"vpc-0123456789abcdef0","launchSpecification":{"instanceTypes":{"preferredType":"t3a.micro","types":["t3a.micro"]},"imageId":"ami-0123","tags":[{"tagKey":"CreatedBy","tagValue":"bench"},{"tagKey":"spinup:org","tagValue":"sandbox"}]}}}}'
  sim_auth=(-H "Authorization: Bearer $sim_token")
  sim_answer="$(curl -sS --max-time 10 "${sim_auth[@]}" -H 'Content-Type: application/json' -d "$sim_body" \
    "$sim_url/aws/ec2/managedInstance?accountId=$sim_account")" || die "creating an instance in the simulator failed"
  sim_id="$(printf '%s' "$sim_answer" | grep -o '"id" *: *"smi-[A-Za-z0-9]*"' | sed -n "1,1p" | sed 's/.*"\(smi-[A-Za-z0-9]*\)"/\1/')"
  [ -n "$sim_id" ] || die "the simulator's create answered: $(printf '%s' "$sim_answer" | head -c 300)"
  sim_read="$sim_url/aws/ec2/managedInstance/$sim_id?accountId=$sim_account"
}

# write_config PORT: a config file serving the account "sandbox" from the separate simulator.
write_config() {
  cat >"$work/config.json" <<CONFIG
{
  "listenAddress": "127.0.0.1:$1",
  "accounts": {
    "sandbox": {"region": "us-east-1", "id": "$sim_account", "token": "$sim_token",
                "defaultVPC": "vpc-0123456789abcdef0", "endpoint": "$sim_url"}
  },
  "token": "$key",
  "logLevel": "info",
  "org": "sandbox"
}
CONFIG
}

# await_pong PID BASE_URL LOG T0_US: polls /ping every 10 ms; sets pong_ms (since T0), pong_cpu_ms, pong_rss_kb.
await_pong() {
  local pid="$1" url="$2" logfile="$3" since="$4"
  while :; do
    if [ "$(curl -s --max-time 1 "$url/ping" 2>/dev/null || true)" = pong ]; then break; fi
    kill -0 "$pid" 2>/dev/null || { tail -n 30 "$logfile" >&2; die "spot-api exited during start-up"; }
    [ $(( $(now_us) - since )) -lt $(( start_timeout * 1000000 )) ] \
      || { tail -n 30 "$logfile" >&2; die "no pong within ${start_timeout}s"; }
    sleep 0.01
  done
  pong_ms="$(awk -v d=$(( $(now_us) - since )) 'BEGIN {printf "%.0f", d / 1000}')"
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = java ] || die "process $pid is not java; the launcher must exec java"
  pong_rss_kb="$(rss_kb "$pid")"
  pong_cpu_ms="$(cpu_ms "$pid")"
}

# start_service: ./spot-api in sandbox mode (or from a config file against a separate simulator);
# sets port, base, svc, first_pong_ms, rss_first_kb, cpu_first_ms, token, rss_idle_kb, service_desc.
start_service() {
  port="$(free_port)" || die "no free loopback port found"
  base="http://127.0.0.1:$port/v1/spot"
  if [ "$separate" -eq 1 ]; then
    start_simulator
    write_config "$port"
    service_args=(-config "$work/config.json")
    service_desc='`./spot-api -config FILE` against a separate `spot-api simulator` process (state in SQLite)'
  else
    service_args=(--sandbox --sandbox-dir "$work/sandbox")
    service_desc='`./spot-api --sandbox` (the simulator in-process, state in SQLite in a fresh temporary dir)'
  fi
  log "starting spot-api ${service_args[*]} on 127.0.0.1:$port"
  service_java_opts="${JAVA_OPTS:-}"
  [ "$nmt" -eq 0 ] || service_java_opts="${service_java_opts:+$service_java_opts }-XX:NativeMemoryTracking=summary"
  t0="$(now_us)"
  SPOT_API_LISTEN="127.0.0.1:$port" SPOT_API_TOKEN="$key" JAVA_OPTS="$service_java_opts" \
    start_group "$work/service.log" "$app/spot-api" "${service_args[@]}"
  svc="$started_pid"
  await_pong "$svc" "$base" "$work/service.log" "$t0"
  first_pong_ms="$pong_ms"
  rss_first_kb="$pong_rss_kb"
  cpu_first_ms="$pong_cpu_ms"
  log "first pong after $first_pong_ms ms, $cpu_first_ms ms of CPU (RSS then $(mib "$rss_first_kb") MiB)"

  for ((i = 0; separate == 0 && i < start_timeout * 10; i++)); do
    grep -q 'X-Auth-Token   :' "$work/service.log" && break
    sleep 0.1
  done
  # the key is ours (SPOT_API_TOKEN): the banner shows no token for it, only how to make one
  token="$("$app/spot-api" hash-token "$key")"

  sleep 2
  rss_idle_kb="$(rss_kb "$svc")"
  log "RSS idle: $(mib "$rss_idle_kb") MiB"
}

# create_instances N: N managed instances through the service; sets ids, id (the first), auth, create_body.
create_instances() {
  # Managed instances to read (the README's example body).
  create_body='{"name":"bench","region":"us-east-1","compute":{"subnetIds":["subnet-0123"],"launchSpecification":{"instanceTypes":{"preferredType":"t3a.micro","types":["t3a.micro"]},"imageId":"ami-0123","tags":[{"tagKey":"CreatedBy","tagValue":"bench"}]}}}'
  auth=(-H "X-Auth-Token: $token")
  ids=()
  for ((i = 1; i <= $1; i++)); do
    answer="$(curl -sS --max-time 10 -w '\n%{http_code}' "${auth[@]}" -H 'Content-Type: application/json' \
      -d "${create_body/\"bench\"/\"bench-$i\"}" "$base/sandbox/instances")" || die "POST /sandbox/instances failed"
    code="${answer##*$'\n'}"; body="${answer%$'\n'*}"
    id="$(printf '%s' "$body" | sed -n 's/^"\(smi-[A-Za-z0-9]*\)"$/\1/p')"
    [ "$code" = 200 ] && [ -n "$id" ] || die "creating an instance answered $code: $body"
    ids+=("$id")
  done
  id="${ids[0]}"
  log "created $1 managed instances; reading $id"
}

# Each scenario's request, checked once with curl before wrk: 200 expected.
check() {
  local name="$1" url="$2"; shift 2
  local code
  code="$(curl -s --max-time 10 -o "$work/$name.sample" -w '%{http_code}' "$@" "$url")" || code="curl-failed"
  [ "$code" = 200 ] || die "$name: $url answered $code: $(head -c 300 "$work/$name.sample" 2>/dev/null)"
}


# run_scenario NAME DESCRIPTION URL [wrk args...]: warm-up (not recorded), then the measured run.
run_scenario() {
  local name="$1" desc="$2" url="$3"; shift 3
  case "$url" in http://127.0.0.1:*) ;; *) die "refusing a non-loopback target: $url" ;; esac
  local wrk_cmd=(wrk -t"$wrk_threads" -c"$wrk_connections" --latency "$@")
  if [ "$warmup_s" -gt 0 ]; then
    log "$name: warm-up $warmup"
    BENCH_DIR="$bench_dir" run_waited timeout $(( warmup_s + 60 )) "${wrk_cmd[@]}" -d"$warmup" "$url" \
      >"$work/$name.warmup.txt" 2>&1 || die "$name: wrk warm-up failed: $(tail -n 5 "$work/$name.warmup.txt")"
  fi
  log "$name: measuring $duration"
  local cpu0; cpu0="$(cpu_ms "$cpu_pid")"
  BENCH_DIR="$bench_dir" run_waited timeout $(( duration_s + 60 )) "${wrk_cmd[@]}" -d"$duration" "$url" \
    >"$work/$name.txt" 2>"$work/$name.err" || die "$name: wrk failed: $(tail -n 5 "$work/$name.err")"
  local cpu1; cpu1="$(cpu_ms "$cpu_pid")"
  local line
  line="$(grep '^BENCH ' "$work/$name.txt" | tail -n 1)"
  [ -n "$line" ] || die "$name: no BENCH line in the wrk output ($work/$name.txt)"
  val() { printf '%s\n' "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
  scenarios+=("$name")
  R_url[$name]="$desc"
  R_req[$name]="$(val requests)"
  R_cpu[$name]="$(awk -v c=$(( cpu1 - cpu0 )) -v n="$(val requests)" 'BEGIN {printf "%.0f", (n > 0 ? c * 1000 / n : 0)}')"
  R_rps[$name]="$(val rps)"
  R_p50[$name]="$(awk -v u="$(val p50_us)" 'BEGIN {printf "%.2f", u / 1000}')"
  R_p90[$name]="$(awk -v u="$(val p90_us)" 'BEGIN {printf "%.2f", u / 1000}')"
  R_p99[$name]="$(awk -v u="$(val p99_us)" 'BEGIN {printf "%.2f", u / 1000}')"
  local socket=$(( $(val connect) + $(val read) + $(val write) + $(val timeout) ))
  local status; status="$(val status)"
  local failed; failed="$(val failed)"
  if [ -n "$failed" ]; then
    R_err[$name]=$(( socket + failed ))
    R_note[$name]="$(val created) created, $(val deleted) deleted, $failed unexpected answers"
  else
    R_err[$name]=$(( socket + status ))
    R_note[$name]=""
  fi
  [ "$socket" -eq 0 ] || R_note[$name]="${R_note[$name]:+${R_note[$name]}; }socket errors: connect $(val connect), read $(val read), write $(val write), timeout $(val timeout)"
  [ "$status" -eq 0 ] || R_note[$name]="${R_note[$name]:+${R_note[$name]}; }$status answers >= 400"
  if grep -q . "$work/$name.err"; then
    R_note[$name]="${R_note[$name]:+${R_note[$name]}; }$(head -n 1 "$work/$name.err" | cut -c1-200)"
  fi
  log "$name: $(printf '%.0f' "${R_rps[$name]}") req/s, p50 ${R_p50[$name]} ms, p90 ${R_p90[$name]} ms, p99 ${R_p99[$name]} ms, errors ${R_err[$name]}"
}

# simulator_alone: the same Spot read from the separate simulator process; sets sim_rss_kb.
simulator_alone() {
  check simulator "$sim_read" "${sim_auth[@]}"
  cpu_pid="$sim"
  run_scenario simulator "simulator alone: GET /aws/ec2/managedInstance/{id} (Bearer)" \
    "$sim_read" -s "$bench_dir/report.lua" "${sim_auth[@]}"
  sim_rss_kb="$(rss_kb "$sim")"
}

# service_alone: the service from a config file against the separate simulator: its own start-up
# time and memory (what runs in production); sets alone_* figures.
service_alone() {
  alone_port="$(free_port)" || die "no free loopback port found"
  alone_base="http://127.0.0.1:$alone_port/v1/spot"
  write_config "$alone_port"
  sleep 2 # let the simulator's JIT finish what the last load queued before timing a start beside it
  log "starting spot-api -config FILE (the service alone) on 127.0.0.1:$alone_port"
  t0="$(now_us)"
  JAVA_OPTS="$service_java_opts" start_group "$work/service-alone.log" "$app/spot-api" -config "$work/config.json"
  alone="$started_pid"
  await_pong "$alone" "$alone_base" "$work/service-alone.log" "$t0"
  alone_pong_ms="$pong_ms"
  alone_cpu_first_ms="$pong_cpu_ms"
  log "service alone: first pong after $alone_pong_ms ms, $alone_cpu_first_ms ms of CPU"
  sleep 2
  alone_rss_idle_kb="$(rss_kb "$alone")"
  alone_auth=(-H "X-Auth-Token: $("$app/spot-api" hash-token "$key")")
  check summary-alone "$alone_base/sandbox/instances/$sim_id" "${alone_auth[@]}"
  cpu_pid="$alone"
  run_scenario summary-alone "service alone: GET /v1/spot/sandbox/instances/{id} (auth; 2 reads from the separate simulator)" \
    "$alone_base/sandbox/instances/$sim_id" -s "$bench_dir/report.lua" "${alone_auth[@]}"
  BENCH_TOKEN="${alone_auth[1]#X-Auth-Token: }" BENCH_CREATE_BODY="${create_body/\"bench\"/\"bench-alone\"}" \
    run_scenario mix-alone "service alone: POST + DELETE (auth), alternating" \
    "$alone_base/sandbox/instances" -s "$bench_dir/create-delete.lua"
  alone_rss_after_kb="$(rss_kb "$alone")"
  alone_rss_peak_kb="$(rss_kb "$alone" VmHWM)"
  log "service alone: RSS idle $(mib "$alone_rss_idle_kb") MiB, after load $(mib "$alone_rss_after_kb") MiB"
  stop_group "$alone"
}

# memory_after_load: sets rss_after_kb, rss_peak_kb and, with --nmt, nmt_md.
memory_after_load() {
  rss_after_kb="$(rss_kb "$svc")"
  rss_peak_kb="$(rss_kb "$svc" VmHWM)"
  log "RSS after load: $(mib "$rss_after_kb") MiB (peak $(mib "$rss_peak_kb") MiB)"
  nmt_md=""
  if [ "$nmt" -eq 1 ]; then
    if timeout 60 jcmd "$svc" VM.native_memory summary scale=KB >"$work/nmt.txt" 2>&1; then
      nmt_md="$(
        echo "## Native memory after load (NMT)"
        echo
        echo "\`jcmd PID VM.native_memory summary\` right after the RSS-after-load reading (the run had"
        echo "\`-XX:NativeMemoryTracking=summary\`, which itself costs some memory and speed)."
        echo
        echo "| area | committed MiB | reserved MiB |"
        echo "| --- | ---: | ---: |"
        sed -n 's/^Total: *reserved=\([0-9]*\)KB, committed=\([0-9]*\)KB.*/total \2 \1/p;
                s/^-  *\(.*[^ ]\) *(reserved=\([0-9]*\)KB, committed=\([0-9]*\)KB).*/\1 \3 \2/p' "$work/nmt.txt" \
          | awk '{r = $NF; c = $(NF - 1); $NF = ""; $(NF - 1) = ""; sub(/ +$/, ""); printf "| %s | %.1f | %.1f |\n", $0, c / 1024, r / 1024}'
      )"
    else
      nmt_md="## Native memory after load (NMT)"$'\n\n'"jcmd failed: $(tail -n 2 "$work/nmt.txt")"
    fi
  fi
}

ge() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a + 0 >= b + 0)}'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a + 0 <= b + 0)}'; }

# profile_if_needed: sets ratio, service_missed, profile_md.
profile_if_needed() {
  ratio="$(awk -v s="${R_rps[summary]}" -v p="${R_rps[ping]}" 'BEGIN {printf "%.3f", (p > 0 ? s / p : 0)}')"
  service_missed=0
  le "${R_p99[summary]}" 10 || service_missed=1
  ge "$ratio" 0.25 || service_missed=1
  ge "${R_rps[ping]}" 35000 || service_missed=1
  profile_md=""
  if [ "$profile" = always ] || { [ "$profile" = auto ] && [ "$service_missed" -eq 1 ]; }; then
    if command -v jcmd >/dev/null 2>&1 && command -v jfr >/dev/null 2>&1; then
      log "profiling the summary scenario with JFR ($duration)"
      jfr_file="$work/summary.jfr"
      if timeout 60 jcmd "$svc" JFR.start name=bench settings=profile filename="$jfr_file" >"$work/jfr.log" 2>&1; then
        BENCH_DIR="$bench_dir" run_waited timeout $(( duration_s + 60 )) wrk -t"$wrk_threads" -c"$wrk_connections" -d"$duration" \
          -s "$bench_dir/report.lua" "${auth[@]}" "$base/sandbox/instances/$id" >"$work/profile.txt" 2>&1 || true
        timeout 60 jcmd "$svc" JFR.stop name=bench >>"$work/jfr.log" 2>&1 || true
        if [ -s "$jfr_file" ]; then
          run_waited timeout 300 jfr print --stack-depth 64 --events jdk.ExecutionSample "$jfr_file" >"$work/samples.txt" 2>/dev/null || true
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
          total="$(awk -F'\t' '$1 == "total" {print $2}' "$work/profile.tsv")"
          # Threads started during the run, and by what (the frame that called Thread.start).
          run_waited timeout 300 jfr print --stack-depth 8 --events jdk.ThreadStart "$jfr_file" >"$work/threads.txt" 2>/dev/null || true
          thread_starts="$(grep -c '^jdk.ThreadStart' "$work/threads.txt" || true)"
          profile_requests="$(sed -n 's/^BENCH requests=\([0-9]*\).*/\1/p' "$work/profile.txt")"
          thread_starters="$(awk '/stackTrace = \[/ {getline; f = $0; sub(/^[ \t]+/, "", f); sub(/[ \t]+line:.*/, "", f); n[f]++}
              END {for (k in n) printf "%d\t%s\n", n[k], k}' "$work/threads.txt" | sort -rn | awk -F'\t' 'NR <= 3 {printf "%s`%s` (%d)", (NR > 1 ? ", " : ""), $2, $1}')"
          gc="$(timeout 120 jfr print --events jdk.GarbageCollection "$jfr_file" 2>/dev/null \
            | awk '/sumOfPauses = / {n++; v = $3; u = $4; if (u ~ /^ms/) s += v; else if (u ~ /^s/) s += v * 1000; else if (u ~ /^us/) s += v / 1000; else if (u ~ /^ns/) s += v / 1e6}
                   END {printf "%d collections, %.0f ms of pauses", n, s}')"
          section() {
            awk -F'\t' -v kind="$1" -v total="$total" '$1 == kind {printf "%d\t%s\n", $2, $3}' "$work/profile.tsv" \
              | sort -rn | awk -v n="$2" 'NR <= n' \
              | awk -F'\t' -v total="$total" '{printf "| %.1f%% | `%s` |\n", (total > 0 ? 100 * $1 / total : 0), $2}'
          }
          profile_md="$(
            echo "## Profile of the summary scenario"
            echo
            echo "An extra $duration summary run under Java Flight Recorder (settings=profile), after the figures above."
            echo "$total execution samples (Java code only: time blocked or in native I/O is not sampled); GC during it: $gc."
            echo "Threads started during it: ${thread_starts:-0} for ${profile_requests:-?} requests${thread_starters:+; started from $thread_starters}."
            echo "Its own result: $(grep '^Requests/sec' "$work/profile.txt" | tr -s ' ') (recording on)."
            echo
            echo "Hottest top frames:"
            echo
            echo "| samples | method |"
            echo "| ---: | --- |"
            section top 15
            echo
            echo "First spot-api frame of each sample (where the time is spent, seen from the service's code):"
            echo
            echo "| samples | method |"
            echo "| ---: | --- |"
            section app 12
            echo
            echo "Samples per thread (pool):"
            echo
            echo "| samples | thread |"
            echo "| ---: | --- |"
            section thread 8
          )"
        else
          profile_md="## Profile of the summary scenario"$'\n\n'"JFR produced no recording: $(tail -n 3 "$work/jfr.log")"
        fi
      else
        profile_md="## Profile of the summary scenario"$'\n\n'"jcmd could not start JFR: $(tail -n 3 "$work/jfr.log")"
      fi
    else
      profile_md="## Profile of the summary scenario"$'\n\n'"Not taken: jcmd/jfr (JDK) not found."
    fi
  fi
}

fmt_rps() { printf "%'.0f" "$1" 2>/dev/null || printf '%.0f' "$1"; }
verdict() {   # verdict PASS_CONDITION_EXIT_STATUS MISS_TEXT
  if [ "$1" -eq 0 ]; then echo PASS; else echo "MISS ($2)"; fi
}

scenario_table() {
  echo "| scenario | request | req/s | p50 ms | p90 ms | p99 ms | errors | CPU µs/req | notes |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
  local s
  for s in "${scenarios[@]}"; do
    echo "| $s | ${R_url[$s]} | $(fmt_rps "${R_rps[$s]}") | ${R_p50[$s]} | ${R_p90[$s]} | ${R_p99[$s]} | ${R_err[$s]} | ${R_cpu[$s]} | ${R_note[$s]} |"
  done
}

# write_results: verdicts, bench/results.md (or --output) and the same tables on the terminal.
write_results() {
  m_load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
  # Warnings and errors the service and the simulator logged during the run (a sign of a bug).
  log_md=""
  for f in service simulator; do
    n="$(grep -cE '^[0-9T:.-]+Z? +(WARN|ERROR) ' "$work/$f.log" 2>/dev/null || true)"
    if [ "${n:-0}" -gt 0 ]; then
      log_md="$log_md"$'\n'"- $f log: $n WARN/ERROR lines, e.g.:"$'\n\n''```text'$'\n'
      log_md="$log_md$(grep -E '^[0-9T:.-]+Z? +(WARN|ERROR) ' "$work/$f.log" | cut -c1-300 | awk '!seen[substr($0, 26, 120)]++' | sed -n "1,5p")"
      log_md="$log_md"$'\n''```'
    fi
  done
  [ -z "$log_md" ] || log_md="## Warnings and errors logged"$'\n'"$log_md"
  busy_md=""
  if [ "$m_busy" -ge 25 ]; then
    busy_md="**The machine was busy**: $m_busy% of its CPU time was used by other work in the 2 s before the service"
    busy_md="$busy_md started (load average ${m_load%% *}), so these figures understate spot-api. Rerun on an idle machine."
  fi
  rss_after_mb="$(awk -v k="$rss_after_kb" 'BEGIN {printf "%.1f", k / 1024}')"
  sim_factor="$(awk -v a="${R_rps[simulator]}" -v b="${R_rps[summary]}" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')"
  total_errors=0
  for s in "${scenarios[@]}"; do total_errors=$(( total_errors + R_err[$s] )); done

  if le "${R_p99[summary]}" 10; then t1=0; else t1=1; fi
  v1="$(verdict $t1 "$(awk -v a="${R_p99[summary]}" 'BEGIN {printf "%.2f ms over, %.1fx the target", a - 10, a / 10}')")"
  if ge "$ratio" 0.25; then t2=0; else t2=1; fi
  v2="$(verdict $t2 "$(awk -v r="$ratio" 'BEGIN {printf "%.1f points under", (0.25 - r) * 100}')")"
  if ge "${R_rps[ping]}" 35000; then t3=0; else t3=1; fi
  v3="$(verdict $t3 "$(awk -v a="${R_rps[ping]}" 'BEGIN {printf "%.0f req/s (%.1f%%) under", 35000 - a, (35000 - a) / 350}')")"
  if ge "$sim_factor" 2; then t4=0; else t4=1; fi
  v4="$(verdict $t4 "the simulator serves only ${sim_factor}x the summary rate; a summary costs 2 reads")"
  if le "$rss_after_kb" $(( 96 * 1024 )); then t5=0; else t5=1; fi
  v5="$(verdict $t5 "$(awk -v k="$rss_after_kb" 'BEGIN {printf "%.1f MiB over", k / 1024 - 96}')")"
  if le "$first_pong_ms" 1000; then t6=0; else t6=1; fi
  v6="$(verdict $t6 "$(( first_pong_ms - 1000 )) ms over")"
  if [ "$separate" -eq 0 ]; then
    if le "$alone_rss_after_kb" $(( 96 * 1024 )); then t8=0; else t8=1; fi
    v8="$(verdict $t8 "$(awk -v k="$alone_rss_after_kb" 'BEGIN {printf "%.1f MiB over", k / 1024 - 96}')")"
    if le "$alone_pong_ms" 1000; then t9=0; else t9=1; fi
    v9="$(verdict $t9 "$(( alone_pong_ms - 1000 )) ms over")"
  fi
  if [ "$total_errors" -eq 0 ]; then t7=0; else t7=1; fi
  v7="$(verdict $t7 "$total_errors errors; see the notes column")"

  targets_table() {
    echo "| target | goal | measured | verdict |"
    echo "| --- | --- | --- | --- |"
    echo "| summary p99 at $wrk_connections connections | ≤ 10 ms | ${R_p99[summary]} ms | $v1 |"
    echo "| summary rate / ping rate | ≥ 0.25 | $ratio ($(fmt_rps "${R_rps[summary]}") / $(fmt_rps "${R_rps[ping]}") req/s) | $v2 |"
    echo "| /ping rate | ≥ 35,000 req/s | $(fmt_rps "${R_rps[ping]}") req/s | $v3 |"
    echo "| simulator alone vs proxied summary | ≥ 2× (a summary is 2 Spot reads) | ${sim_factor}× ($(fmt_rps "${R_rps[simulator]}") vs $(fmt_rps "${R_rps[summary]}") req/s) | $v4 |"
    if [ "$separate" -eq 0 ]; then
      echo "| RSS after load, the service alone (config file) | ≤ 96 MiB | $(mib "$alone_rss_after_kb") MiB | $v8 |"
      echo "| RSS after load, sandbox (service + in-process simulator) | ≤ 96 MiB | $rss_after_mb MiB | $v5 |"
      echo "| process start → first pong, config file | ≤ 1000 ms | $alone_pong_ms ms | $v9 |"
      echo "| process start → first pong, sandbox | ≤ 1000 ms | $first_pong_ms ms | $v6 |"
    else
      echo "| RSS after load | ≤ 96 MiB | $rss_after_mb MiB | $v5 |"
      echo "| process start → first pong | ≤ 1000 ms | $first_pong_ms ms | $v6 |"
    fi
    echo "| errors (non-2xx/3xx, socket) | 0 | $total_errors | $v7 |"
  }

  memory_table() {
    echo "| measure | value |"
    echo "| --- | --- |"
    echo "| process start → first \`pong\` | $first_pong_ms ms |"
    echo "| CPU time used by then (user + system, all threads) | $cpu_first_ms ms |"
    echo "| RSS at first pong | $(mib "$rss_first_kb") MiB |"
    echo "| RSS idle (2 s after first pong, no traffic) | $(mib "$rss_idle_kb") MiB |"
    echo "| RSS after load (after the mix scenario) | $(mib "$rss_after_kb") MiB |"
    echo "| peak RSS (VmHWM) | $(mib "$rss_peak_kb") MiB |"
    if [ "$separate" -eq 0 ]; then
      echo "| the service alone (config file, separate simulator): process start → first \`pong\` | $alone_pong_ms ms |"
      echo "| the service alone: CPU time used by then | $alone_cpu_first_ms ms |"
      echo "| the service alone: RSS idle | $(mib "$alone_rss_idle_kb") MiB |"
      echo "| the service alone: RSS after load (summary-alone and mix-alone) | $(mib "$alone_rss_after_kb") MiB |"
      echo "| the service alone: peak RSS (VmHWM) | $(mib "$alone_rss_peak_kb") MiB |"
    fi
    echo "| simulator alone, RSS after its run | $(mib "$sim_rss_kb") MiB |"
  }

  {
    echo "# spot-api benchmark results"
    echo
    echo "Written by \`bench/run.sh\` (see [bench/README.md](README.md)); rerun with:"
    echo
    echo '```sh'
    echo "$command_line"
    echo '```'
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
    echo "| spot-api | $app_version; checkout $git_rev$git_dirty; jar sha256 $jar_sha… |"
    echo "| JVM flags (from ./spot-api) | \`$jvm_flags\`${service_java_opts:+ + JAVA_OPTS \`$service_java_opts\`} |"
    echo "| load | \`wrk -t$wrk_threads -c$wrk_connections -d$duration --latency\`, after a $warmup warm-up per scenario (not recorded) |"
    echo
    echo "The service runs as $service_desc, on 127.0.0.1;"
    echo "wrk runs on the same $m_nproc CPUs. The summary, status and list reads use one of $instances managed"
    echo "instances created before the load, all with one \`X-Auth-Token\`. The last scenario is a separate"
    echo "\`spot-api simulator\` process (the launcher's flags without the C1-only JIT) alone, serving the Spot read that the summary"
    echo "makes twice (after the service was stopped)$( [ "$separate" -eq 1 ] || echo "; then, against that simulator, the service alone from a config file (scenarios *-alone), for its own start-up time and memory")."
    echo "Errors are socket errors plus answers ≥ 400 (for"
    echo "the mix: any answer other than the new id or \`OK\`). CPU µs/req is the CPU time (user + system) the"
    echo "measured process used during the run divided by the requests: it barely depends on other load. RSS is the java process's VmRSS$( [ "$separate" -eq 1 ] || echo " (the sandbox figures include the in-process simulator)")."
    if [ -n "$busy_md" ]; then
      echo
      echo "$busy_md"
    fi
    echo
    echo "## Scenarios"
    echo
    scenario_table
    echo
    echo "## Start and memory"
    echo
    memory_table
    echo
    echo "## Targets (issue 5)"
    echo
    targets_table
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
    for s in "${scenarios[@]}"; do
      echo "<details><summary>$s</summary>"
      echo
      echo '```text'
      grep -v '^BENCH ' "$work/$s.txt" || true
      echo '```'
      echo
      echo "</details>"
    done
  } >"$work/results.md"
  cp "$work/results.md" "$output"

  echo
  [ -z "$busy_md" ] || { echo "$busy_md" | sed 's/\*\*//g'; echo; }
  echo "Scenarios"
  scenario_table
  echo
  memory_table
  echo
  echo "Targets"
  targets_table
  if [ -n "$log_md" ]; then echo; echo "$log_md"; fi
  if [ -n "$nmt_md" ]; then echo; echo "$nmt_md"; fi
  if [ -n "$profile_md" ]; then echo; echo "$profile_md"; fi
  echo
  log "results written to $output"
}
