# shellcheck shell=bash
# Source this file to work with the collection from this checkout:
#   . scripts/env.sh
# It puts the venv first on PATH, points podman at the project's containers.conf and ansible at
# the collection in build/collections (ANSIBLE_HOME is build/).
_gridcloud_root=$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)
export PATH="$_gridcloud_root/.venv/bin:$PATH"
export CONTAINERS_CONF="$_gridcloud_root/scripts/containers.conf"
export ANSIBLE_CONFIG="$_gridcloud_root/ansible.cfg"
export ANSIBLE_COLLECTIONS_PATH="$_gridcloud_root/build/collections"
# ansible-lint and molecule (ansible-compat) put "their" copy of the collection under
# $ANSIBLE_HOME/collections; with ANSIBLE_HOME=build that is build/collections, where setup.sh
# links this checkout, so they lint and run the live files, never a stale copy in ~/.ansible.
export ANSIBLE_HOME="$_gridcloud_root/build"
unset _gridcloud_root
