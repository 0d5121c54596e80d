# Shared by the scripts in tools/perf/ (sourced): a work dir cleaned up on exit, a standalone simulator, a free
# loopback port and the service's config file.

# free_port: a loopback TCP port nothing listens on now (the kernel's choice).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# write_config FILE PORT NAME ACCOUNT_ID SPOT_TOKEN SPOT_URL KEY LOG_LEVEL ORG: a config file serving the
# account NAME (Spot account ACCOUNT_ID at SPOT_URL, e.g. a standalone simulator) on 127.0.0.1:PORT.
write_config() {
  cat >"$1" <<CONFIG
{
  "listenAddress": "127.0.0.1:$2",
  "accounts": {"$3": {"region": "us-east-1", "id": "$4", "token": "$5",
                      "defaultVPC": "vpc-0123456789abcdef0", "endpoint": "$6"}},
  "token": "$7",
  "logLevel": "$8",
  "org": "$9"
}
CONFIG
}

# with_work_dir [TEMPLATE]: sets $work (a new temporary directory, mktemp TEMPLATE if given) and $pids (the
# process groups this script started: add each one's leader pid); on exit every group gets SIGTERM and is
# waited for, and $work is removed.
with_work_dir() {
  work="$(mktemp -d ${1:+"$1"})"
  pids=()
  trap cleanup_work EXIT
  trap 'exit 130' INT TERM
}
cleanup_work() {
  local p
  for p in "${pids[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}

# start_simulator APP ACCOUNT TOKEN: APP/spot-api simulator on a free loopback port (state in $work/sim, log in
# $work/sim.log), serving Spot account ACCOUNT to TOKEN, in its own process group (added to $pids). Sets
# sim_pid and sim_url once it listens; exits 1 with its log when it ends or does not listen within 60 s.
start_simulator() {
  local i
  setsid "$1/spot-api" simulator --port 0 --bind 127.0.0.1 --data-dir "$work/sim" --account "$2=$3" \
    >"$work/sim.log" 2>&1 </dev/null &
  sim_pid=$!
  pids+=("$sim_pid")
  sim_url=""
  for ((i = 0; i < 6000; i++)); do
    sim_url="$(sed -n 's/^Spot simulator listening on \(http:[^ ]*\).*/\1/p' "$work/sim.log" | head -n 1)"
    [ -n "$sim_url" ] && return 0
    kill -0 "$sim_pid" 2>/dev/null || break
    sleep 0.01
  done
  tail -n 20 "$work/sim.log" >&2
  echo "the simulator did not start" >&2
  exit 1
}

# prepare_app APP: has APP/spot-api build what changed and, without a current class-data-sharing archive of
# the service (a new build, or a snapshot: the archive names the jars' paths), record one in the background,
# and waits for it (at most 10 min) so that every timed start is a warm one; says so when there is none.
prepare_app() {
  local jar="$1/target/launcher/spot-api-app.jar" jsa="$1/target/launcher/spot-api-service.jsa" i
  "$1/spot-api" --version >/dev/null 2>&1
  for ((i = 0; i < 3000; i++)); do
    [ -f "$jsa" ] && [ "$jsa" -nt "$jar" ] && return 0
    sleep 0.2
  done
  echo "$1: no class-data-sharing archive: its starts are cold" >&2
}
