"""The collection as Galaxy users get it: the built tarball, installed with ansible-galaxy into an
empty collections path next to only the collections galaxy.yml declares (taken from the pinned
`ansible` package, the versions the tests run with), with no other collection and no
configuration of this checkout in sight. From there every playbook passes --syntax-check and
every plugin and role has its documentation in ansible-doc.
"""

import json
import os
import subprocess
import tarfile
from pathlib import Path
from types import SimpleNamespace

import ansible_collections
import pytest
import yaml

from conftest import ROOT

GALAXY = yaml.safe_load((ROOT / "galaxy.yml").read_text())
PLUGIN_TYPES = {"modules": "module", "inventory": "inventory", "connection": "connection",
                "filter": "filter", "test": "test", "lookup": "lookup", "callback": "callback"}
# Development files that build_ignore keeps out of the tarball (galaxy.yml).
NOT_SHIPPED = ("Makefile", "ansible.cfg", "requirements.txt", "molecule/", "tools/", ".ci/",
               "tests/integration/", "tests/openstack/", "scripts/setup.sh", "scripts/benchmark.py")


def run(args, env, cwd):
    proc = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, "%s: rc=%s\n%s%s" % (
        " ".join(args), proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:])
    return proc.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The installed collection: .env and .cwd to run ansible in, .members of the tarball."""
    tmp = tmp_path_factory.mktemp("galaxy")
    empty_config = tmp / "ansible.cfg"
    empty_config.write_text("[defaults]\n")
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_")}
    env.update(ANSIBLE_CONFIG=str(empty_config), ANSIBLE_HOME=str(tmp / "home"),
               ANSIBLE_COLLECTIONS_PATH=str(tmp / "collections"),
               ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false", ANSIBLE_NOCOLOR="1")
    run(["ansible-galaxy", "collection", "build", "--output-path", str(tmp / "dist"), str(ROOT)],
        env, tmp)
    tarball = tmp / "dist" / ("%s-%s-%s.tar.gz" % (
        GALAXY["namespace"], GALAXY["name"], GALAXY["version"]))
    packaged = Path(list(ansible_collections.__path__)[0])
    for fqcn in GALAXY["dependencies"]:
        namespace, name = fqcn.split(".")
        (tmp / "collections" / "ansible_collections" / namespace).mkdir(parents=True, exist_ok=True)
        (tmp / "collections" / "ansible_collections" / namespace / name).symlink_to(
            packaged / namespace / name)
    # --offline: the dependencies must be there already, and only they are.
    run(["ansible-galaxy", "collection", "install", "--offline", "-p", str(tmp / "collections"),
         str(tarball)], env, tmp)
    with tarfile.open(tarball) as archive:
        return SimpleNamespace(env=env, cwd=tmp, members=archive.getnames())


def test_only_the_declared_collections_are_visible(installed):
    listed = json.loads(run(["ansible-galaxy", "collection", "list", "--format", "json"],
                            installed.env, installed.cwd))
    # ansible._protomatter is ansible-core's own, inside ansible-core.
    found = sorted(name for path in listed.values() for name in path
                   if not name.startswith("ansible._"))
    assert found == sorted(list(GALAXY["dependencies"]) + ["gridcloud.arc_cluster"])


def test_the_tarball_has_the_license_and_no_development_files(installed):
    members = installed.members
    assert "LICENSE" in members and "README.md" in members
    shipped = [m for m in members for prefix in NOT_SHIPPED if m == prefix.rstrip("/")
               or m.startswith(prefix)]
    assert shipped == []
    assert [m for m in members if "__pycache__" in m or ".pytest_cache" in m] == []
    # What a site uses from the tarball is there: the acceptance suite and the image scripts.
    assert "tests/acceptance/test_acceptance.py" in members
    assert "scripts/build-node-image.sh" in members


@pytest.mark.parametrize("playbook", sorted(p.stem for p in (ROOT / "playbooks").glob("*.yml")))
def test_every_playbook_passes_its_syntax_check(installed, playbook):
    run(["ansible-playbook", "--syntax-check", "gridcloud.arc_cluster.%s" % playbook],
        installed.env, installed.cwd)


def test_every_plugin_and_role_has_its_documentation(installed):
    expected = []
    for folder, plugin_type in PLUGIN_TYPES.items():
        for path in sorted((ROOT / "plugins" / folder).glob("*.py")):
            if path.stem != "__init__":
                expected.append((plugin_type, path.stem))
    expected += [("role", path.name) for path in sorted((ROOT / "roles").iterdir())
                 if (path / "meta" / "argument_specs.yml").exists()]
    assert len([e for e in expected if e[0] == "role"]) == len(list((ROOT / "roles").iterdir()))
    for plugin_type, name in expected:
        fqcn = "gridcloud.arc_cluster.%s" % name
        docs = json.loads(run(["ansible-doc", "--json", "-t", plugin_type, fqcn],
                              installed.env, installed.cwd))
        assert fqcn in docs, (plugin_type, fqcn, docs)
        if plugin_type == "role":
            assert docs[fqcn]["entry_points"]["main"]["short_description"], fqcn
        else:
            assert docs[fqcn]["doc"]["short_description"], fqcn
