"""The site benchmark's scripts still time what the publisher is made of: each step they wrap
is a function of the module they name (a function moved to another module broke the bench
only when it ran, minutes in)."""

from __future__ import annotations

import importlib
import re

import pytest

from bench import site_bench

SCRIPTS = {"REBUILD": site_bench.REBUILD, "PUBLISH_ONE": site_bench.PUBLISH_ONE}


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_step_a_bench_script_times_is_there(script):
    code = SCRIPTS[script]
    # What the script calls its modules: `from editorial.site import build, rebuild as x`.
    modules = {"os": "os"}
    for package, names in re.findall(r"^from ([\w.]+) import (.+)$", code, re.M):
        for name in names.split(","):
            module, _, alias = name.strip().partition(" as ")
            modules[alias or module] = f"{package}.{module}"
    steps = re.findall(r'^timed\((\w+), "(\w+)"', code, re.M)
    assert steps, script
    for module, name in steps:
        assert callable(getattr(importlib.import_module(modules[module]), name, None)), (
            f"{script} times {module}.{name}, which is not there"
        )
