#!/usr/bin/env bash
# Installs the third-party tools the tests use, when missing (idempotent):
#   gitlab-ci-local 4.73.0 into .tools/ — an independent implementation of GitLab CI
#     (4.74+ needs Node 22);
#   rsync from Debian, pinned (gitlab-ci-local copies the work tree with it), when running as
#     root.
set -euo pipefail
cd "$(dirname "$0")/../.."
# One command per line: under `set -e` a failure inside an AND list does not stop the script.
# shellcheck source=tests/tools/apt.sh
source tests/tools/apt.sh
# Without rsync only the tests that run jobs fail, and say why: go on to gitlab-ci-local.
if ! apt_install tests/tools/install.sh rsync "$RSYNC"; then
  echo "rsync is missing: the tests that run jobs with gitlab-ci-local will fail" >&2
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
