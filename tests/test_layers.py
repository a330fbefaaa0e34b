"""The package's layers, read from the source with ``ast`` (nothing is imported).

Imports only point down: domain ← models ← operations ← site ← tasks ← web, api ← cli (see
the README's Development section). Each rule below is one test, so each fails on its own,
and each names the module, the line and the import, and says what to do. (The checker that
reads the source, and the synthetic packages of its self-check, are in tests/helpers/layers.py.)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

import pytest

from tests.helpers.layers import (
    CASES,
    EMPTY_PACKAGES,
    PACKAGE,
    ROOT,
    Layers,
    Module,
    by_place,
    load,
    package_sources,
)

# Each layer, bottom up, as the parts of the package (folders or top-level modules) in it: a
# module may import its own layer and those below. The package root (create_app) may import
# anything; only the command line, which builds the app for `editorial` commands, reaches it.
LAYERS = Layers(
    order=[
        ("domain", "config", "database", "broker", "limiter_storage"),
        ("models", "extensions", "celery_app"),
        ("operations",),
        ("site",),
        ("tasks",),
        ("web", "api"),
        ("cli", ROOT),
    ],
    # Infrastructure at the bottom, beside domain: imports nothing of ours.
    leaves=frozenset({"config", "database", "broker", "limiter_storage"}),
    # Adapters side by side: same rank, yet neither may import the other.
    apart=[frozenset({"web", "api"})],
    # The worker's entry points: only the package root imports them (to register them); the
    # rest enqueue through an operation, by the task's pinned name, after the commit.
    worker_only=frozenset({"tasks"}),
    # Frameworks the pure layer does without.
    frameworks=re.compile(r"^(flask|flask_\w+|werkzeug|sqlalchemy|alembic|celery|kombu|redis)$"),
)

RULES: dict[str, Callable[[Mapping[str, Module]], list[str]]] = {
    "imports-point-down": LAYERS.upward_imports,
    "domain-is-pure": LAYERS.impure_domain,
    "no-private-names-of-other-modules": LAYERS.private_uses,
    "no-import-cycles": LAYERS.import_cycles,
    "local-imports-say-why": LAYERS.unexplained_local_imports,
}


@pytest.fixture(scope="module")
def package() -> dict[str, Module]:
    return load(package_sources())


@pytest.mark.parametrize("rule", RULES.values(), ids=RULES.keys())
def test_package_keeps_its_layers(
    rule: Callable[[Mapping[str, Module]], list[str]], package: dict[str, Module]
) -> None:
    found = sorted(rule(package), key=by_place)
    if found:
        pytest.fail(f"{rule.__doc__}\n" + "\n".join(found), pytrace=False)


def test_the_package_is_where_the_rules_look(package: dict[str, Module]) -> None:
    for folder in ("domain", "models", "operations", "site", "tasks", "web", "api"):
        assert any(module.part == folder for module in package.values()), folder
    assert PACKAGE in package  # the root, which the rules exempt by name


# ---- the rules catch what they are for (so the tests above cannot pass for nothing) ----------


@pytest.mark.parametrize("name", CASES)
def test_each_rule_catches_what_it_is_for(name: str) -> None:
    broken, expected, kept = CASES[name]
    found = RULES[name](load(EMPTY_PACKAGES | broken))
    assert len(found) == len(expected), "\n".join(found)
    for start in expected:
        assert any(finding.startswith(start) for finding in found), (start, found)
    assert RULES[name](load(EMPTY_PACKAGES | kept)) == []
