"""gunicorn entry point of the harness: ``wsgi_shim:application`` loads HARNESS_WSGI_MODULE.

The services' WSGI modules parse sys.argv with oslo.config; under gunicorn that holds
gunicorn's own options, which they reject. The shim replaces it with HARNESS_WSGI_ARGV
(e.g. ``--config-file .../cinder.conf``) before importing the module.
"""

import importlib
import os
import shlex
import sys

sys.argv = [os.environ.get("HARNESS_WSGI_PROG", "harness-wsgi")] + shlex.split(
    os.environ.get("HARNESS_WSGI_ARGV", ""))
application = importlib.import_module(os.environ["HARNESS_WSGI_MODULE"]).application
