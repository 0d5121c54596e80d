# Shared by the scripts in tools/perf/ (sourced): a work dir cleaned up on exit, a free loopback port and
# the service's config file.

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
