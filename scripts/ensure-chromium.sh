#!/bin/sh
# Ensure a headless-capable Chromium is installed (Debian's `chromium` package).
# Idempotent and quiet: does nothing when chromium is already on PATH.
# Exit status: 0 when chromium is available afterwards, 1 otherwise (reason on stderr).
# Silent on success; pass --print-path to print the binary's path.
set -u

find_chromium() {
    for name in chromium chromium-browser; do
        if command -v "$name" >/dev/null 2>&1; then
            command -v "$name"
            return 0
        fi
    done
    return 1
}

report() {
    if [ "${1:-}" = "--print-path" ]; then echo "$2"; fi
}

if path=$(find_chromium); then
    report "${1:-}" "$path"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-chromium: chromium missing and apt-get not available" >&2
    exit 1
fi

SUDO=""
if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "ensure-chromium: chromium missing and not root (no passwordless sudo)" >&2
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

if path=$(find_chromium); then
    report "${1:-}" "$path"
    exit 0
fi
echo "ensure-chromium: chromium still not found after install" >&2
exit 1
