#!/usr/bin/env bash
# Installs the pinned third-party tools the tests use into .tools/ (idempotent, no root needed).
#   gitlab-ci-local 4.73.0 — an independent implementation of GitLab CI (4.74+ needs Node 22).
set -euo pipefail
cd "$(dirname "$0")/../.."
GCL_VERSION=4.73.0
installed=.tools/node_modules/gitlab-ci-local/package.json
if [ -f "$installed" ] && grep -q "\"version\": \"$GCL_VERSION\"" "$installed"; then
  exit 0
fi
command -v npm >/dev/null || { echo "npm is required to install gitlab-ci-local" >&2; exit 1; }
mkdir -p .tools
npm install --prefix .tools --no-audit --no-fund --loglevel=error "gitlab-ci-local@$GCL_VERSION" >&2
