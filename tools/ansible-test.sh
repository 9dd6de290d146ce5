#!/usr/bin/env bash
# Run the ecosystem's own checks on the collection as ansible-test wants it laid out:
#   tools/ansible-test.sh sanity     ansible-test sanity (every test that needs no container)
#   tools/ansible-test.sh units      ansible-test units (tests/unit, with pytest-xdist)
#   tools/ansible-test.sh docs       antsibull-docs lint-collection-docs --plugin-docs
# `make lint` runs sanity and docs, `make unit` runs units. Run from the checkout, with the venv
# of scripts/setup.sh (. scripts/env.sh).
#
# The tree is build/ansible-test/ansible_collections/gridcloud/arc_cluster: a copy of the
# checkout's files (tracked and new, not ignored), refreshed at every run, with the collections
# galaxy.yml declares beside it, linked from the pinned `ansible` package of the venv (the
# versions the tests run with). Nothing else is there, so the import test proves the declared
# dependencies are enough.
#
# ansible-test keeps the virtual environments of its sanity tests under ~/.ansible/test; HOME is
# build/ansible-test/home for it, so they stay in this checkout. To make those environments,
# ansible-test bootstraps pip with a get-pip.py that it downloads from
# ci-files.testing.ansible.com, which the build machines cannot reach; it takes a script from its
# cache first, and the one put there does the same job with the standard library's ensurepip
# and then pip from the package index (the pip version ansible-test asks for).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command=${1:-}
case "$command" in
  sanity|units|docs) ;;
  *) echo "usage: tools/ansible-test.sh sanity|units|docs" >&2; exit 2 ;;
esac
python=$root/.venv/bin/python
[ -x "$python" ] || { echo "tools/ansible-test.sh: no .venv here; run make setup first" >&2; exit 1; }

base=$root/build/ansible-test
tree=$base/ansible_collections/gridcloud/arc_cluster
rm -rf "$tree" && mkdir -p "$tree"
# A copy, not a link: ansible-test and antsibull-docs look at the real paths of the files.
git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$tree"
# ansible-test lists a collection's files with git where it finds a repository around it; the
# checkout's ignores build/, so the copy gets an index of its own.
git -C "$tree" init -q && git -C "$tree" add -A

packaged=$("$python" -c 'import ansible_collections; print(list(ansible_collections.__path__)[0])')
"$python" - "$root/galaxy.yml" <<'EOF' | while read -r namespace name; do
import sys, yaml
for fqcn in (yaml.safe_load(open(sys.argv[1])).get("dependencies") or {}):
    print(*fqcn.split("."))
EOF
  if [ ! -d "$packaged/$namespace/$name" ]; then
    echo "tools/ansible-test.sh: $namespace.$name (a dependency in galaxy.yml) is not in the venv's ansible package" >&2
    exit 1
  fi
  mkdir -p "$base/ansible_collections/$namespace"
  ln -sfn "$packaged/$namespace/$name" "$base/ansible_collections/$namespace/$name"
done

home=$base/home
mkdir -p "$home/.ansible/test/cache"
# The pip version ansible-test bootstraps in its environments (24.2 for ansible-core 2.19).
pip_version=$("$python" -c 'from ansible_test._internal.python_requirements import get_venv_packages
class Python:
    version = None
print(get_venv_packages(Python())["pip"])')
cat > "$home/.ansible/test/cache/get_pip_${pip_version//./_}.py" <<'EOF'
"""Stand-in for get-pip.py (written by tools/ansible-test.sh): ensurepip, then pip install."""
import subprocess
import sys

subprocess.run([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"], check=True,
               stdout=subprocess.DEVNULL)
arguments = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.exit(subprocess.run([sys.executable, "-m", "pip", "install"] + arguments, check=False).returncode)
EOF

version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
cd "$tree"
export PATH="$root/.venv/bin:$PATH"
case "$command" in
  sanity) HOME=$home ansible-test sanity --python "$version" --color no ;;
  units)  HOME=$home ansible-test units --python "$version" --color no ;;
  docs)   antsibull-docs lint-collection-docs --plugin-docs . ;;
esac
