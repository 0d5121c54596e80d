#!/usr/bin/env bash
# Assembles the file trees that the Jib profile (`mvn -Pimage package`) puts on top of the empty
# `scratch` base image. No container registry is needed: everything comes from this machine.
#
#   target/image-rootfs/   the runtime layer (changes only when the JDK, the module list or this
#                          script change):
#     opt/java/            a jlink'ed Java 17 runtime holding only the modules spot-api needs
#     lib/..., lib64/...   the host's shared libraries that runtime needs (glibc & co), found with ldd
#     etc/passwd, group    root and the non-root user nonroot (65532:65532)
#     etc/nsswitch.conf    files for users/groups, files then DNS for hosts
#     etc/spot-api/        empty: the config file is mounted here at run time
#     tmp/                 scratch space (java.io.tmpdir, the SQLite native library)
#     home/nonroot/        the user's home (read-only; nothing writes there)
#   target/image-sqlite/   app/libs/sqlite-jdbc-*.jar with only the Linux x86_64 and aarch64 natives
#                          (the application itself is layered by Jib: dependencies, resources, classes)
#
# The fat jar is only read: for jdeps (the module list) and the SQLite native library (ldd).
#
# Usage: deploy/image/build-rootfs.sh [JAR] [TARGET_DIR] [SQLITE_JDBC_JAR]
# Environment:
#   JAVA_HOME       the JDK 17 to jlink from (Maven passes ${java.home}); default: the `java` on PATH
#   IMAGE_ARCH      the OCI architecture the image declares (amd64, arm64); must match this machine
#   IMAGE_MODULES   extra modules to add, comma-separated
#   IMAGE_CACERTS   the CA trust store to put in the runtime (default: the host's
#                   /etc/ssl/certs/java/cacerts when present, else the JDK's own)
#   IMAGE_REBUILD=1 ignore the cached runtime layer
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
project="$(cd "$here/../.." && pwd)"
jar="${1:-$project/target/spot-api.jar}"
target="${2:-$project/target}"
sqlite_jar="${3:-}"
rootfs="$target/image-rootfs"
appfs="$target/image-app"
work="$target/image-work"

say() { echo "[image-rootfs] $*"; }
die() { echo "[image-rootfs] ERROR: $*" >&2; exit 1; }

[ -f "$jar" ] || die "$jar not found: run 'mvn -Pimage package' (the jar is built first)"
mkdir -p "$work"
# --- the JDK --------------------------------------------------------------------------------------
if [ -z "${JAVA_HOME:-}" ] || [ ! -x "${JAVA_HOME}/bin/jlink" ]; then
  java_bin="$(command -v java || true)"
  [ -n "$java_bin" ] || die "no JAVA_HOME and no java on PATH"
  JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$java_bin")")")"
fi
for tool in jlink jdeps; do
  [ -x "$JAVA_HOME/bin/$tool" ] || die "$JAVA_HOME/bin/$tool missing: JAVA_HOME must be a full JDK 17"
done
[ -d "$JAVA_HOME/jmods" ] || die "$JAVA_HOME/jmods missing: jlink needs the JDK's jmods (Debian: openjdk-17-jdk-headless)"
jdk_version="$(sed -n 's/^JAVA_VERSION="\(.*\)"$/\1/p' "$JAVA_HOME/release")"
case "$jdk_version" in 17|17.*) ;; *) die "JAVA_HOME $JAVA_HOME is Java $jdk_version; the image needs a JDK 17" ;; esac
# the entrypoint's -XX:TrimNativeHeapInterval (pom.xml) exists from 17.0.9 on
[[ "$jdk_version" =~ ^17\.[0-9]+\.([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -ge 9 ] \
  || die "JAVA_HOME $JAVA_HOME is Java $jdk_version; the image needs a JDK 17.0.9 or later (-XX:TrimNativeHeapInterval)"
command -v ldd >/dev/null || die "ldd not found (package libc-bin)"
command -v unzip >/dev/null || die "unzip not found (package unzip)"

# Work on a copy: every step below then sees the same jar.
cp "$jar" "$work/spot-api.jar"
jar_name="$jar"; jar="$work/spot-api.jar"
# The fat jar (shade) has a Main-Class and its dependencies; the thin jar of maven-jar-plugin has
# neither (seen when another build writes to the same target/ at the same time).
main_class="$(unzip -p "$jar" META-INF/MANIFEST.MF 2>/dev/null | sed -n 's/^Main-Class: *\([^[:space:]]*\).*/\1/p')"
[ -n "$main_class" ] || die "$jar_name has no Main-Class: not the shaded jar (is another build using $(dirname "$jar_name")?)"
unzip -l "$jar" 'io/javalin/Javalin.class' >/dev/null 2>&1 \
  || die "$jar_name does not hold its dependencies: not the shaded jar (is another build using $(dirname "$jar_name")?)"

# --- the architecture -----------------------------------------------------------------------------
case "$(uname -m)" in
  x86_64) host_arch=amd64; sqlite_arch=x86_64 ;;
  aarch64) host_arch=arm64; sqlite_arch=aarch64 ;;
  *) die "unsupported machine $(uname -m)" ;;
esac
if [ -n "${IMAGE_ARCH:-}" ] && [ "$IMAGE_ARCH" != "$host_arch" ]; then
  die "the runtime is copied from this $host_arch machine, but the image would declare $IMAGE_ARCH: build with -Dimage.architecture=$host_arch"
fi

# --- the modules: jdeps on the fat jar (cached by the jar's content) plus what is loaded by name --
# Loaded reflectively or through ServiceLoader, so jdeps cannot see them:
#   jdk.crypto.ec  elliptic-curve TLS cipher suites (HTTPS to api.spotinst.io)
#   jdk.zipfs      the jar: file system provider
#   java.logging, java.xml, java.management, jdk.management, jdk.unsupported: named here too so that
#   a smaller jdeps answer never silently drops what logback, Jetty and Micrometer use.
base_modules="java.base,java.logging,java.xml,java.naming,java.net.http,java.sql,java.management,jdk.management,java.desktop,jdk.unsupported,jdk.crypto.ec,jdk.zipfs"
# The key is the jar's class files and their CRCs, not its bytes: a rebuilt jar with the same
# classes (new timestamps, a new build time in spot-api-version.properties) needs no new scan.
jar_sum="$(unzip -v "$jar" | awk '$8 ~ /\.class$/ {print $7, $8}' | sha256sum | cut -d' ' -f1)"
if [ -f "$work/jdeps.key" ] && [ "$(cat "$work/jdeps.key")" = "$jar_sum" ] && [ -s "$work/jdeps.modules" ]; then
  say "jdeps: unchanged jar, reusing $(cat "$work/jdeps.modules")"
else
  say "jdeps: scanning $(basename "$jar_name") (takes a minute)..."
  "$JAVA_HOME/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release 17 "$jar" \
    | tail -n 1 > "$work/jdeps.modules.tmp"
  grep -Eq '^[a-z0-9.]+(,[a-z0-9.]+)*$' "$work/jdeps.modules.tmp" \
    || die "unexpected jdeps output: $(cat "$work/jdeps.modules.tmp")"
  mv "$work/jdeps.modules.tmp" "$work/jdeps.modules"
  echo "$jar_sum" > "$work/jdeps.key"
  say "jdeps: $(cat "$work/jdeps.modules")"
fi
modules="$(echo "$base_modules,$(cat "$work/jdeps.modules")${IMAGE_MODULES:+,$IMAGE_MODULES}" \
  | tr ',' '\n' | sed '/^$/d' | sort -u | paste -sd, -)"

# Native parts of java.desktop that only a GUI, sound or image decoding would load. Leaving them out
# keeps X11, ALSA, freetype & co out of the image; the JVM runs with -Djava.awt.headless=true.
exclude_files='**/libawt_xawt.so,**/libjawt.so,**/libsplashscreen.so,**/libjsound.so,**/libfontmanager.so,**/liblcms.so,**/libjavajpeg.so'
jlink_opts=(--strip-debug --no-header-files --no-man-pages --compress=2 --generate-cds-archive
            "--exclude-files=$exclude_files")

cacerts="${IMAGE_CACERTS:-}"
if [ -z "$cacerts" ] && [ -f /etc/ssl/certs/java/cacerts ]; then cacerts=/etc/ssl/certs/java/cacerts; fi

# --- the runtime layer (cached: jlink is slow and its result only depends on these inputs) -------
key="$(
  {
    echo "modules=$modules"; echo "jdk=$(readlink -f "$JAVA_HOME") $jdk_version"; echo "opts=${jlink_opts[*]}"
    echo "arch=$host_arch"; sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1
    [ -z "$cacerts" ] || sha256sum "$cacerts" | cut -d' ' -f1
    ls -l --time-style=+%s "$JAVA_HOME/jmods" | sha256sum | cut -d' ' -f1
    sha256sum "$(readlink -f "$(ldd /bin/true | awk '/libc\.so/ {print $3}')")" | cut -d' ' -f1
  } | sha256sum | cut -d' ' -f1
)"
if [ "${IMAGE_REBUILD:-0}" != 1 ] && [ -d "$rootfs" ] && [ -f "$work/rootfs.key" ] && [ "$(cat "$work/rootfs.key")" = "$key" ]; then
  say "runtime layer up to date ($rootfs)"
else
  rm -rf "$rootfs" "$work/rootfs.key"
  mkdir -p "$rootfs/opt"
  say "jlink: $modules"
  "$JAVA_HOME/bin/jlink" --module-path "$JAVA_HOME/jmods" --add-modules "$modules" "${jlink_opts[@]}" \
    --output "$rootfs/opt/java"
  # Debian's JDK links some config files to /etc; jlink copies the jmods' own. Make sure no symlink
  # points outside the image (Jib copies files, and a dangling link would break the runtime).
  while IFS= read -r -d '' l; do
    t="$(readlink -f "$l")"
    [ -f "$t" ] || die "dangling symlink $l"
    rm "$l"; cp "$t" "$l"
  done < <(find "$rootfs/opt/java" -type l -print0)
  # The CDS archive for heaps over 32 GB (no compressed oops): never used with this image's heap sizes.
  rm -f "$rootfs/opt/java/lib/server/classes_nocoops.jsa"
  if [ -n "$cacerts" ]; then
    say "CA trust store: $cacerts"
    cp -L "$cacerts" "$rootfs/opt/java/lib/security/cacerts"
  fi

  # Shared libraries: ldd on the launcher, every library of the runtime and the SQLite JDBC native
  # library (which xerial extracts to /tmp at run time), each copied at the path ldd resolved it to.
  natives="$work/natives"
  rm -rf "$natives"; mkdir -p "$natives"
  unzip -q -o "$jar" "org/sqlite/native/Linux/$sqlite_arch/*" -d "$natives" || true
  elf_files=("$rootfs/opt/java/bin/java")
  while IFS= read -r -d '' f; do elf_files+=("$f"); done < <(find "$rootfs/opt/java" "$natives" -type f -name '*.so*' -print0)
  [ "${#elf_files[@]}" -gt 3 ] || die "no native libraries found in the runtime"
  [ -n "$(find "$natives" -name 'libsqlitejdbc.so' -print -quit)" ] \
    || die "no org/sqlite/native/Linux/$sqlite_arch/libsqlitejdbc.so in $jar_name"

  libs_file="$work/libs.txt"; : > "$libs_file"
  missing=()
  for f in "${elf_files[@]}"; do
    out="$(LC_ALL=C ldd "$f" 2>&1)" || { [[ "$out" == *"not a dynamic executable"* ]] && continue; die "ldd $f: $out"; }
    while read -r line; do
      case "$line" in
        *"=> not found"*)
          name="${line%% *}"
          # Libraries of the runtime itself (libjvm.so, libjava.so) are found through its RPATH/loader.
          if [ -n "$(find "$rootfs/opt/java/lib" -name "$name" -print -quit)" ]; then continue; fi
          missing+=("$name (needed by ${f#"$rootfs"/})") ;;
        *"=> /"*) p="${line#*=> }"; echo "${p%% (*}" >> "$libs_file" ;;
        /*) echo "${line%% (*}" >> "$libs_file" ;;
      esac
    done <<< "$out"
  done
  [ "${#missing[@]}" -eq 0 ] || die "libraries not found on this machine: ${missing[*]}"
  libc="$(grep -m1 '/libc\.so\.6$' "$libs_file")" || die "ldd did not resolve libc.so.6"
  # glibc dlopen()s libgcc_s for pthread_exit/pthread_cancel unwinding: ldd cannot see that.
  [ -f "$(dirname "$libc")/libgcc_s.so.1" ] && echo "$(dirname "$libc")/libgcc_s.so.1" >> "$libs_file"
  # Names resolved inside the runtime (libjli.so etc.) are already there.
  sort -u "$libs_file" | while read -r lib; do
    case "$lib" in "$rootfs"/*|"$natives"/*) continue ;; esac
    [ -f "$lib" ] || die "ldd resolved $lib but it is not a file"
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
    chmod 755 "$rootfs$lib"
  done
  say "shared libraries: $(sort -u "$libs_file" | grep -v "^$rootfs" | grep -v "^$natives" | xargs -n1 basename | paste -sd' ' -)"

  # Users and groups: 65532 is the usual "nonroot" id (distroless, Chainguard); the Kubernetes
  # Deployment runs as 65532:65532 too. No shell, no password.
  mkdir -p "$rootfs/etc/spot-api" "$rootfs/tmp" "$rootfs/home/nonroot"
  cat > "$rootfs/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
EOF
  cat > "$rootfs/etc/group" <<'EOF'
root:x:0:
nobody:x:65534:
nonroot:x:65532:
EOF
  # glibc >= 2.34 has the files and dns NSS modules built in: no libnss_*.so needed.
  cat > "$rootfs/etc/nsswitch.conf" <<'EOF'
passwd: files
group:  files
shadow: files
hosts:  files dns
EOF
  echo "$key" > "$work/rootfs.key"
fi
# Whatever ran inside this tree (a JVM leaves /tmp/hsperfdata_*) must not end up in the image.
rm -rf "$rootfs/tmp" "$rootfs/proc" "$rootfs/dev"
mkdir -p "$rootfs/tmp"
chmod 1777 "$rootfs/tmp"   # Jib stores it as 777 (no sticky bit); Kubernetes mounts an emptyDir here

# --- the SQLite JDBC jar, with the Linux natives of the two image architectures only -------------
# Jib puts the application in its own layers (dependencies / resources / classes: a code change ships
# only the small classes layer). sqlite-jdbc carries its native library for every OS and CPU (14 MB);
# the image gets a copy holding only Linux x86_64 and aarch64, /app/libs/sqlite-jdbc-VERSION-linux.jar
# (the profile drops the original from the dependencies layer; the class path is /app/libs/*).
rm -rf "$appfs" "$target/image-sqlite"
if [ -n "$sqlite_jar" ]; then
  [ -f "$sqlite_jar" ] || die "$sqlite_jar not found (the sqlite-jdbc dependency)"
  command -v zip >/dev/null || die "zip not found (package zip)"
  mkdir -p "$target/image-sqlite/app/libs"
  filtered="$target/image-sqlite/app/libs/$(basename "$sqlite_jar" .jar)-linux.jar"
  cp "$sqlite_jar" "$filtered"
  mapfile -t drop < <(unzip -Z1 "$filtered" 'org/sqlite/native/*' | grep -v '/$' \
    | grep -Ev '^org/sqlite/native/Linux/(x86_64|aarch64)/')
  [ "${#drop[@]}" -gt 0 ] && zip -q -d "$filtered" "${drop[@]}"
  kept="$(unzip -Z1 "$filtered" 'org/sqlite/native/*' | grep -v '/$' | paste -sd' ' -)"
  case "$kept" in
    *Linux/x86_64/libsqlitejdbc.so*Linux/aarch64/*|*Linux/aarch64/libsqlitejdbc.so*Linux/x86_64/*) ;;
    *) die "the filtered sqlite-jdbc jar lacks a Linux native: $kept" ;;
  esac
  say "sqlite-jdbc: $(basename "$sqlite_jar") $(du -h "$sqlite_jar" | cut -f1) -> $(du -h "$filtered" | cut -f1), natives: $kept"
fi
rm -f "$jar"

say "runtime layer $(du -sh "$rootfs" | cut -f1) ($rootfs)${sqlite_jar:+, sqlite-jdbc layer $(du -sh "$target/image-sqlite" | cut -f1)}"
