#!/usr/bin/env bash
# Take a fresh Debian 12/13 machine (root) to a working state for gridcloud.arc_cluster:
#   - podman, runc, netavark, debootstrap and friends from apt
#   - a Python venv in .venv with the pinned controller packages (requirements.txt)
#   - the collection linked into build/collections so ansible finds it from this checkout
#   - the node images for RELEASES (default: trixie bookworm), built once, cached by recipe
# Safe to run again: every step checks before it acts.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
# Node images to build: the tests use both releases.
releases=${RELEASES:-${RELEASE:-trixie bookworm}}

log() { printf '\n==> %s\n' "$*"; }

apt_packages=(podman runc netavark aardvark-dns slirp4netns uidmap debootstrap e2fsprogs xfsprogs
              util-linux iptables make git python3-venv python3-dev ca-certificates openssh-client)
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing apt packages: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: installing packages needs root (run as root or with sudo)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python=${PYTHON:-python3}
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "creating .venv with the pinned controller packages"
  [ -x .venv/bin/python ] || "$python" -m venv .venv
  .venv/bin/pip install --quiet --upgrade pip
  .venv/bin/pip install --quiet -r requirements.txt
  echo "$want" > "$stamp"
fi

# The collection, found by ansible as gridcloud.arc_cluster, is this checkout.
mkdir -p build/collections/ansible_collections/gridcloud
link=build/collections/ansible_collections/gridcloud/arc_cluster
[ -L "$link" ] || ln -sfn ../../../.. "$link"

# shellcheck source=scripts/env.sh
. scripts/env.sh
for release in $releases; do
  log "node image for release $release"
  scripts/build-node-image.sh "$release"
done
log "setup done; load the environment with: . scripts/env.sh"
