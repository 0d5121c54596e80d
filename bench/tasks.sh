#!/usr/bin/env bash
# The async task scenario (issue 21): N async creates in flight, heap/RSS/CPU per task, and the lag from
# Spot reaching the state to the task saying completed. Usage: bash bench/tasks.sh [tasks=1000] [pollMs=500]
# Prints a Markdown block (the figures in bench/README.md came from it).
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -o -q process-test-classes -Dmaven.test.skip.exec=true >/dev/null
LOG=$(mktemp /tmp/task-bench.XXXXXX.log)
echo "simulator log: $LOG" >&2
java -Xmx512m -cp "target/test-classes:target/classes:$(cat target/launcher/classpath)" \
  dev.spotapi.bench.TaskBench "${1:-1000}" "${2:-500}" 2>&1 >"$LOG"
