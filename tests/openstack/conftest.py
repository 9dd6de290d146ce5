"""The openstack provider against the real control plane of tools/openstack-harness.

Run with `make openstack-test` (it brings the harness up first). Every test FAILS, never skips,
when the harness, one of its services or a tool is missing: a green run means the provider
really ran against Keystone, Nova, Neutron, Cinder, Glance and Placement.
"""

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CLOUDS_YAML = Path(os.environ.get("HARNESS_CLOUDS_YAML",
                                  ROOT / "build" / "openstack-harness" / "clouds.yaml"))
CLOUD = "gridcloud-harness"
ADMIN_CLOUD = "gridcloud-harness-admin"
PROJECT = "gridcloud"
FLAVOR = "harness.small"
IMAGE = "harness-tiny"
NETWORK = "gridcloud-net"
# the services the provider uses, by openstacksdk's proxy name, and the harness's name for them
SERVICES = {"identity": "keystone", "compute": "nova", "network": "neutron",
            "block_storage": "cinder", "image": "glance", "placement": "placement"}
RECAP_RE = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)",
                      re.MULTILINE)
HARNESS_HINT = "bring the harness up: tools/openstack-harness/harness.sh up (or make openstack-test)"


def _connect(cloud):
    import openstack  # pylint: disable=import-outside-toplevel
    import openstack.config  # pylint: disable=import-outside-toplevel
    config = openstack.config.OpenStackConfig(config_files=[str(CLOUDS_YAML)])
    return openstack.connection.Connection(config=config.get_one(cloud=cloud))


@pytest.fixture(scope="session")
def harness_env():
    """The harness is up and every service answers, or the whole run fails here."""
    if shutil.which("ansible-playbook") is None:
        pytest.fail("ansible-playbook is not on PATH; run `. scripts/env.sh` (or make openstack-test)")
    try:
        import openstack  # noqa: F401 pylint: disable=import-outside-toplevel,unused-import
    except ImportError as exc:
        pytest.fail("openstacksdk is missing (%s); run `make setup`" % exc)
    if not CLOUDS_YAML.is_file():
        pytest.fail("%s does not exist: the harness was never brought up; %s"
                    % (CLOUDS_YAML, HARNESS_HINT))
    admin = _connect(ADMIN_CLOUD)
    missing = []
    calls = {  # one real request to each API, not only a look at the catalog
        "identity": lambda: list(admin.identity.projects()),
        "compute": lambda: list(admin.compute.flavors()),
        "network": lambda: list(admin.network.networks()),
        "block_storage": lambda: list(admin.block_storage.types()),
        "image": lambda: list(admin.image.images()),
        "placement": lambda: list(admin.placement.resource_providers()),
    }
    for proxy, name in SERVICES.items():
        try:
            calls[proxy]()
        except Exception as exc:  # pylint: disable=broad-except
            missing.append("%s (%s): %s" % (name, proxy, exc))
    if missing:
        pytest.fail("OpenStack services of the harness do not answer:\n  %s\n%s"
                    % ("\n  ".join(missing), HARNESS_HINT))
    down = []
    binaries = {s.binary: s.state for s in admin.compute.services()}
    binaries.update({s.binary: s.state for s in admin.block_storage.services()})
    for binary in ("nova-conductor", "nova-scheduler", "nova-compute", "cinder-scheduler",
                   "cinder-volume"):
        if binaries.get(binary) != "up":
            down.append("%s is %s" % (binary, binaries.get(binary, "not registered")))
    if down:
        pytest.fail("harness services are down: %s; see build/openstack-harness/logs; %s"
                    % (", ".join(down), HARNESS_HINT))
    for what, find in (("flavor %s" % FLAVOR, lambda: admin.compute.find_flavor(FLAVOR)),
                       ("image %s" % IMAGE, lambda: admin.image.find_image(IMAGE)),
                       ("network %s" % NETWORK, lambda: admin.network.find_network(NETWORK))):
        if find() is None:
            pytest.fail("the harness has no %s; %s" % (what, HARNESS_HINT))
    return {"OS_CLIENT_CONFIG_FILE": str(CLOUDS_YAML)}


@pytest.fixture(scope="session")
def admin(harness_env):
    return _connect(ADMIN_CLOUD)


@pytest.fixture(scope="session")
def cloud(harness_env):
    return _connect(CLOUD)


@pytest.fixture(scope="session")
def project_id(admin):
    return admin.identity.find_project(PROJECT).id


class Result:
    def __init__(self, proc, args):
        self.rc = proc.returncode
        self.args = args
        self.output = proc.stdout + proc.stderr

    @property
    def flat(self):
        """The output on one line (wrapped messages joined), for searching."""
        return " ".join(self.output.split())

    @property
    def recap(self):
        recap = {}
        for host, ok, changed, unreachable, failed in RECAP_RE.findall(self.output):
            recap[host] = {"ok": int(ok), "changed": int(changed),
                           "unreachable": int(unreachable), "failed": int(failed)}
        return recap

    def __str__(self):
        return "ansible-playbook %s: rc %s\n%s" % (" ".join(self.args), self.rc, self.output[-6000:])


@pytest.fixture(scope="session")
def playbook(harness_env, tmp_path_factory):
    """run(<playbook in tests/openstack>, definition, *extra args) -> Result."""
    home = tmp_path_factory.mktemp("ansible")

    def run(name, definition, *args, timeout=900):
        env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
                   ANSIBLE_LOCAL_TEMP=str(home), **harness_env)
        argv = ["-i", str(definition), str(HERE / name), *args]
        proc = subprocess.run(["ansible-playbook", *argv], cwd=ROOT, env=env,
                              capture_output=True, text=True, check=False, timeout=timeout)
        return Result(proc, argv)

    return run


@pytest.fixture(scope="session")
def public_key(tmp_path_factory):
    if shutil.which("ssh-keygen") is None:
        pytest.fail("ssh-keygen is missing (openssh-client)")
    key = tmp_path_factory.mktemp("ssh") / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    return str(key) + ".pub"


@pytest.fixture(scope="session")
def write_definition(tmp_path_factory, public_key):
    """write_definition(name, nodes, **openstack settings) -> path of a definition file."""
    folder = tmp_path_factory.mktemp("definitions")

    def write(name, nodes, filename=None, **openstack):
        settings = {"cloud": CLOUD, "image": IMAGE, "network": NETWORK,
                    "public_key_file": public_key,
                    # the fake servers have no sshd; poll the APIs every second
                    "wait_for_ssh": False, "poll_interval": 1}
        settings.update(openstack)
        definition = {"plugin": "gridcloud.arc_cluster.cluster",
                      "cluster": {"name": name, "provider": "openstack", "release": "trixie",
                                  "openstack": settings, "nodes": nodes}}
        path = folder / (filename or "%s.yml" % name)
        path.write_text(yaml.safe_dump(definition, sort_keys=False))
        return path

    return write


def cluster_state(admin, project_id, cluster):
    """Everything of ``cluster`` in the project, read with the admin's eyes."""
    servers = [s for s in admin.compute.servers(all_projects=True, project_id=project_id)
               if (s.metadata or {}).get("gridcloud_cluster") == cluster
               or s.name.startswith(cluster + "-")]
    volumes = [v for v in admin.block_storage.volumes(all_projects=True, project_id=project_id)
               if (v.metadata or {}).get("gridcloud_cluster") == cluster
               or (v.name or "").startswith(cluster + "-")]
    groups = [g for g in admin.network.security_groups(project_id=project_id) if g.name == cluster]
    return {"servers": {s.name: s for s in servers},
            "volumes": {v.name: v for v in volumes},
            "security_groups": groups}


def keypair(cloud, cluster):
    return cloud.compute.find_keypair("%s-key" % cluster)


def wipe(admin, cloud, project_id, cluster, timeout=180):
    """Remove whatever a failed earlier run of ``cluster`` left, so that each test starts clean."""
    state = cluster_state(admin, project_id, cluster)
    for server in state["servers"].values():
        admin.compute.delete_server(server, ignore_missing=True)
    deadline = time.monotonic() + timeout
    while cluster_state(admin, project_id, cluster)["servers"]:
        if time.monotonic() > deadline:
            raise AssertionError("servers of %s are not gone after %ss" % (cluster, timeout))
        time.sleep(1)
    for volume in cluster_state(admin, project_id, cluster)["volumes"].values():
        wait_volume(admin, volume.id, ("available", "error"), timeout)
        admin.block_storage.delete_volume(volume, ignore_missing=True)
    for group in state["security_groups"]:
        admin.network.delete_security_group(group, ignore_missing=True)
    key = keypair(cloud, cluster)
    if key is not None:
        cloud.compute.delete_keypair(key, ignore_missing=True)
    while cluster_state(admin, project_id, cluster)["volumes"]:
        if time.monotonic() > deadline:
            raise AssertionError("volumes of %s are not gone after %ss" % (cluster, timeout))
        time.sleep(1)


def wait_volume(admin, volume_id, states, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        volume = admin.block_storage.get_volume(volume_id)
        if volume.status in states:
            return volume
        if time.monotonic() > deadline:
            raise AssertionError("volume %s is %s, not %s, after %ss"
                                 % (volume_id, volume.status, "/".join(states), timeout))
        time.sleep(1)
