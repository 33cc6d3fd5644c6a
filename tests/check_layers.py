#!/usr/bin/env python3
"""The layer rules of docs/architecture.md, checked on the real include chains: every translation
unit under ui/, viewers/ and app/gui is preprocessed (the compiler's -MM list, from the build's
compile_commands.json) and must reach no LibTorch header; those under core/ (but core/train) and
ui/model must reach no Qt and no VTK header. Usage: check_layers.py BUILD_DIR SOURCE_DIR"""
import json
import os
import shlex
import subprocess
import sys

build, source = sys.argv[1], os.path.realpath(sys.argv[2])
units = json.load(open(os.path.join(build, "compile_commands.json")))

def rel(path):
    return os.path.relpath(os.path.realpath(path), source)

def headers(unit):
    args = shlex.split(unit["command"])
    # Drop the output and the -c/-o pair; ask for the dependency list only.
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
            continue
        if a in ("-o", "-MF", "-MT", "-MQ"):
            skip = True
            continue
        if a in ("-c", "-MD", "-MMD") or a.startswith("-Winvalid-pch") or a.endswith(".gch"):
            continue
        out.append(a)
    # A precompiled header would hide what the unit includes: use the plain headers.
    out = [a for a in out if not a.startswith("-include") and "cmake_pch" not in a]
    r = subprocess.run(out + ["-M", "-E"], cwd=unit["directory"], capture_output=True, text=True)
    if r.returncode != 0:  # e.g. a Qt header in core, where Qt is not even on the include path
        return None, r.stderr.strip().splitlines()[-3:]
    return r.stdout.replace("\\\n", " ").split()[1:], None

rules = [
    (("ui/", "viewers/", "app/gui/"), ("torch/", "ATen/", "c10/"), "a LibTorch header"),
    (("core/", "ui/model/"), ("QtCore/", "QtWidgets/", "QtGui/", "vtk"), "a Qt or VTK header"),
]
problems, checked = [], 0
for unit in units:
    f = rel(unit["file"])
    if f.startswith("..") or "/CMakeFiles/" in f or f.startswith("core/train/"):
        continue
    for prefixes, banned, what in rules:
        if not f.startswith(prefixes) or (prefixes[0] == "core/" and f.startswith("core/train")):
            continue
        checked += 1
        found, error = headers(unit)
        if error:
            problems.append(f"{f} does not preprocess with its own flags: " + " / ".join(error))
            break
        for h in found:
            if any(b in h for b in banned):
                problems.append(f"{f} reaches {what}: {h}")
                break
for p in problems:
    print(p)
print(f"check_layers: {checked} translation units checked, {len(problems)} problem(s)")
sys.exit(1 if problems else 0)
