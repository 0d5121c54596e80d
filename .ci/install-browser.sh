#!/usr/bin/env bash
# Installs Debian's headless-capable Chromium and its ChromeDriver for the browser test
# (dev.spotapi.docs.DocsPageBrowserTest). Idempotent: does nothing when both are already present.
# Needs root (or sudo) and Debian 12; .ci/run calls it before `mvn -B verify` (the build never does).
set -euo pipefail

if [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]]; then
    echo "install-browser: chromium and chromedriver already installed"
    exit 0
fi

SUDO=""
if [[ "$(id -u)" -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install-browser: must run as root (or with sudo available) to install chromium" >&2
        exit 1
    fi
fi

$SUDO apt-get update
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium chromium-driver

for bin in /usr/bin/chromium /usr/bin/chromedriver; do
    if [[ ! -x "$bin" ]]; then
        echo "install-browser: $bin is still missing after installing chromium and chromium-driver" >&2
        exit 1
    fi
done
echo "install-browser: $(/usr/bin/chromium --version 2>/dev/null || echo chromium) / $(/usr/bin/chromedriver --version 2>/dev/null || echo chromedriver)"
