#!/usr/bin/env bash
# Installs Ruby from Debian, pinned, when missing and running as root: tests/test_glob.py checks
# gitlabci_dsl/gitlab/glob.py against Ruby's own File.fnmatch?, which GitLab calls.
set -euo pipefail
# shellcheck source=tests/tools/apt.sh
source "$(dirname "$0")/apt.sh"
apt_install tests/tools/install_ruby.sh ruby \
  ruby=1:3.1 \
  ruby3.1=3.1.7+really3.1.2-0+deb12u1 \
  libruby3.1=3.1.7+really3.1.2-0+deb12u1
