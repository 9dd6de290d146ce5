"""Elastic nodes with the openstack provider, against the harness's real APIs.

The tests run in file order on one cluster, `ose` (a frontend, the SLURM controller, and a kind
with count 0 that SLURM may grow to 2):

1. create (its provisioning play) makes the frontend only, and what the controller needs to make
   nodes itself: an application credential `gridcloud-ose-elastic` in Keystone, its clouds.yaml
   (mode 0600) and an ssh key in the cluster's secrets directory; the frontend accepts that key
   (cloud-init user data, read back from Nova as the admin);
2. the controller's copy of the definition (the `definition_source` filter, as the elastic role
   writes it) holds no credential of the user;
3. with that copy, the copied secrets and no other OpenStack credential in reach, the elastic
   playbook makes `ose-compute001` (ACTIVE, the cluster's metadata, keypair and key) and removes
   it again: what SLURM's ResumeProgram and SuspendProgram run;
4. destroy with an elastic node up removes it, and the credential and key files go with the
   cluster.
"""

import base64
import json
import os
import shutil
import subprocess
import time

import pytest
import yaml

from conftest import FLAVOR, HERE, ROOT, Result, cluster_state, wipe

CLUSTER = "ose"
PROVISION = "../acceptance/provision.yml"
CREDENTIAL = "gridcloud-%s-elastic" % CLUSTER


def nodes():
    return {
        "frontend": {"count": 1, "groups": ["slurm_controller", "nfs_server"],
                     "resources": {"flavor": FLAVOR}},
        "compute": {"count": 0, "groups": ["slurm_worker", "nfs_client"],
                    "elastic": {"max": 2, "idle": 60},
                    "resources": {"flavor": FLAVOR, "cpus": 1, "memory": "512MiB"}},
    }


@pytest.fixture(scope="module")
def paths(tmp_path_factory, write_definition):
    """The user's definition (its secrets in a directory of the test) and the controller's."""
    base = tmp_path_factory.mktemp("elastic")
    definition = write_definition(CLUSTER, nodes())
    content = yaml.safe_load(definition.read_text())
    content["cluster"]["secrets_dir"] = str(base / "secrets")
    definition.write_text(yaml.safe_dump(content, sort_keys=False))
    (base / "controller").mkdir()
    return {"definition": definition, "secrets": base / "secrets",
            "controller_secrets": base / "controller" / "secrets",
            "controller_definition": base / "controller" / "cluster.yml"}


@pytest.fixture(scope="module")
def state(admin, cloud, project_id):
    def credentials():
        return [c for c in cloud.identity.application_credentials(user=cloud.current_user_id)
                if c.name == CREDENTIAL]

    def remove_credentials():
        for credential in credentials():
            cloud.identity.delete_application_credential(cloud.current_user_id, credential.id)

    def current():
        return dict(cluster_state(admin, project_id, CLUSTER), credentials=credentials())

    wipe(admin, cloud, project_id, CLUSTER)
    remove_credentials()
    yield current
    wipe(admin, cloud, project_id, CLUSTER)
    remove_credentials()


def run_as_controller(name, definition, *args):
    """ansible-playbook as the controller runs it: no OS_* variable, no clouds.yaml of the
    harness; the copy's clouds_file is the only way into the cloud."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("OS_")}
    env.update(ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               OS_CLIENT_CONFIG_FILE="/nonexistent/clouds.yaml")
    argv = ["-i", str(definition), str(HERE / name), *args]
    proc = subprocess.run(["ansible-playbook", *argv], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=False, timeout=900)
    return Result(proc, argv)


def assert_ok(result):
    assert result.rc == 0, str(result)
    recap = result.recap.get("localhost")
    assert recap and recap["failed"] == 0, str(result)


def user_data(admin, server):
    """The cloud-init user data Nova keeps for ``server`` (admin, microversion 2.3+)."""
    full = admin.compute.get_server(server.id)
    data = full.user_data
    assert data, "server %s has no user data" % server.name
    return base64.b64decode(data).decode()


def test_create_makes_the_controllers_credential_and_key(playbook, paths, admin, state):
    result = playbook(PROVISION, paths["definition"])

    assert_ok(result)
    current = state()
    assert sorted(current["servers"]) == ["ose-frontend001"]
    assert [c.name for c in current["credentials"]] == [CREDENTIAL]
    assert current["credentials"][0].unrestricted is False
    clouds_file = paths["secrets"] / "openstack-elastic-clouds.yaml"
    assert oct(clouds_file.stat().st_mode & 0o777) == "0o600"
    cloud_entry = yaml.safe_load(clouds_file.read_text())["clouds"]["gridcloud-elastic"]
    assert cloud_entry["auth"]["application_credential_id"] == current["credentials"][0].id
    secret = cloud_entry["auth"]["application_credential_secret"]
    assert secret not in result.output, "the credential's secret was printed"
    public_key = (paths["secrets"] / "elastic-ssh-key.pub").read_text().strip()
    frontend = current["servers"]["ose-frontend001"]
    assert frontend.metadata.get("gridcloud_elastic_key") == "yes"
    assert yaml.safe_load(user_data(admin, frontend)) == {"ssh_authorized_keys": [public_key]}

    again = playbook(PROVISION, paths["definition"])
    assert_ok(again)
    assert again.recap["localhost"]["changed"] == 0, str(again)
    assert [c.id for c in state()["credentials"]] == [c.id for c in current["credentials"]]


def test_the_controllers_copy_holds_no_credential_of_the_user(playbook, paths):
    result = playbook("controller_copy.yml", paths["definition"],
                      "-e", "controller_secrets_dir=%s" % paths["controller_secrets"],
                      "-e", "controller_definition=%s" % paths["controller_definition"])

    assert_ok(result)
    copy = yaml.safe_load(paths["controller_definition"].read_text())
    settings = copy["cluster"]["openstack"]
    assert settings["cloud"] == "gridcloud-elastic"
    assert settings["clouds_file"] == "%s/openstack-elastic-clouds.yaml" % paths["controller_secrets"]
    assert settings["private_key_file"] == "%s/elastic-ssh-key" % paths["controller_secrets"]
    assert settings["key_name"] == "%s-key" % CLUSTER
    assert "public_key_file" not in settings and "auth" not in settings
    # the secrets, as setup copies them to the controller at its end
    shutil.copytree(paths["secrets"], paths["controller_secrets"])


def test_the_controller_makes_and_removes_an_elastic_node(paths, admin, state):
    up = run_as_controller("elastic.yml", paths["controller_definition"],
                           "-e", json.dumps({"elastic_up": ["ose-compute001"]}))

    assert_ok(up)
    current = state()
    assert sorted(current["servers"]) == ["ose-compute001", "ose-frontend001"]
    made = current["servers"]["ose-compute001"]
    assert made.status == "ACTIVE", (made.status, made.fault)
    assert made.metadata["gridcloud_cluster"] == CLUSTER
    assert made.metadata["gridcloud_kind"] == "compute"
    assert made.metadata["gridcloud_index"] == "1"
    assert made.key_name == "%s-key" % CLUSTER
    assert {g["name"] for g in made.security_groups} == {CLUSTER}
    public_key = (paths["secrets"] / "elastic-ssh-key.pub").read_text().strip()
    assert yaml.safe_load(user_data(admin, made)) == {"ssh_authorized_keys": [public_key]}

    down = run_as_controller("elastic.yml", paths["controller_definition"],
                             "-e", json.dumps({"elastic_down": ["ose-compute001"]}))

    assert_ok(down)
    deadline = time.monotonic() + 120
    while "ose-compute001" in state()["servers"]:
        assert time.monotonic() < deadline, "ose-compute001 was not deleted"
        time.sleep(1)
    assert sorted(state()["servers"]) == ["ose-frontend001"]


def test_destroy_removes_elastic_nodes_and_the_credential(playbook, paths, state):
    up = run_as_controller("elastic.yml", paths["controller_definition"],
                           "-e", json.dumps({"elastic_up": ["ose-compute002"]}))
    assert_ok(up)
    assert "ose-compute002" in state()["servers"]

    result = playbook("destroy.yml", paths["definition"])

    assert_ok(result)
    current = state()
    assert current["servers"] == {} and current["credentials"] == []
    assert not (paths["secrets"] / "openstack-elastic-clouds.yaml").exists()
    assert not (paths["secrets"] / "elastic-ssh-key").exists()
