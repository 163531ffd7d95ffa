#!/usr/bin/env python3
"""The rooms stand on each other (common <- wyze <- mqtt <- bridge): with the compile command of a
real file of each room (compile_commands.json), an include of a higher room does not build, and an
include of the same or a lower room does (so the check itself can fail)."""
import json, os, shlex, subprocess, sys, tempfile

build = sys.argv[1]
commands = {os.path.relpath(c["file"], c["directory"] if os.path.isabs(c["file"]) else "."): c
            for c in json.load(open(os.path.join(build, "compile_commands.json")))}

def command_of(source):
    for path, c in commands.items():
        if path.endswith(source):
            return c
    sys.exit(f"rooms_test: no compile command for {source} in {build}/compile_commands.json")

def compiles(source, include):
    c = command_of(source)
    args = shlex.split(c["command"]) if "command" in c else list(c["arguments"])
    kept, skip = [], False
    for a in args:
        if skip:
            skip = False
        elif a in ("-o", "-c", "-MT", "-MF"):
            skip = True
        elif a not in ("-MD",) and not a.endswith(source):
            kept.append(a)
    with tempfile.NamedTemporaryFile("w", suffix=".cpp") as probe:
        probe.write(f'#include "{include}"\n')
        probe.flush()
        run = subprocess.run(kept + ["-fsyntax-only", probe.name], cwd=c["directory"],
                             capture_output=True, text=True)
    return run.returncode == 0, run.stderr

cases = [  # (a file of the room, include, should build)
    ("common/log.cpp", "common/hex.hpp", True),
    ("common/log.cpp", "wyze/camera.hpp", False),
    ("wyze/camera.cpp", "common/log.hpp", True),
    ("wyze/camera.cpp", "mqtt/topics.hpp", False),
    ("wyze/cloud_client.cpp", "bridge/config.hpp", False),
    ("mqtt/topics.cpp", "wyze/camera.hpp", True),
    ("mqtt/discovery.cpp", "bridge/retained_state.hpp", False),
    ("sim/account.cpp", "bridge/config.hpp", False),
    ("bridge/core.cpp", "mqtt/discovery.hpp", True),
]
failed = 0
for source, include, should in cases:
    ok, err = compiles(source, include)
    verdict = "builds" if ok else "does not build"
    if ok != should:
        failed += 1
        print(f"FAIL: #include \"{include}\" in {source} {verdict}\n{err}")
    else:
        print(f"ok: #include \"{include}\" in {source} {verdict}")
print(f"{len(cases) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
