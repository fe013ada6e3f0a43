#!/usr/bin/env bash
# Installs, when missing and running as root, the Debian packages the end-to-end stage
# (tests/test_e2e.py) needs, pinned to the versions it was written against (Debian 12):
#   docker-registry  the CNCF distribution registry, two instances on loopback;
#   skopeo, buildah  the real tools the example pipeline runs;
#   apache2-utils    htpasswd, for the registries' bcrypt password files;
#   rsync            gitlab-ci-local copies the work tree with it.
set -euo pipefail
PACKAGES=(
  docker-registry=2.8.2+ds1-1
  skopeo=1.9.3+ds1-1+b10
  buildah=1.28.2+ds1-3+deb12u1+b3
  apache2-utils=2.4.71-1~deb12u1
  rsync=3.5.0+ds1-0+deb12u1
)
missing=()
for tool in docker-registry skopeo buildah htpasswd rsync; do
  if ! command -v "$tool" >/dev/null; then
    missing+=("$tool")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "missing ${missing[*]}: run as root with apt-get (tests/tools/install_e2e.sh)" >&2
  exit 1
fi
apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >&2
