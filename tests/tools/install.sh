#!/usr/bin/env bash
# Installs the third-party tools the tests use, when missing (idempotent):
#   gitlab-ci-local 4.73.0 into .tools/ — an independent implementation of GitLab CI
#     (4.74+ needs Node 22);
#   rsync from Debian, pinned (gitlab-ci-local copies the work tree with it), when running as
#     root.
set -euo pipefail
cd "$(dirname "$0")/../.."
# One command per line: under `set -e` a failure inside `a && b` does not stop the script.
RSYNC=rsync=3.5.0+ds1-0+deb12u1  # the version install_e2e.sh pins (Debian 12)
if ! command -v rsync >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$RSYNC" >&2
  else
    echo "rsync is missing (as root: apt-get install rsync)" >&2
  fi
fi
GCL_VERSION=4.73.0
installed=.tools/node_modules/gitlab-ci-local/package.json
if [ -f "$installed" ] && grep -q "\"version\": \"$GCL_VERSION\"" "$installed"; then
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "npm is required to install gitlab-ci-local" >&2
  exit 1
fi
mkdir -p .tools
npm install --prefix .tools --no-audit --no-fund --loglevel=error "gitlab-ci-local@$GCL_VERSION" >&2
