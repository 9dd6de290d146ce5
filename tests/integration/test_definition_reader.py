"""The definition is read once per playbook run, by Ansible's loader, wherever it is used.

`create` reads the inventory, refreshes it after provisioning (meta: refresh_inventory) and
runs the cluster role twice: the file is read and validated once (the reader says so at -vvv).
A vaulted value in cluster.vars works as it does in any inventory file.
"""

import yaml

from conftest import cluster_containers, network_exists, run_ansible, run_playbook

READ_MESSAGE = "gridcloud.arc_cluster: read and validated the cluster definition"
VAULT_PASSWORD = "not-a-real-secret-for-tests"


def test_create_reads_the_definition_once(tmp_path):
    definition = tmp_path / "cluster.yml"
    definition.write_text(yaml.safe_dump({
        "plugin": "gridcloud.arc_cluster.cluster",
        "cluster": {"name": "itreadonce", "nodes": {
            "frontend": {"count": 1, "groups": ["slurm_controller"]},
            "compute": {"count": 1, "groups": ["slurm_worker"]}}},
    }))

    result = run_playbook("create", definition, "--check", "-vvv")

    assert result.rc == 0, result.output
    assert "META: inventory successfully refreshed" in result.output  # asked again ...
    assert result.output.count(READ_MESSAGE) == 1, result.output  # ... the file read once
    assert "itreadonce-frontend001" in result.output
    assert cluster_containers("itreadonce") == [] and not network_exists("itreadonce")


def test_a_vaulted_value_in_cluster_vars_reaches_the_hosts(tmp_path):
    password_file = tmp_path / "vault-password"
    password_file.write_text(VAULT_PASSWORD + "\n")
    secret = run_ansible("ansible-vault", "encrypt_string", "--vault-password-file",
                         str(password_file), "--name", "site_secret", "vaulted value",
                         timeout=60)
    assert secret.rc == 0, secret.output
    vaulted = secret.output[secret.output.index("site_secret:"):]
    definition = tmp_path / "cluster.yml"
    definition.write_text(
        "plugin: gridcloud.arc_cluster.cluster\ncluster:\n  name: itvault\n  nodes:\n"
        "    frontend: {count: 1}\n  vars:\n"
        + "".join("    %s\n" % line for line in vaulted.splitlines() if line.strip()))

    result = run_ansible("ansible", "localhost", "-i", str(definition), "--vault-password-file",
                         str(password_file), "-m", "ansible.builtin.debug",
                         "-a", "msg='secret is {{ site_secret }}'", timeout=120)

    assert result.rc == 0, result.output
    assert "secret is vaulted value" in result.output
