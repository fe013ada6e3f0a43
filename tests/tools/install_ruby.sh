#!/usr/bin/env bash
# Installs Ruby from Debian, pinned, when missing and running as root: tests/test_glob.py checks
# gitlabci_dsl/gitlab/glob.py against Ruby's own File.fnmatch?, which GitLab calls.
set -euo pipefail
PACKAGES=(
  ruby=1:3.1
  ruby3.1=3.1.7+really3.1.2-0+deb12u1
  libruby3.1=3.1.7+really3.1.2-0+deb12u1
)
if command -v ruby >/dev/null; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "ruby is missing: run as root with apt-get (tests/tools/install_ruby.sh)" >&2
  exit 1
fi
apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >&2
