"""Fake aCTConfigARC: the sites and tmp dir of the fake database file."""
import json
import os


class _Obj:
    def __init__(self, data):
        self.__dict__.update(data)


class aCTConfigARC:  # pylint: disable=invalid-name
    def __init__(self, path=""):
        if not os.path.exists(path):
            raise Exception("aCTConfigARC.yaml not found")  # pylint: disable=broad-exception-raised
        with open(os.environ["FAKE_ACT_DB"]) as handle:
            state = json.load(handle)
        self.sites = [(name, _Obj({"endpoint": url})) for name, url in state["sites"].items()]
        self.tmp = _Obj({"dir": state["tmpdir"]})
