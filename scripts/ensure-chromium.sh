#!/bin/sh
# Ensure Debian's Chromium is installed at /usr/bin/chromium: the browser tests drive it with
# Playwright (tests/support/browser.py), which never downloads a browser of its own.
# Idempotent and quiet: does nothing when /usr/bin/chromium is already there; otherwise installs the
# `chromium` package with apt-get (as root, or with passwordless sudo).
# Exit status: 0 when /usr/bin/chromium is available afterwards, 1 otherwise (reason on stderr).
# Silent on success; pass --print-path to print the binary's path.
set -u

CHROMIUM=/usr/bin/chromium

done_ok() {
    if [ "${1:-}" = "--print-path" ]; then echo "$CHROMIUM"; fi
    exit 0
}

if [ -x "$CHROMIUM" ]; then
    done_ok "${1:-}"
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-chromium: $CHROMIUM missing and apt-get not available" >&2
    exit 1
fi

SUDO=""
if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "ensure-chromium: $CHROMIUM missing and not root (no passwordless sudo)" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
# Only refresh package lists when the candidate is unknown.
if ! apt-cache show chromium >/dev/null 2>&1; then
    $SUDO apt-get update -qq >/dev/null 2>&1 || true
fi
if ! $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk fonts-noto-color-emoji >/dev/null 2>&1; then
    # Fonts are a nicety (CJK and emoji glyphs in screenshots); retry with chromium alone.
    $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 || {
        echo "ensure-chromium: apt-get install chromium failed" >&2
        exit 1
    }
fi

if [ -x "$CHROMIUM" ]; then
    done_ok "${1:-}"
fi
echo "ensure-chromium: $CHROMIUM still not found after apt-get install chromium" >&2
exit 1
