#!/usr/bin/env bash
# Sourced by the install scripts: installs pinned Debian packages when commands are missing.
#   apt_install SCRIPT "TOOL..." PACKAGE=VERSION...
# Does nothing when every TOOL is on PATH; otherwise, as root with apt-get, installs the
# packages; otherwise says what is missing and fails.
set -euo pipefail
RSYNC=rsync=3.5.0+ds1-0+deb12u1  # gitlab-ci-local copies the work tree with it (Debian 12)
apt_install() {
  local script=$1 tools=$2 tool
  shift 2
  local missing=()
  for tool in $tools; do
    if ! command -v "$tool" >/dev/null; then
      missing+=("$tool")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "missing ${missing[*]}: run $script as root with apt-get" >&2
    return 1
  fi
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}
