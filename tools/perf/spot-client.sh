#!/usr/bin/env bash
# CPU per Spot GET of the JDK's java.net.http.HttpClient against Jetty's HTTP client (issue 27; the measured
# reason for spot.SpotHttp, README Design), alternated against one standalone simulator:
#
#   bash tools/perf/spot-client.sh [--rounds 2]
#
# Compiles tools/perf/spotclient/SpotClientSpike.java against the launcher's class path, then per round runs
# each client for 5 s of warm-up and 3 measured windows of 5 s with the launcher's JIT and heap flags (C1 only,
# serial GC, 64 MiB); 16 GETs of one managed instance stay in flight. Prints req/s and the client process's CPU
# µs per request (user + system, all threads: it barely depends on other load). Everything on 127.0.0.1.
set -euo pipefail
# shellcheck source=tools/perf/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
rounds=2
[ "${1:-}" = --rounds ] && rounds="$2"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
with_work_dir
"$root/spot-api" --version >/dev/null
javac -d "$work/classes" -cp "$(cat "$root/target/launcher/classpath")" "$root/tools/perf/spotclient/SpotClientSpike.java"
start_simulator "$root" act-perf0001 perftoken
body='{"managedInstance":{"name":"perf","region":"us-east-1","compute":{"subnetIds":["subnet-0123"],"vpcId":"vpc-0123456789abcdef0","launchSpecification":{"instanceTypes":{"preferredType":"t3a.micro","types":["t3a.micro"]},"imageId":"ami-0123"}}}}'
id="$(curl -sS -H 'Authorization: Bearer perftoken' -H 'Content-Type: application/json' -d "$body" \
  "$sim_url/aws/ec2/managedInstance?accountId=act-perf0001" | grep -o 'smi-[A-Za-z0-9]*' | head -n 1)"
url="$sim_url/aws/ec2/managedInstance/$id?accountId=act-perf0001"
flags=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx64m -Xmn4m -Djava.util.concurrent.ForkJoinPool.common.parallelism=4)
for ((r = 1; r <= rounds; r++)); do
  for mode in jdk jetty; do
    java "${flags[@]}" -cp "$work/classes:$(cat "$root/target/launcher/classpath")" SpotClientSpike "$mode" "$url" 5 5 3 2>/dev/null
  done
done
