"""The app's class, for its URL rules: Werkzeug's, each URL builder compiled when first used.

Werkzeug compiles two builders per rule (a generated function each, by way of ``ast`` and
``compile``) as the rule is added: about 90 % of ``create_app``'s time, paid by every process
and by every app a test makes, for rules most processes never build a URL for (a worker
builds a handful; the API's and the admin's rules are never built in the site's pages).
Matching a request does not use them; ``url_for`` compiles a rule's builder on its first use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from werkzeug.routing import Rule


class LazyBuildRule(Rule):
    """A rule whose URL builders are compiled on first use, then kept."""

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        compile_now = super()._compile_builder
        built: list[Callable[..., tuple[str, str]]] = []

        def build(rule: Rule, *args: Any, **kwargs: Any) -> tuple[str, str]:
            if not built:  # two threads may both compile it: the same function, harmless
                built.append(compile_now(append_unknown).__get__(rule, None))
            return built[0](*args, **kwargs)

        return build


class EditorialFlask(Flask):
    """Flask, with rules that compile their URL builders on first use."""

    url_rule_class = LazyBuildRule
