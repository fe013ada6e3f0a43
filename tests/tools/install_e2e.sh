#!/usr/bin/env bash
# Installs, when missing and running as root, the Debian packages the end-to-end stage
# (tests/test_e2e.py) needs, pinned to the versions it was written against (Debian 12):
#   docker-registry  the CNCF distribution registry, two instances on loopback;
#   skopeo, buildah  the real tools the example pipeline runs;
#   apache2-utils    htpasswd, for the registries' bcrypt password files;
#   rsync            gitlab-ci-local copies the work tree with it.
set -euo pipefail
# shellcheck source=tests/tools/apt.sh
source "$(dirname "$0")/apt.sh"
apt_install tests/tools/install_e2e.sh "docker-registry skopeo buildah htpasswd rsync" \
  docker-registry=2.8.2+ds1-1 \
  skopeo=1.9.3+ds1-1+b10 \
  buildah=1.28.2+ds1-3+deb12u1+b3 \
  apache2-utils=2.4.71-1~deb12u1 \
  "$RSYNC"
