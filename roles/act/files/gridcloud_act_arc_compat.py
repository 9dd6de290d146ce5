"""Let aCT run on the SWIG bindings of ARC 7 (installed by the gridcloud.arc_cluster act role).

aCT was written against older builds of ARC's Python bindings. With ARC 7.0 it needs:
  * the flat names ``arc.Logger_getRootLogger`` and ``arc.JobDescription_Parse`` (now static
    methods: ``arc.Logger.getRootLogger``, ``arc.JobDescription.Parse``);
  * ``arc.Job.LOGDIR`` hidden: aCT makes one column per attribute of ``arc.Job`` and MySQL's
    column names ignore case, so the new constant collides with ``LogDir``.

A .pth file in the venv imports this module at start-up, before the system's dist-packages
(where ``arc`` lives) are on sys.path, so the patch is applied by an import hook when ``arc``
is first imported.
"""

import importlib.abc
import importlib.machinery
import sys


def patch(arc):
    for flat, owner, name in (("Logger_getRootLogger", "Logger", "getRootLogger"),
                              ("JobDescription_Parse", "JobDescription", "Parse")):
        if not hasattr(arc, flat) and hasattr(getattr(arc, owner, None), name):
            setattr(arc, flat, getattr(getattr(arc, owner), name))
    job = getattr(arc, "Job", None)
    if job is not None and "LOGDIR" in vars(job):
        try:
            delattr(job, "LOGDIR")
        except (AttributeError, TypeError):
            pass


class _Loader(importlib.abc.Loader):
    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        patch(module)


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname != "arc":
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        finally:
            sys.meta_path.insert(0, self)
        if spec is not None and spec.loader is not None:
            spec.loader = _Loader(spec.loader)
        return spec


if "arc" in sys.modules:
    patch(sys.modules["arc"])
elif not any(isinstance(finder, _Finder) for finder in sys.meta_path):
    sys.meta_path.insert(0, _Finder())
