#!/usr/bin/env bash
# Checks the image tarball without Docker: unpacks its layers into a directory, then runs the
# image's own entrypoint there the way a container runtime would (new mount and PID namespaces,
# /proc, a minimal /dev, the image's user, working directory and environment). Needs root (or
# CAP_SYS_ADMIN and CAP_SYS_CHROOT), util-linux `unshare`, `tar` and `curl`.
#
# Usage: deploy/image/check-image.sh [IMAGE_TAR] [--keep] [--tls URL]
#   IMAGE_TAR  default target/jib-image.tar (mvn -B -Pimage package -DskipTests); a Docker archive
#              or an OCI image layout. Next to target/jib-image.tar it also checks that
#              target/jib-image-oci.tar holds the same image.
#   --keep     keep the unpacked image (its path is printed)
#   --tls URL  also make an HTTPS request from inside the image with its Java runtime (DNS, the CA
#              trust store, TLS cipher suites), e.g. --tls https://api.spotinst.io; needs javac
#              on this machine and network access to URL
#
# Verifies the digests and diff_ids of every layer, prints the image's size and configuration, then
# runs:
#   1. the Java runtime: java -version, and the heap the entrypoint's flags give
#   2. sandbox mode: the entrypoint with `--sandbox --sandbox-dir /tmp/sbx` (simulator state in
#      SQLite, whose native library is extracted to /tmp): /ping, /version, an authenticated call
#   3. config mode as in deploy/k8s: the image's default arguments, a read-only root file system,
#      a tmpfs on /tmp, the config directory mounted read-only at /etc/spot-api, SPOT_API_TOKEN
#      from the environment: /ping, /ready, then SIGTERM and a clean exit
#   4. no config mounted: exit code 2, no silent sandbox
#   5. (--tls) an HTTPS GET of URL with java.net.http, as the service calls Spot
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
project="$(cd "$here/../.." && pwd)"
image_tar="$project/target/jib-image.tar"
keep=0
tls_url=""
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) keep=1 ;;
    --tls) tls_url="${2:?--tls needs a URL}"; shift ;;
    -h|--help) sed -n '2,29p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) image_tar="$1" ;;
  esac
  shift
done

say() { echo "[check-image] $*"; }
die() { echo "[check-image] FAIL: $*" >&2; exit 1; }

[ -f "$image_tar" ] || die "$image_tar not found: run 'mvn -B -Pimage package -DskipTests' first"
[ "$(id -u)" = 0 ] || die "needs root (chroot and mount namespaces)"
for tool in unshare tar curl; do command -v "$tool" >/dev/null || die "$tool not found"; done

work="$(mktemp -d "${TMPDIR:-/tmp}/spot-api-image-check.XXXXXX")"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  if [ "$keep" = 1 ]; then say "kept the unpacked image in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# --- read the image: Docker archive (manifest.json) or OCI layout (index.json) --------------------
# Jib writes compact JSON, so grep/sed read it: no jq needed.
digests_of() { grep -o '"digest":"sha256:[0-9a-f]*"' "$1" | sed 's/.*sha256:\([0-9a-f]*\)"/\1/'; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
# read_image TAR DIR: unpacks TAR into DIR and sets image_format, config_file, layer_files, ref_name
read_image() {
  local tar_file="$1" dir="$2"
  mkdir -p "$dir"
  tar -xf "$tar_file" -C "$dir"
  layer_files=()
  if [ -f "$dir/oci-layout" ] && [ -f "$dir/index.json" ]; then
    image_format="OCI image layout"
    local md; md="$(digests_of "$dir/index.json" | head -n 1)"
    [ "$(sha "$dir/blobs/sha256/$md")" = "$md" ] || die "$tar_file: manifest blob does not match its digest"
    mapfile -t d < <(digests_of "$dir/blobs/sha256/$md")
    config_file="$dir/blobs/sha256/${d[0]}"
    for x in "${d[@]}"; do [ "$(sha "$dir/blobs/sha256/$x")" = "$x" ] || die "$tar_file: blob $x does not match its digest"; done
    for x in "${d[@]:1}"; do layer_files+=("$dir/blobs/sha256/$x"); done
    ref_name="$(grep -o '"org.opencontainers.image.ref.name":"[^"]*"' "$dir/index.json" | sed 's/.*:"\(.*\)"$/\1/')"
  elif [ -f "$dir/manifest.json" ]; then
    image_format="Docker archive"
    local m; m="$(cat "$dir/manifest.json")"
    config_file="$dir/$(grep -o '"Config":"[^"]*"' <<< "$m" | sed 's/.*:"\(.*\)"$/\1/')"
    mapfile -t d < <(grep -o '"Layers":\[[^]]*\]' <<< "$m" | grep -o '"[^"]*\.tar[^"]*"' | tr -d '"')
    for x in "${d[@]}"; do layer_files+=("$dir/$x"); done
    ref_name="$(grep -o '"RepoTags":\["[^"]*"' <<< "$m" | sed 's/.*\["//; s/"$//')"
  else
    die "$tar_file: neither an OCI image layout (index.json) nor a Docker archive (manifest.json)"
  fi
  [ -f "$config_file" ] && [ "${#layer_files[@]}" -gt 0 ] || die "$tar_file: no config or no layers"
  # Each layer, uncompressed, must be the diff_id the config names (what a runtime checks on load).
  mapfile -t diff_ids < <(grep -o '"diff_ids":\[[^]]*\]' "$config_file" | grep -o 'sha256:[0-9a-f]*' | sed 's/sha256://')
  [ "${#diff_ids[@]}" = "${#layer_files[@]}" ] || die "$tar_file: ${#layer_files[@]} layers but ${#diff_ids[@]} diff_ids"
  local k
  for k in "${!layer_files[@]}"; do
    [ "$(gzip -dc "${layer_files[$k]}" | sha256sum | cut -d' ' -f1)" = "${diff_ids[$k]}" ] \
      || die "$tar_file: layer $k does not match diff_id ${diff_ids[$k]}"
  done
}

root="$work/rootfs"
mkdir -p "$root"
chmod 755 "$root"   # the image's / as a runtime creates it (mktemp made $work 0700)
read_image "$image_tar" "$work/image"
layers=("${layer_files[@]}")
config="$(cat "$config_file")"
image_id="$(sha "$config_file")"

# The OCI twin that the profile writes next to the Docker archive must be the same image.
oci_tar="${image_tar%.tar}-oci.tar"
oci_note="(no $(basename "$oci_tar"))"
if [[ "$image_tar" == *-oci.tar ]]; then
  oci_note="(this is the OCI tarball)"
elif [ -f "$oci_tar" ]; then
  main_format="$image_format"; main_ref="$ref_name"
  read_image "$oci_tar" "$work/oci"
  [ "$(sha "$config_file")" = "$image_id" ] || die "$(basename "$oci_tar") holds a different image (config $(sha "$config_file"))"
  oci_note="$(basename "$oci_tar"): $image_format, same image id, $(du -h "$oci_tar" | cut -f1), name $ref_name"
  image_format="$main_format"; ref_name="$main_ref"
  rm -rf "$work/oci"
fi

# Tiny JSON helpers for the config blob: a string field and an array of strings.
json_string() { grep -o "\"$1\":\"[^\"]*\"" <<< "$config" | head -n 1 | sed 's/^"[^"]*":"\(.*\)"$/\1/'; }
json_array() { grep -o "\"$1\":\[[^]]*\]" <<< "$config" | head -n 1 | sed 's/^"[^"]*":\[\(.*\)\]$/\1/' \
  | grep -o '"[^"]*"' | sed 's/^"\(.*\)"$/\1/'; }
mapfile -t entrypoint < <(json_array Entrypoint)
mapfile -t cmd < <(json_array Cmd)
mapfile -t image_env < <(json_array Env)
user="$(json_string User)"; workdir="$(json_string WorkingDir)"; arch="$(json_string architecture)"
[ "${#entrypoint[@]}" -gt 0 ] || die "the image has no entrypoint"
[ -n "$user" ] || die "the image has no user (it would run as root)"

# --- unpack the layers in order -------------------------------------------------------------------
compressed=0
layer_of_classes=""; layer_of_libs=""
for l in "${layers[@]}"; do
  compressed=$((compressed + $(stat -c %s "$l")))
  listing="$(tar -tzf "$l" --warning=no-unknown-keyword)"
  if grep -q '^\(\./\)\?app/classes/.' <<< "$listing"; then layer_of_classes="$l"; fi
  if grep -q '^\(\./\)\?app/libs/javalin-' <<< "$listing"; then layer_of_libs="$l"; fi
  if tar -tzf "$l" --warning=no-unknown-keyword | grep -c '\(^\|/\)\.wh\.' >/dev/null; then
    die "layer $(basename "$l") has whiteout entries; this checker does not apply them"
  fi
  tar -xzf "$l" -C "$root" --numeric-owner --warning=no-unknown-keyword
done

uid="${user%%:*}"; gid="${user#*:}"; [ "$gid" != "$user" ] || gid=""
if ! [[ "$uid" =~ ^[0-9]+$ ]]; then uid="$(awk -F: -v u="$uid" '$1 == u {print $3}' "$root/etc/passwd")"; fi
[ -n "$gid" ] || gid="$(awk -F: -v u="$uid" '$3 == u {print $4}' "$root/etc/passwd")"
[[ "$uid" =~ ^[0-9]+$ && "$gid" =~ ^[0-9]+$ ]] || die "cannot resolve the image user '$user'"
[ "$uid" != 0 ] || die "the image runs as root"
home="$(awk -F: -v u="$uid" '$3 == u {print $6}' "$root/etc/passwd")"

echo
say "image           : $ref_name ($arch), image id sha256:${image_id:0:12}, $image_format $image_tar"
say "tarball size    : $(du -h "$image_tar" | cut -f1) ($(stat -c %s "$image_tar") bytes)"
say "layers          : ${#layers[@]}, $((compressed / 1024 / 1024)) MiB compressed: $(for l in "${layers[@]}"; do printf '%s=%sMiB ' "$(basename "$l" | cut -c1-12)" $(( $(stat -c %s "$l") / 1024 / 1024 )); done)"
# The application is layered (dependencies apart from the classes), so a code change ships a small
# layer; sqlite-jdbc carries only the Linux natives of the two image architectures.
[ -n "$layer_of_classes" ] && [ -n "$layer_of_libs" ] || die "no /app/classes or /app/libs layer: not Jib's application layering"
[ "$layer_of_classes" != "$layer_of_libs" ] || die "the classes share a layer with the dependencies"
classes_kib=$(( $(stat -c %s "$layer_of_classes") / 1024 )); libs_kib=$(( $(stat -c %s "$layer_of_libs") / 1024 ))
[ "$classes_kib" -lt 4096 ] || die "the classes layer is ${classes_kib} KiB: not a small layer"
mapfile -t sqlite_jars < <(cd "$root" && ls app/libs/sqlite-jdbc-*.jar 2>/dev/null)
[ "${#sqlite_jars[@]}" = 1 ] || die "expected one sqlite-jdbc jar in /app/libs, found: ${sqlite_jars[*]:-none}"
natives="$(unzip -Z1 "$root/${sqlite_jars[0]}" 'org/sqlite/native/*' | grep -v '/$' | sort | paste -sd' ' -)"
[ "$natives" = "org/sqlite/native/Linux/aarch64/libsqlitejdbc.so org/sqlite/native/Linux/x86_64/libsqlitejdbc.so" ] \
  || die "sqlite-jdbc natives in the image: $natives (expected Linux x86_64 and aarch64 only)"
for j in "$root"/app/libs/*.jar; do
  [ "$j" = "$root/${sqlite_jars[0]}" ] && continue
  if unzip -Z1 "$j" 2>/dev/null | grep -q '\.\(so\|dll\|dylib\|jnilib\)$'; then
    say "note: $(basename "$j") carries native libraries: $(unzip -Z1 "$j" | grep '\.\(so\|dll\|dylib\|jnilib\)$' | head -n 3 | paste -sd' ' -)"
  fi
done
say "app layers      : dependencies $(basename "$layer_of_libs" | cut -c1-12) ${libs_kib} KiB, classes $(basename "$layer_of_classes" | cut -c1-12) ${classes_kib} KiB"
say "SQLite natives  : ${sqlite_jars[0]}: $natives"
say "unpacked size   : $(du -sh "$root" | cut -f1) (opt/java $(du -sh "$root/opt/java" | cut -f1), libraries $(du -shc "$root"/lib* | tail -n 1 | cut -f1), app $(du -sh "$root/app" | cut -f1))"
say "OCI twin        : $oci_note"
say "user            : $user (uid $uid, gid $gid, home ${home:-?}); working dir ${workdir:-/}"
say "entrypoint      : ${entrypoint[*]}"
say "default args    : ${cmd[*]}"
say "environment     : ${image_env[*]}"
say "ports           : $(grep -o '"ExposedPorts":{[^}]*}}' <<< "$config" | grep -o '"[0-9]*/[a-z]*"' | tr -d '"' | paste -sd' ' -)"
say "labels          :"
grep -o '"Labels":{[^}]*}' <<< "$config" | sed 's/^"Labels":{//; s/}$//' | grep -o '"[^"]*":"[^"]*"' \
  | sed 's/^"\([^"]*\)":"\(.*\)"$/                    \1=\2/'
[ -d "$root/etc/spot-api" ] || die "no /etc/spot-api directory in the image"
[ "$(stat -c %a "$root/tmp")" = 777 ] || [ "$(stat -c %a "$root/tmp")" = 1777 ] || die "/tmp is not world-writable"
if [ -e "$root/bin/sh" ] || [ -e "$root/usr/bin/sh" ]; then say "note: the image has a shell"; fi
echo

# --- a container, roughly: mount + PID namespaces, /proc, /dev, hosts; the image's user & env -----
# run_container NAME MODE -- ARGS...   MODE: plain | k8s (read-only root, tmpfs /tmp, config dir)
# Extra environment in the array `extra_env`; the config directory for k8s mode in $config_dir.
mkdir -p "$root/proc" "$root/dev" "$root/etc"
for n in null zero random urandom; do : > "$root/dev/$n"; done
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\tspot-api-check\n' > "$root/etc/hosts"
[ -f /etc/resolv.conf ] && cp /etc/resolv.conf "$root/etc/resolv.conf"
container_pid=""
run_container() {
  local name="$1" mode="$2"; shift 3
  local env_args=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOSTNAME=spot-api-check)
  [ -z "$home" ] || env_args+=("HOME=$home")
  env_args+=("${image_env[@]}" "${extra_env[@]}")
  # shellcheck disable=SC2016
  local setup='
    set -e
    root="$1"; mode="$2"; config_dir="$3"; shift 3
    if [ "$mode" = k8s ]; then
      mount --bind "$root" "$root"
      mount -o remount,bind,ro "$root"
      mount -t tmpfs -o mode=1777,size=64m tmpfs "$root/tmp"
      [ -z "$config_dir" ] || mount --bind -o ro "$config_dir" "$root/etc/spot-api"
    fi
    mount -t proc proc "$root/proc"
    for n in null zero random urandom; do mount --bind "/dev/$n" "$root/dev/$n"; done
    exec "$@"'
  unshare --mount --pid --fork --kill-child -- sh -c "$setup" setup "$root" "$mode" "${config_dir:-}" \
    env -i "${env_args[@]}" \
    unshare --root="$root" --wd="${workdir:-/}" --setgid "$gid" --setuid "$uid" -- "$@" \
    > "$work/$name.out" 2>&1 &
  container_pid=$!
  pids+=("$container_pid")
}
free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}
wait_for() { # URL SECONDS NAME
  local i
  for i in $(seq 1 $(( $2 * 4 ))); do
    if curl -fsS -m 2 -o /dev/null "$1" 2>/dev/null; then return 0; fi
    kill -0 "$container_pid" 2>/dev/null || { cat "$work/$3.out" >&2; die "$3: the container exited early"; }
    sleep 0.25
  done
  cat "$work/$3.out" >&2; die "$3: no answer from $1 within $2 s"
}
java_pid() { ps -o pid= --ppid "$container_pid" | tr -d ' ' | head -n 1; }   # PID 1 of the container
stop_container() { # NAME; SIGTERM to the JVM (PID 1 inside), as `docker stop` / the kubelet do; sets $rc
  local jp; jp="$(java_pid)"
  if [ -n "$jp" ]; then kill -TERM "$jp" 2>/dev/null || true; fi
  for _ in $(seq 1 80); do kill -0 "$container_pid" 2>/dev/null || break; sleep 0.25; done
  if kill -0 "$container_pid" 2>/dev/null; then kill -KILL "$container_pid"; die "$1: still running 20 s after SIGTERM"; fi
  rc=0; wait "$container_pid" || rc=$?
}
jvm_args=() # the entrypoint without `-jar JAR` / `-cp PATH MAIN`: the JVM flags alone
for ((i = 0; i < ${#entrypoint[@]}; i++)); do
  case "${entrypoint[$i]}" in -jar|-cp|-classpath|--class-path) break ;; esac
  jvm_args+=("${entrypoint[$i]}")
done

# 1. the runtime ---------------------------------------------------------------------------------
extra_env=()
run_container java-version plain -- "${jvm_args[@]}" -XshowSettings:vm -version
wait "$container_pid" || { cat "$work/java-version.out" >&2; die "java -version failed in the image"; }
say "1. runtime: $(grep -m1 -i 'version' "$work/java-version.out"); $(grep -m1 'Max. Heap' "$work/java-version.out" | sed 's/^ *//') with host memory $(awk '/MemTotal/ {printf "%d MiB", $2/1024}' /proc/meminfo), no cgroup limit"
grep -q 'OpenJDK 64-Bit Server VM\|Server VM' "$work/java-version.out" || die "unexpected java -version output"

# 2. sandbox mode ----------------------------------------------------------------------------------
port="$(free_port)" || die "no free port"
extra_env=("SPOT_API_LISTEN=127.0.0.1:$port")
run_container sandbox plain -- "${entrypoint[@]}" --sandbox --sandbox-dir /tmp/sbx
base="http://127.0.0.1:$port/v1/spot"
wait_for "$base/ping" 90 sandbox
pong="$(curl -fsS "$base/ping")"; [ "$pong" = pong ] || die "sandbox: /ping answered '$pong'"
version="$(curl -fsS "$base/version")"
for _ in $(seq 1 20); do grep -q 'X-Auth-Token' "$work/sandbox.out" && break; sleep 0.25; done
token="$(sed -n 's/^ *X-Auth-Token *: *//p' "$work/sandbox.out" | head -n 1)"
[ -n "$token" ] || { cat "$work/sandbox.out" >&2; die "sandbox: no X-Auth-Token printed"; }
instances="$(curl -fsS -H "X-Auth-Token: $token" "$base/sandbox/instances")" || die "sandbox: authenticated call failed"
status_unauth="$(curl -s -o /dev/null -w '%{http_code}' "$base/sandbox/instances")"
[ "$status_unauth" = 403 ] || die "sandbox: call without token answered $status_unauth, expected 403"
sqlite_so="$(find "$root/tmp" -maxdepth 1 -name '*sqlite*.so' -printf '%f %u\n' 2>/dev/null | head -n 1)"
[ -d "$root/tmp/sbx/simulator" ] || die "sandbox: no simulator state in /tmp/sbx"
rss="$(awk '/VmRSS/ {printf "%d MiB", $2/1024}' "/proc/$(java_pid)/status" 2>/dev/null || echo '?')"
owner="$(stat -c %u "$root/tmp/sbx")"
stop_container sandbox
say "2. sandbox: GET /ping -> $pong; GET /version -> $version"
say "   GET /sandbox/instances with token -> $instances; without -> $status_unauth"
say "   SQLite native library extracted to /tmp: ${sqlite_so:-"(not found)"}; /tmp/sbx owned by uid $owner; RSS $rss; exit $rc after SIGTERM"
[ -n "$sqlite_so" ] || die "sandbox: the SQLite native library was not extracted to /tmp"
[ "$owner" = "$uid" ] || die "sandbox: files written as uid $owner, expected $uid"
{ [ "$rc" = 0 ] || [ "$rc" = 143 ]; } || { cat "$work/sandbox.out" >&2; die "sandbox: exit code $rc"; }

# 3. config mode, as the Kubernetes Deployment runs it ---------------------------------------------
port="$(free_port)" || die "no free port"
config_dir="$work/config"; mkdir -p "$config_dir"
cat > "$config_dir/config.json" <<EOF
{
  "listenAddress": ":8080",
  "accounts": {
    "someaccount": {"region": "us-east-1", "id": "act-12345678", "token": "not-a-real-token",
                    "endpoint": "http://127.0.0.1:9"}
  },
  "logLevel": "info",
  "org": "check-image"
}
EOF
chmod 0444 "$config_dir/config.json"
extra_env=("SPOT_API_LISTEN=127.0.0.1:$port" "SPOT_API_TOKEN=check-image-pre-shared-key")
run_container config k8s -- "${entrypoint[@]}" "${cmd[@]}"
base="http://127.0.0.1:$port/v1/spot"
wait_for "$base/ping" 90 config
pong="$(curl -fsS "$base/ping")"; [ "$pong" = pong ] || die "config: /ping answered '$pong'"
ready="$(curl -s -w ' (%{http_code})' "$base/ready")"
rss="$(awk '/VmRSS/ {printf "%d MiB", $2/1024}' "/proc/$(java_pid)/status" 2>/dev/null || echo '?')"
stop_container config
say "3. config mode (read-only root, tmpfs /tmp, config mounted read-only at /etc/spot-api, args: ${cmd[*]}):"
say "   GET /ping -> $pong; GET /ready -> $ready; RSS $rss; exit $rc after SIGTERM"
grep -m1 'listening on' "$work/config.out" | sed 's/^/   log: /' || true
[[ "$ready" == *"(200)" ]] || die "config: /ready was not 200"
{ [ "$rc" = 0 ] || [ "$rc" = 143 ]; } || { cat "$work/config.out" >&2; die "config: exit code $rc"; }

# 4. no config mounted: must fail, not start a sandbox ---------------------------------------------
config_dir=""
extra_env=()
run_container noconfig k8s -- "${entrypoint[@]}" "${cmd[@]}"
rc=0; wait "$container_pid" || rc=$?
say "4. no config mounted: exit $rc: $(head -n 1 "$work/noconfig.out")"
[ "$rc" = 2 ] || { cat "$work/noconfig.out" >&2; die "no config: exit code $rc, expected 2"; }

# 5. HTTPS from inside the image ----------------------------------------------------------------
if [ -n "$tls_url" ]; then
  command -v javac >/dev/null || die "--tls needs javac on this machine"
  mkdir -p "$work/probe"
  cat > "$work/probe/TlsProbe.java" <<'JAVA'
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

public class TlsProbe {
    public static void main(String[] args) throws Exception {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(args[0])).timeout(Duration.ofSeconds(20)).build();
        HttpResponse<Void> response = client.send(request, HttpResponse.BodyHandlers.discarding());
        String tls = response.sslSession().map(s -> s.getProtocol() + " " + s.getCipherSuite()).orElse("no TLS");
        System.out.println("HTTP " + response.statusCode() + ", " + tls);
    }
}
JAVA
  javac --release 17 -d "$work/probe" "$work/probe/TlsProbe.java"
  mkdir -p "$root/tmp/probe"; cp "$work/probe/TlsProbe.class" "$root/tmp/probe/"; chmod -R a+rX "$root/tmp/probe"
  extra_env=()
  run_container tls plain -- "${jvm_args[@]}" -cp /tmp/probe TlsProbe "$tls_url"
  rc=0; wait "$container_pid" || rc=$?
  [ "$rc" = 0 ] || { cat "$work/tls.out" >&2; die "HTTPS to $tls_url failed from inside the image"; }
  say "5. HTTPS from the image: GET $tls_url -> $(tail -n 1 "$work/tls.out")"
  rm -rf "$root/tmp/probe"
fi

echo
say "OK: $ref_name runs from $image_tar without Docker"
