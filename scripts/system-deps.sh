#!/usr/bin/env bash
# System packages the platform needs beside Python's: a Chinese font (PDF reports and charts), the
# Pango libraries WeasyPrint renders with, Debian's chromium (the browser tests and screenshots) and
# wrk (the load generator of bench/intake.py). Installed with apt when missing and when run as root;
# otherwise it says what to install.
set -euo pipefail
need=()
fc-list :lang=zh 2>/dev/null | grep -q . || need+=(fonts-wqy-microhei)
ldconfig -p 2>/dev/null | grep -q libpango-1.0 || need+=(libpango-1.0-0 libpangoft2-1.0-0)
ldconfig -p 2>/dev/null | grep -q libharfbuzz-subset || need+=(libharfbuzz-subset0)  # fonts subset in PDFs
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v wrk >/dev/null || need+=(wrk)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  apt-get install -y -q "${need[@]}" >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q "${need[@]}" >/dev/null; }
else
  echo "warning: reports, browser tests and benchmarks need these system packages: ${need[*]} (apt-get install ${need[*]})" >&2
fi
