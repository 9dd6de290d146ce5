#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write each role's variable tables into its README from its meta/argument_specs.yml.

For every entry point of a role, a Markdown table of its options (variable, type, default,
description; sub-options as rows of their own) goes between the lines

    <!-- BEGIN ROLE VARIABLES (generated from meta/argument_specs.yml by tools/role-docs.py) -->
    <!-- END ROLE VARIABLES -->

of roles/<role>/README.md; the rest of the README is left as it is. Semantic markup (O(), V(),
C(), RV(), ...) is rendered as Markdown.

usage: tools/role-docs.py [--check] [ROLE ...]

  (no option)  rewrite the tables of the roles named (default: every role)
  --check      change nothing; exit 1 listing the roles whose README differs from what this
               tool writes (or has no markers, or whose role has no meta/argument_specs.yml)

Run it after changing a role's meta/argument_specs.yml; tests/unit/test_role_docs.py runs
--check.
"""

from __future__ import annotations

import argparse
import os
import re
import sys

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROLES_DIR = os.path.join(REPO, "roles")
BEGIN = "<!-- BEGIN ROLE VARIABLES (generated from meta/argument_specs.yml by tools/role-docs.py) -->"
END = "<!-- END ROLE VARIABLES -->"
NOTE = "<!-- Not to be edited here: edit meta/argument_specs.yml, run tools/role-docs.py. -->"

# Semantic markup of ansible-doc: NAME(content), content up to the first unescaped ")".
MARKUP = re.compile(r"\b(RV|HORIZONTALLINE|[IBCMULVOEP])(?:\(((?:[^)\\]|\\.)*)\))?")


def unescape(text):
    return re.sub(r"\\(.)", r"\1", text)


def code(text):
    """A Markdown code span holding text (longer fences when the text has backticks)."""
    if not text:
        return '`""`'
    fence = "`"
    while fence in text:
        fence += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return "%s%s%s%s%s" % (fence, pad, text, pad, fence)


def plain(text):
    """Text outside code: what Markdown would take for HTML is escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def markup(text):
    """Render ansible-doc semantic markup as Markdown (inline, one line)."""
    out = []
    pos = 0
    for match in MARKUP.finditer(text):
        name, content = match.group(1), match.group(2)
        if name != "HORIZONTALLINE" and content is None:
            continue  # a word such as "I" or "C", not markup
        out.append(plain(text[pos:match.start()]))
        pos = match.end()
        if name == "HORIZONTALLINE":
            out.append(" ")
            continue
        content = unescape(content)
        if name == "I":
            out.append("*%s*" % plain(content))
        elif name == "B":
            out.append("**%s**" % plain(content))
        elif name == "U":
            out.append("<%s>" % content)
        elif name == "L":
            label, _comma, url = content.partition(",")
            out.append("[%s](%s)" % (plain(label.strip()), url.strip()))
        elif name in ("O", "RV"):
            # O(fqcn#role:entry_point:option=value) names another entry point's option: the
            # README shows the option, as ansible-doc does.
            option, equals, value = content.partition("=")
            if "#" in option:
                option = option.rsplit(":", 1)[-1]
            out.append(code(option + equals + value))
        else:  # C, V, E, M, P
            out.append(code(content))
    out.append(plain(text[pos:]))
    return " ".join("".join(out).split())


def description(spec):
    value = spec.get("description") or ""
    paragraphs = value if isinstance(value, list) else [value]
    return " ".join(markup(str(paragraph)) for paragraph in paragraphs if paragraph)


def type_name(spec):
    kind = spec.get("type", "str")
    if kind == "list" and spec.get("elements"):
        return "list of %s" % spec["elements"]
    return kind


def default_text(spec):
    if "default" not in spec:
        # computed by the role (defaults/main.yml); the description says how
        return "*see description*" if "default" in description(spec).lower() else ""
    value = spec["default"]
    if isinstance(value, str):
        return code(value)
    dumped = yaml.safe_dump(value, default_flow_style=True, width=10 ** 6, sort_keys=False)
    return code(dumped.strip().removesuffix("...").strip())


def cell(text):
    """A table cell: one line, pipes escaped (also inside code spans, as GFM wants)."""
    return " ".join(text.split()).replace("|", "\\|")


def option_rows(options, prefix=""):
    rows = []
    for name, spec in options.items():
        spec = spec or {}
        text = description(spec)
        if spec.get("required"):
            text = "**Required.** " + text
        if spec.get("choices"):
            text += " Choices: %s." % ", ".join(code(str(choice)) for choice in spec["choices"])
        rows.append("| %s | %s | %s | %s |" % (cell(code(prefix + name)), cell(type_name(spec)),
                                               cell(default_text(spec)), cell(text.strip())))
        if spec.get("options"):
            sub = prefix + name + ("[]." if spec.get("type") == "list" else ".")
            rows += option_rows(spec["options"], sub)
    return rows


def load_specs(role):
    for name in ("argument_specs.yml", "argument_specs.yaml"):
        path = os.path.join(ROLES_DIR, role, "meta", name)
        if os.path.exists(path):
            with open(path, encoding="utf-8") as handle:
                return (yaml.safe_load(handle) or {}).get("argument_specs") or {}
    return None


def render(role):
    """The lines between (and including) the markers for role, or None without argument_specs."""
    specs = load_specs(role)
    if specs is None:
        return None
    lines = [BEGIN, NOTE]
    seen = []  # (entry point, options) already written
    for entry, spec in specs.items():
        spec = spec or {}
        options = spec.get("options") or {}
        title = "### Entry point `%s`" % entry
        if spec.get("short_description"):
            title += ": " + markup(str(spec["short_description"]))
        lines += ["", title, ""]
        same = [name for name, known in seen if known == options]
        if not options:
            lines.append("No options.")
        elif same:
            lines.append("The same options as the entry point %s." % code(same[0]))
        else:
            lines += ["| Variable | Type | Default | Description |", "| --- | --- | --- | --- |"]
            lines += option_rows(options)
        seen.append((entry, options))
    lines += ["", END]
    return lines


def readme_path(role):
    return os.path.join(ROLES_DIR, role, "README.md")


def updated(role):
    """(new README text or None, problem or None)."""
    block = render(role)
    if block is None:
        return None, "roles/%s has no meta/argument_specs.yml" % role
    path = readme_path(role)
    if not os.path.exists(path):
        return None, "roles/%s/README.md does not exist" % role
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    lines = text.split("\n")
    if lines.count(BEGIN) != 1 or lines.count(END) != 1 or lines.index(BEGIN) > lines.index(END):
        return None, ("roles/%s/README.md needs the two lines %s and %s, once each, where the "
                      "tables go" % (role, BEGIN, END))
    start, stop = lines.index(BEGIN), lines.index(END)
    return "\n".join(lines[:start] + block + lines[stop + 1:]), None


def roles():
    return sorted(name for name in os.listdir(ROLES_DIR) if os.path.isdir(os.path.join(ROLES_DIR, name)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 listing the roles whose README is not up to date")
    parser.add_argument("roles", nargs="*", metavar="ROLE", help="roles (default: all)")
    args = parser.parse_args(argv)
    names = args.roles or roles()
    unknown = [name for name in names if name not in roles()]
    if unknown:
        parser.error("no such role: %s" % ", ".join(unknown))
    problems, stale = [], []
    for role in names:
        text, problem = updated(role)
        if problem:
            problems.append(problem)
            continue
        with open(readme_path(role), encoding="utf-8") as handle:
            current = handle.read()
        if text == current:
            continue
        if args.check:
            stale.append(role)
        else:
            with open(readme_path(role), "w", encoding="utf-8") as handle:
                handle.write(text)
            print("roles/%s/README.md: variable tables written" % role)
    for problem in problems:
        print(problem, file=sys.stderr)
    if stale:
        print("README variable tables differ from meta/argument_specs.yml in: %s\n"
              "run tools/role-docs.py to rewrite them" % ", ".join(stale), file=sys.stderr)
    return 1 if problems or stale else 0


if __name__ == "__main__":
    sys.exit(main())
