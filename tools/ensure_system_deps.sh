#!/usr/bin/env bash
# The system programs the tests need: Xvfb (a virtual screen), xdotool (real
# clicks), a colour emoji font (names with emoji in the app's list and dialogs,
# tests/gui/test_file_dialogs.py), curl (HTTP conformance), Debian's chromium
# with its chromium-driver (the web page's browser tests, through Selenium), ip
# (iproute2: network namespaces for the discovery tests), zbarimg (zbar-tools:
# decoding QR codes), xprop (the installed app's window icons,
# tests/test_install.py), systemd-analyze (checks the printed service unit,
# tests/test_server_command.py) and strace (a publish makes no failing unlink,
# tests/test_uploads_server.py). Installs them with apt-get when running as
# root; otherwise says exactly what to install and fails, so no test is
# silently skipped.
set -euo pipefail
missing=()
command -v Xvfb >/dev/null 2>&1 || missing+=(xvfb)
command -v xdotool >/dev/null 2>&1 || missing+=(xdotool)
fc-list -q "Noto Color Emoji" 2>/dev/null || missing+=(fonts-noto-color-emoji)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v zbarimg >/dev/null 2>&1 || missing+=(zbar-tools)
command -v xprop >/dev/null 2>&1 || missing+=(x11-utils)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
command -v strace >/dev/null 2>&1 || missing+=(strace)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${missing[*]} with apt-get" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    exit 0
fi
echo "The tests need: ${missing[*]}" >&2
echo "Install them, for example: sudo apt-get install ${missing[*]}" >&2
exit 1
