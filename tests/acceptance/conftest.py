"""The acceptance run's machinery: the definition it is pointed at, the playbook and ad-hoc runs it
makes (each one's output kept in the report directory), what the cluster looks like, and the
report (report.txt beside the JUnit XML).

Configured by the environment (``make acceptance`` sets it; docs/acceptance.md):

- ``GRIDCLOUD_DEFINITION``: the cluster definition (required).
- ``GRIDCLOUD_ACCEPTANCE_REPORT``: the report directory (default build/acceptance/<cluster>).
- ``GRIDCLOUD_ACCEPTANCE_KEEP``: when set, the cluster is left for inspection instead of destroyed.
- ``GRIDCLOUD_ACCEPTANCE_VOLUME_POLICY``: ``keep`` or ``delete`` for every volume at the final
  destroy (default: each volume's own policy).
- ``GRIDCLOUD_ACCEPTANCE_NO_BOOT``: a reason why the nodes never boot (a cloud whose compute
  driver is fake); only the steps that need no booted node run, the others are skipped with it.
- ``GRIDCLOUD_ACCEPTANCE_TIMEOUT``: seconds one playbook run may take (default 7200); ``make
  vm-test`` gives VMs under TCG more.
"""

import datetime
import json
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
PLAYBOOK_TIMEOUT_DEFAULT = 7200
RECAP_RE = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)",
                      re.MULTILINE)


def _definition():
    value = os.environ.get("GRIDCLOUD_DEFINITION")
    if not value:
        raise pytest.UsageError("GRIDCLOUD_DEFINITION is not set: point it at a cluster definition "
                                "(make acceptance DEFINITION=<file>)")
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = (Path.cwd() / path).resolve()
    if not path.is_file():
        raise pytest.UsageError("GRIDCLOUD_DEFINITION: %s is not a file" % path)
    return path


# ------------------------------------------------------------------------------- runs
def playbook_timeout():
    """Seconds one playbook run may take: GRIDCLOUD_ACCEPTANCE_TIMEOUT, else 7200."""
    value = os.environ.get("GRIDCLOUD_ACCEPTANCE_TIMEOUT") or str(PLAYBOOK_TIMEOUT_DEFAULT)
    if not value.isdigit() or int(value) <= 0:
        raise pytest.UsageError("GRIDCLOUD_ACCEPTANCE_TIMEOUT: a number of seconds, not %r" % value)
    return int(value)


class Result:
    """One ansible or ansible-playbook run: rc, output, recap, duration, log file."""

    def __init__(self, proc, seconds, log):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.output = proc.stdout + proc.stderr
        self.seconds = seconds
        self.log = log

    @property
    def recap(self):
        return {host: {"ok": int(ok), "changed": int(changed), "unreachable": int(unreachable),
                       "failed": int(failed)}
                for host, ok, changed, unreachable, failed in RECAP_RE.findall(self.output)}

    def failure(self):
        """The first failed task of a playbook's output, on one line: "<task> on <host>: <msg>";
        for a run that timed out, the task it was in."""
        lines = self.output.splitlines()
        task = None
        if self.rc == 124:
            tasks = [line[len("TASK ["):].split("]", 1)[0] for line in lines
                     if line.startswith("TASK [")]
            timed_out = [line.strip() for line in lines if line.startswith("timed out after ")]
            return "%s, in task %s" % (timed_out[-1] if timed_out else "timed out",
                                       tasks[-1] if tasks else "(none yet)")
        for number, line in enumerate(lines):
            if line.startswith("TASK ["):
                task = line[len("TASK ["):].split("]", 1)[0]
            match = re.match(r"^(?:fatal|failed): \[([^\]]+)\]", line)
            if match:
                message = ""
                for follow in lines[number + 1:number + 60]:
                    stripped = follow.strip()
                    if stripped.startswith(("msg:", "stderr:")):
                        message = stripped.split(":", 1)[1].strip().strip("'\"")
                        if stripped.startswith("msg:") and message not in ("", "non-zero return code"):
                            break
                return "%s on %s: %s" % (task, match.group(1), message[:300])
        return None

    def tail(self, chars=4000):
        failure = self.failure()
        head = "%s\n" % failure if failure else ""
        return "%s%s\n(whole output: %s)" % (head, self.output[-chars:], self.log)


class Runner:
    """Runs the collection's playbooks and ad-hoc modules against one definition."""

    def __init__(self, definition, report_dir):
        self.definition = definition
        self.report_dir = report_dir
        self.count = 0

    def run(self, label, command, *args, timeout=7200, env=None, stream=False):
        """Run a command; its output goes to logs/NNN-<label>.log (with ``stream`` while it
        runs, so that a long playbook can be followed with tail -f)."""
        environment = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
                           **(env or {}))
        self.count += 1
        log = self.report_dir / "logs" / ("%03d-%s.log" % (self.count, re.sub(r"\W+", "-", label)))
        log.parent.mkdir(parents=True, exist_ok=True)
        header = "$ %s %s\n\n" % (command, " ".join(args))
        start = time.monotonic()
        if stream:
            with open(log, "w") as handle:
                handle.write(header)
                handle.flush()
                try:
                    rc = subprocess.run([command, *args], env=environment, stdout=handle,
                                        stderr=subprocess.STDOUT, check=False,
                                        timeout=timeout).returncode
                except subprocess.TimeoutExpired:
                    rc = 124
                    handle.write("\ntimed out after %s s\n" % timeout)
            output = log.read_text()[len(header):]
            proc = subprocess.CompletedProcess(command, rc, output, "")
        else:
            try:
                proc = subprocess.run([command, *args], env=environment, capture_output=True,
                                      text=True, check=False, timeout=timeout)
            except subprocess.TimeoutExpired as exc:
                proc = subprocess.CompletedProcess(
                    exc.cmd, 124, _text(exc.stdout),
                    _text(exc.stderr) + "\ntimed out after %s s" % timeout)
            log.write_text(header + proc.stdout + proc.stderr)
        result = Result(proc, time.monotonic() - start, log)
        with open(log, "a") as handle:
            handle.write("\nrc=%s in %.0f s\n" % (result.rc, result.seconds))
        return result

    def playbook(self, name, *extra, definition=None, timeout=None):
        """Run one of the collection's playbooks (or a file of this suite: ``name.yml``); the
        smoke test's results (when it ran) are in ``result.smoke``: {"results": [{node, check,
        result, detail}], "failed": n, ...}."""
        smoke_file = self.report_dir / "logs" / ("%03d-%s-smoke.json" % (self.count + 1, name))
        timeout = timeout or playbook_timeout()
        target = str(HERE / name) if name.endswith(".yml") else "gridcloud.arc_cluster.%s" % name
        result = self.run(name, "ansible-playbook", "-i", str(definition or self.definition),
                          target,
                          "-e", "smoke_results_file=%s" % smoke_file, *extra, timeout=timeout,
                          stream=True)
        result.smoke = json.loads(smoke_file.read_text()) if smoke_file.exists() else None
        return result

    def module(self, host, module, args, *extra, timeout=900):
        """An ad-hoc module run on ``host``; its result dict (json callback)."""
        result = self.run("%s-on-%s" % (module.rsplit(".", 1)[-1], host), "ansible", host,
                          "-i", str(self.definition), "-m", module, "-a", args, *extra,
                          timeout=timeout,
                          env={"ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
                               "ANSIBLE_STDOUT_CALLBACK": "json"})
        try:
            report = json.loads(result.stdout)
            return report["plays"][0]["tasks"][0]["hosts"][host]
        except (ValueError, KeyError, IndexError):
            pytest.fail("ansible %s -m %s gave no result: %s" % (host, module, result.tail()))
        return None

    def on(self, host, command, timeout=900):
        """A shell command as root on a node; its stdout (fails the step on rc != 0)."""
        answer = self.module(host, "ansible.builtin.shell", command, timeout=timeout)
        assert answer.get("rc") == 0 and not answer.get("unreachable"), \
            "on %s: %s -> %s" % (host, command, {k: answer.get(k) for k in
                                                 ("rc", "msg", "stdout", "stderr")})
        return answer["stdout"].strip()

    def variables(self, *names):
        """Inventory variables, templated as Ansible does, for localhost: {name: value}."""
        expression = "{{ {%s} }}" % ", ".join("%r: %s | default(omit)" % (n, n) for n in names)
        answer = self.module("localhost", "ansible.builtin.debug", "msg=%s" % expression)
        value = answer.get("msg")
        assert isinstance(value, dict), answer
        return {k: v for k, v in value.items() if not str(v).startswith("__omit_place_holder__")}

    def inventory(self, definition=None):
        """``ansible-inventory --list`` of the definition (the provider asked what exists)."""
        result = self.run("inventory", "ansible-inventory", "-i",
                          str(definition or self.definition), "--list")
        assert result.rc == 0, result.tail()
        inventory = Inventory(json.loads(result.stdout))
        inventory.warnings = [line for line in result.output.splitlines()
                              if "could not ask provider" in line]
        return inventory


def _text(value):
    if value is None:
        return ""
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def _plain(value):
    """Inventory JSON without the {"__ansible_unsafe": ...} wrappers."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class Inventory:
    """The cluster as the inventory plugin sees it: its active nodes by group."""

    def __init__(self, data):
        self.data = data
        self.hostvars = _plain(data.get("_meta", {}).get("hostvars", {}))
        self.active = self._hosts("gridcloud_active")
        self.warnings = []  # the inventory plugin's "could not ask provider" warnings

    def _hosts(self, group):
        entry = self.data.get(group) or {}
        hosts = list(entry.get("hosts") or [])
        for child in entry.get("children") or []:
            hosts.extend(h for h in self._hosts(child) if h not in hosts)
        return hosts

    def group(self, name):
        """The active nodes of ``name``, in inventory order."""
        return [h for h in self._hosts(name) if h in self.active]

    @property
    def definition(self):
        for host in self.hostvars.values():
            if "gridcloud_definition" in host:
                return host["gridcloud_definition"]
        return {}

    @property
    def frontend(self):
        controllers = self.group("slurm_controller")
        return controllers[0] if controllers else None

    @property
    def workers(self):
        return self.group("slurm_worker")


# ------------------------------------------------------------------------------- the run
class AcceptanceRun:
    """What the steps share: the runner, the cluster's name and provider, and what happened."""

    def __init__(self, definition, report_dir):
        self.definition = definition
        self.report_dir = report_dir
        self.runner = Runner(definition, report_dir)
        settings = self.runner.variables("gridcloud_cluster_name", "gridcloud_definition")
        self.cluster = settings["gridcloud_cluster_name"]
        self.provider = settings["gridcloud_definition"]["provider"]
        self.keep = bool(os.environ.get("GRIDCLOUD_ACCEPTANCE_KEEP"))
        self.volume_policy = os.environ.get("GRIDCLOUD_ACCEPTANCE_VOLUME_POLICY") or None
        if self.volume_policy not in (None, "keep", "delete"):
            raise pytest.UsageError("GRIDCLOUD_ACCEPTANCE_VOLUME_POLICY: keep or delete, not %r"
                                    % self.volume_policy)
        self.no_boot = os.environ.get("GRIDCLOUD_ACCEPTANCE_NO_BOOT") or None
        self.created = None
        self.destroyed = None
        self.left = []

    def destroy(self):
        extra = ["-e", "cluster_destroy_force=true"]
        if self.volume_policy:
            extra += ["-e", "cluster_destroy_volume_policy=%s" % self.volume_policy]
        self.destroyed = self.runner.playbook("destroy", *extra)
        return self.destroyed


def smoke_check(result, check, node=None):
    """(result, detail) of one smoke check in a playbook run, or None where it was not run."""
    for entry in (result.smoke or {}).get("results", []):
        if entry["check"] == check and (node is None or entry["node"] == node):
            return entry["result"], entry["detail"]
    return None


@pytest.fixture(scope="session")
def acceptance(request):
    run = AcceptanceRun(request.config.gridcloud_definition, request.config.gridcloud_report_dir)
    request.config.gridcloud_run = run
    yield run
    # the cluster never outlives the run, whatever failed, unless asked to keep it
    if run.created is not None and run.destroyed is None and not run.keep:
        run.destroy()


# ------------------------------------------------------------------------------- report
@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    definition = _definition()
    name = _cluster_name(definition)
    report_dir = Path(os.environ.get("GRIDCLOUD_ACCEPTANCE_REPORT")
                      or ROOT / "build" / "acceptance" / name).resolve()
    if report_dir.exists():
        shutil.rmtree(report_dir / "logs", ignore_errors=True)
    report_dir.mkdir(parents=True, exist_ok=True)
    config.gridcloud_definition = definition
    config.gridcloud_report_dir = report_dir
    config.gridcloud_steps = []
    config.gridcloud_started = datetime.datetime.now(datetime.timezone.utc)
    if not config.option.xmlpath:
        config.option.xmlpath = str(report_dir / "acceptance.xml")


def _cluster_name(definition):
    """The cluster's name for the report directory, read plainly (the run reads it properly)."""
    try:
        data = yaml.load(definition.read_text(), Loader=_TaggedLoader)  # noqa: S506
        return str(data["cluster"]["name"])
    except (yaml.YAMLError, KeyError, TypeError, OSError):
        return definition.stem


class Tagged:
    """A YAML value with a tag the safe loader does not know (``!vault``), kept as it is."""

    def __init__(self, tag, value):
        self.tag, self.value = tag, value


class _TaggedLoader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
    pass


class _TaggedDumper(yaml.SafeDumper):  # pylint: disable=too-many-ancestors
    pass


_TaggedLoader.add_multi_constructor(
    "!", lambda loader, suffix, node: Tagged("!" + suffix, loader.construct_scalar(node)))
_TaggedDumper.add_representer(
    Tagged, lambda dumper, data: dumper.represent_scalar(data.tag, data.value, style="|"))


def load_definition(path):
    return yaml.load(path.read_text(), Loader=_TaggedLoader)  # noqa: S506


def dump_definition(data, path):
    path.write_text("---\n" + yaml.dump(data, Dumper=_TaggedDumper, sort_keys=False))


def pytest_runtest_logreport(report):
    config = _CONFIG.get("config")
    if config is None or not hasattr(config, "gridcloud_steps"):
        return
    steps = config.gridcloud_steps
    if not steps or steps[-1]["nodeid"] != report.nodeid:
        steps.append({"nodeid": report.nodeid, "title": _TITLES.get(report.nodeid, report.nodeid),
                      "outcome": "passed", "seconds": 0.0, "detail": ""})
    step = steps[-1]
    step["seconds"] += report.duration
    if report.skipped and step["outcome"] == "passed":
        step["outcome"] = "skipped"
        longrepr = report.longrepr
        step["detail"] = longrepr[2].replace("Skipped: ", "", 1) if isinstance(longrepr, tuple) \
            else str(longrepr)
    elif report.failed:
        step["outcome"] = "failed"
        step["detail"] = _first_error(report)


_CONFIG = {}
_TITLES = {}


def _first_error(report):
    text = report.longreprtext or ""
    for line in text.splitlines():
        if line.startswith("E "):
            return line[1:].strip()[:600]
    return (text.strip().splitlines() or ["failed"])[-1][:600]


def pytest_collection_modifyitems(session, config, items):  # pylint: disable=unused-argument
    _CONFIG["config"] = config
    for item in items:
        doc = (getattr(item.function, "__doc__", None) or item.name).strip().splitlines()[0]
        _TITLES[item.nodeid] = doc.rstrip(".")


def pytest_sessionfinish(session, exitstatus):  # pylint: disable=unused-argument
    config = session.config
    if not hasattr(config, "gridcloud_steps"):
        return
    run = getattr(config, "gridcloud_run", None)
    finished = datetime.datetime.now(datetime.timezone.utc)
    lines = ["gridcloud.arc_cluster acceptance run",
             "definition: %s" % config.gridcloud_definition,
             "cluster: %s (provider %s)" % ((run.cluster, run.provider) if run else ("?", "?")),
             "started %s, finished %s (%.0f min)" % (
                 config.gridcloud_started.strftime("%Y-%m-%d %H:%M UTC"),
                 finished.strftime("%H:%M UTC"),
                 (finished - config.gridcloud_started).total_seconds() / 60),
             ""]
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    for step in config.gridcloud_steps:
        counts[step["outcome"]] += 1
        lines.append("%-8s %6.0f s  %s" % (step["outcome"], step["seconds"], step["title"]))
        if step["detail"]:
            lines.append("%17s%s" % ("", step["detail"]))
    lines += ["", "%(passed)d passed, %(skipped)d skipped, %(failed)d failed" % counts]
    if run is not None:
        if run.keep and run.created is not None:
            lines.append("the cluster was kept for inspection (GRIDCLOUD_ACCEPTANCE_KEEP); remove "
                         "it with: ansible-playbook -i %s gridcloud.arc_cluster.destroy"
                         % config.gridcloud_definition)
        elif run.destroyed is not None:
            lines.append("destroyed: rc=%s; left behind: %s" % (
                run.destroyed.rc, "; ".join(run.left) or "nothing"))
    lines.append("logs of every run: %s" % (config.gridcloud_report_dir / "logs"))
    lines.append("JUnit XML: %s" % config.option.xmlpath)
    text = "\n".join(lines) + "\n"
    (config.gridcloud_report_dir / "report.txt").write_text(text)
    config.gridcloud_report_text = text


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # pylint: disable=unused-argument
    text = getattr(config, "gridcloud_report_text", None)
    if text:
        terminalreporter.write_sep("=", "acceptance report (%s)"
                                   % (config.gridcloud_report_dir / "report.txt"))
        terminalreporter.write(text)
