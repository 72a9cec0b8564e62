#!/usr/bin/env bash
# The system programs the tests need: Xvfb (a virtual screen), xdotool (real
# clicks), xprop (the installed app's window icons, tests/test_install.py) and
# systemd-analyze (checks the printed service unit, tests/test_server_command.py).
# Installs them with apt-get when running as root; otherwise says
# exactly what to install and fails, so no GUI test is silently skipped.
set -euo pipefail
missing=()
command -v Xvfb >/dev/null 2>&1 || missing+=(xvfb)
command -v xdotool >/dev/null 2>&1 || missing+=(xdotool)
command -v xprop >/dev/null 2>&1 || missing+=(x11-utils)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
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
