"""The definition's cluster.vars reach every host and their templates are rendered, as in
group_vars (ansible-core 2.19 leaves templates from inventory plugins unrendered unless the
plugin marks them trusted)."""

import json

import yaml

from conftest import run_ansible


def test_templates_in_cluster_vars_are_rendered(tmp_path, monkeypatch):
    definition = tmp_path / "cluster.yml"
    definition.write_text(yaml.safe_dump({
        "plugin": "gridcloud.arc_cluster.cluster",
        "cluster": {
            "name": "itvars",
            "nodes": {"frontend": {"count": 1}},
            "vars": {
                "plain": "as written",
                "from_env": "{{ lookup('ansible.builtin.env', 'GRIDCLOUD_TEST_VALUE') }}",
                "nested": {"list": ["{{ 1 + 1 }}", 3]},
            },
        },
    }))
    monkeypatch.setenv("GRIDCLOUD_TEST_VALUE", "from the environment")

    result = run_ansible("ansible", "localhost", "-i", str(definition), "-m", "ansible.builtin.debug",
                         "-a", "msg={{ [plain, from_env, nested] | to_json }}", timeout=120,
                         env={"ANSIBLE_CALLBACK_RESULT_FORMAT": "json", "ANSIBLE_LOAD_CALLBACK_PLUGINS": "0"})

    assert result.rc == 0, result.output
    shown = result.output.split("=>", 1)[1]
    assert json.loads(json.loads(shown)["msg"]) == [
        "as written", "from the environment", {"list": [2, 3]}]
