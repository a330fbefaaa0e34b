"""The layer checker of tests/test_layers.py: it reads the package's source with ``ast``
(nothing is imported) and checks it against a ``Layers`` policy, one rule a method, each
returning its findings, one line each. With, for the self-check, small synthetic packages that
break and keep each rule (CASES)."""

from __future__ import annotations

import ast
import graphlib
import io
import itertools
import re
import tokenize
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "editorial"
PACKAGE_DIR = Path(__file__).resolve().parent.parent.parent / PACKAGE
ROOT = "__init__"  # the package root (create_app), which some rules exempt by name
CLOCK_ATTRIBUTES = {"now", "utcnow", "today"}  # datetime.now(), date.today(), x.utcnow()
CLOCK_CALLS = {"utcnow", "time.time", "time.time_ns", "time.monotonic", "time.perf_counter"}
NO_REASON = re.compile(r"noqa(:\s*[A-Z]+\d+(\s*,\s*[A-Z]+\d+)*)?|type:\s*ignore(\[[^]]*\])?")


@dataclass(frozen=True)
class Module:
    name: str  # editorial.operations.posts
    path: str  # editorial/operations/posts.py
    is_package: bool
    tree: ast.Module
    comments: dict[int, tuple[str, bool]]  # line -> (comment text, whether the line is only it)

    @property
    def part(self) -> str:
        """Its key in ``Layers.order``: the folder or top-level module under the package."""
        return part_of(self.name)


@dataclass(frozen=True)
class Import:
    module: Module
    target: str  # our module it reaches (the longest known prefix of what it names)
    name: str | None  # the name taken from ``target``, if not a module itself
    bound: tuple[str, str] | None  # (local name, module) when it binds a module to a name
    statement: str  # as written, on one line
    line: int
    end_line: int
    local: bool  # inside a function
    typing_only: bool  # under ``if TYPE_CHECKING:``
    ours: bool  # whether it reaches our code


def part_of(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ROOT


def ours(name: str) -> bool:
    return name == PACKAGE or name.startswith(PACKAGE + ".")


def private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def load(sources: Mapping[str, str]) -> dict[str, Module]:
    """Parse ``{"editorial/x/y.py": source}`` into modules by dotted name."""
    modules = {}
    for path, source in sources.items():
        parts = path.removesuffix(".py").split("/")
        is_package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_package else parts)
        comments = {}
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                alone = not token.line[: token.start[1]].strip()
                comments[token.start[0]] = (token.string.lstrip("#").strip(), alone)
        modules[name] = Module(name, path, is_package, ast.parse(source, path), comments)
    return modules


def package_sources() -> dict[str, str]:
    return {
        path.relative_to(PACKAGE_DIR.parent).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(PACKAGE_DIR.rglob("*.py"))
    }


def resolve(name: str, modules: Mapping[str, Module]) -> str:
    """The longest prefix of ``name`` that is one of our modules (else ``name`` itself)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in modules:
            return ".".join(parts[:end])
    return name


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def all_imports(module: Module, modules: Mapping[str, Module]) -> Iterator[Import]:
    """Every name of every import statement, at any depth."""

    def visit(node: ast.AST, local: bool, typing_only: bool) -> Iterator[Import]:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                yield from visit(child, local, True)
            for child in node.orelse:
                yield from visit(child, local, typing_only)
            return
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield from statement(node, local, typing_only)
            return
        inner = local or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        for child in ast.iter_child_nodes(node):
            yield from visit(child, inner, typing_only)

    def statement(
        node: ast.Import | ast.ImportFrom, local: bool, typing_only: bool
    ) -> Iterator[Import]:
        lines = (node.lineno, node.end_lineno or node.lineno)
        if isinstance(node, ast.Import):
            for alias in node.names:
                text = f"import {alias.name}" + (f" as {alias.asname}" if alias.asname else "")
                target = resolve(alias.name, modules)
                # `import a.b as m` binds m to a.b; `import a.b` binds a to a
                local_name = alias.asname or alias.name.split(".")[0]
                bound = (local_name, target if alias.asname else resolve(local_name, modules))
                flags = (local, typing_only, ours(alias.name))
                yield Import(module, target, None, bound, text, *lines, *flags)
            return
        base = node.module or ""
        if node.level:
            package = module.name if module.is_package else module.name.rpartition(".")[0]
            package = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
            base = f"{package}.{base}" if base else package
        for alias in node.names:
            text = f"from {'.' * node.level}{node.module or ''} import {alias.name}"
            text += f" as {alias.asname}" if alias.asname else ""
            if f"{base}.{alias.name}" in modules:  # a module of the package, not a name in it
                target, name = f"{base}.{alias.name}", None
                bound = (alias.asname or alias.name, target)
            else:
                target, name, bound = resolve(base, modules), alias.name, None
            flags = (local, typing_only, ours(base))
            yield Import(module, target, name, bound, text, *lines, *flags)

    yield from visit(module.tree, False, False)


def our_imports(module: Module, modules: Mapping[str, Module]) -> list[Import]:
    return [imp for imp in all_imports(module, modules) if imp.ours]


def where(imp: Import) -> str:
    return f"{imp.module.path}:{imp.line}: `{imp.statement}`"


def by_place(finding: str) -> tuple[str, int]:
    """A sort key for findings: the path, then the line."""
    path, _, rest = finding.partition(":")
    line = rest.partition(":")[0]
    return path, int(line) if line.isdigit() else 0


# ---- the policy and its rules ------------------------------------------------------------------


@dataclass(frozen=True)
class Layers:
    """Which part of the package (a folder or a top-level module) sits in which layer, and the
    rules that follow: each method takes the parsed package and returns its findings."""

    order: list[tuple[str, ...]]  # the layers, bottom up: a part may import its own and below
    leaves: frozenset[str]  # infrastructure beside the bottom layer: imports nothing of ours
    apart: list[frozenset[str]]  # parts of one rank that may not import each other
    worker_only: frozenset[str]  # only the package root imports these
    frameworks: re.Pattern[str]  # what the pure layer does without

    @property
    def ranks(self) -> dict[str, int]:
        return {part: rank for rank, parts in enumerate(self.order) for part in parts}

    def upward_imports(self, modules: Mapping[str, Module]) -> list[str]:
        """Imports point down; web and api not each other; only the package root imports tasks."""
        ranks, found = self.ranks, []
        for module in modules.values():
            if module.part not in ranks:
                found.append(
                    f"{module.path}: in no layer: move it into a layer folder (or add it to LAYERS)"
                )
                continue
            if module.part == ROOT:
                continue
            rank = ranks[module.part]
            for imp in our_imports(module, modules):
                to = part_of(imp.target)
                if to == module.part:
                    continue
                if module.part in self.leaves:
                    found.append(
                        f"{where(imp)}: {module.part} is infrastructure and imports nothing of "
                        f"ours; pass what it needs in from the caller"
                    )
                elif to not in ranks:
                    found.append(f"{where(imp)}: {imp.target} is in no layer")
                elif to in self.worker_only:
                    found.append(
                        f"{where(imp)}: only create_app imports {to} (to register them); enqueue "
                        f"through an operation that sends the task by its pinned name after commit"
                    )
                elif ranks[to] > rank:
                    found.append(
                        f"{where(imp)}: {module.part} (layer {rank}) imports {imp.target} (layer "
                        f"{ranks[to]}), above it; move what it needs down into {module.part} or "
                        f"below, or let a caller in {to} do that part"
                    )
                elif frozenset({module.part, to}) in self.apart:
                    found.append(
                        f"{where(imp)}: {module.part} and {to} are side by side and may not import "
                        f"each other; move the shared piece down (operations, or domain)"
                    )
        return found

    def impure_domain(self, modules: Mapping[str, Module]) -> list[str]:
        """domain imports only domain, no framework, and never reads the clock."""
        found = []
        for module in modules.values():
            if module.part != "domain":
                continue
            for imp in all_imports(module, modules):
                if imp.ours and part_of(imp.target) != "domain":
                    found.append(
                        f"{where(imp)}: domain imports nothing of ours outside domain; move the "
                        f"caller up to operations, or pass the value in"
                    )
                top = imp.statement.split()[1].split(".")[0]
                if not imp.ours and self.frameworks.match(top):
                    found.append(
                        f"{where(imp)}: domain is pure (no Flask, no session, no Celery); move "
                        f"this code to models or operations"
                    )
            time_names = {
                imp.statement.split()[-1]
                for imp in all_imports(module, modules)
                if imp.statement.startswith("from time import ")
            }
            for node in ast.walk(module.tree):
                if isinstance(node, ast.Call) and _reads_clock(node, time_names):
                    found.append(
                        f"{module.path}:{node.lineno}: `{ast.unparse(node)}` reads the clock; "
                        f"domain takes `now` as a parameter, which the operation passes in"
                    )
        return found

    def private_uses(self, modules: Mapping[str, Module]) -> list[str]:
        """No module imports or calls another of our modules' ``_private`` names."""
        found = []
        for module in modules.values():
            aliases = {}  # local name -> our module it stands for
            for imp in our_imports(module, modules):
                if imp.name and private(imp.name) and imp.target != module.name:
                    found.append(
                        f"{where(imp)}: {imp.name} is private to {imp.target}; call a public "
                        f"function of {imp.target} (give it a name without the underscore and a "
                        f"docstring), or move this code into {imp.target}"
                    )
                if imp.bound:
                    aliases[imp.bound[0]] = imp.bound[1]
            for node in ast.walk(module.tree):
                if not (isinstance(node, ast.Attribute) and private(node.attr)):
                    continue
                dotted = _dotted(node.value)
                if dotted is None or dotted.split(".")[0] not in aliases:
                    continue
                head, _, rest = dotted.partition(".")
                target = f"{aliases[head]}.{rest}" if rest else aliases[head]
                if target in modules and target != module.name:
                    found.append(
                        f"{module.path}:{node.lineno}: `{ast.unparse(node)}` is private to "
                        f"{target}; call a public operation of {target} that runs the guard "
                        f"itself, or make this helper public under a name without the underscore"
                    )
        return found

    def import_cycles(self, modules: Mapping[str, Module]) -> list[str]:
        """No cycle among our modules' module-level imports (``TYPE_CHECKING`` ones excepted)."""
        edges: dict[str, dict[str, Import]] = {name: {} for name in modules}
        for imp in (imp for module in modules.values() for imp in our_imports(module, modules)):
            if not (imp.local or imp.typing_only) and imp.target in modules:
                if imp.target != imp.module.name:
                    edges[imp.module.name].setdefault(imp.target, imp)
        found = []
        while True:  # report a cycle, cut one of its edges, look again: each cycle once
            try:
                graphlib.TopologicalSorter(edges).prepare()
                return found
            except graphlib.CycleError as error:
                nodes = error.args[1][:0:-1]  # graphlib lists importers after what they import
            first = nodes.index(min(nodes))
            path = nodes[first:] + nodes[:first] + [nodes[first]]
            steps = "; ".join(where(edges[a][b]) for a, b in itertools.pairwise(path))
            found.append(
                f"import cycle {' -> '.join(path)} ({steps}): move the piece both need down a "
                f"layer, or have the upper module pass it in; a function-local import only hides it"
            )
            del edges[path[0]][path[1]]

    def unexplained_local_imports(self, modules: Mapping[str, Module]) -> list[str]:
        """A function-local import of our code says why in a comment (same or previous line)."""
        found = []
        for module in modules.values():
            if module.part == ROOT:
                # create_app imports everything inside itself: importing the package is cheap
                continue
            reported = set()
            for imp in our_imports(module, modules):
                if not imp.local or imp.line in reported:
                    continue
                lines = range(imp.line, imp.end_line + 1)
                said = [module.comments[n][0] for n in lines if n in module.comments]
                above = module.comments.get(imp.line - 1)
                if above and above[1]:
                    said.append(above[0])
                if not any(re.search("[A-Za-z]", NO_REASON.sub("", text)) for text in said):
                    reported.add(imp.line)
                    found.append(
                        f"{where(imp)}: function-local import of our code; move it to the top of "
                        f"the module (a cycle that appears is the bug: move the shared piece "
                        f"down), or, if Celery task registration truly needs it here, say why in "
                        f"a comment on this line or the line above"
                    )
        return found


def _reads_clock(call: ast.Call, time_names: set[str]) -> bool:
    name = ast.unparse(call.func)
    head, _, last = name.rpartition(".")
    return (bool(head) and last in CLOCK_ATTRIBUTES) or name in CLOCK_CALLS | time_names


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else None
    return None


# ---- the self-check: a package that breaks each rule, and one that keeps it ------------------

EMPTY_PACKAGES = {
    f"editorial/{folder}/__init__.py": ""
    for folder in ("domain", "models", "operations", "site", "tasks", "web", "api")
}
EMPTY_PACKAGES["editorial/__init__.py"] = ""

# rule -> (a package that breaks it, the findings expected, a package that keeps it)
CASES = {
    "imports-point-down": (
        {
            "editorial/operations/publishing.py": "import os\nfrom editorial.site import build\n",
            "editorial/site/build.py": "from editorial.web.review import render_page\n",
            "editorial/web/review.py": "def render_page():\n    from editorial.api import views\n",
            "editorial/api/views.py": "from editorial.tasks.mail import send_invitation\n",
            "editorial/tasks/mail.py": "from editorial.site.build import build\n",
            "editorial/config.py": "from editorial.domain import rules\n",
            "editorial/domain/rules.py": "",
        },
        [
            "editorial/operations/publishing.py:2: `from editorial.site import build`",
            "editorial/site/build.py:1:",
            "editorial/web/review.py:2:",
            "editorial/api/views.py:1:",
            "editorial/config.py:1:",
        ],
        {
            "editorial/operations/publishing.py": "from editorial.operations import posts\n",
            "editorial/operations/posts.py": "from editorial.models import db\n",
            "editorial/web/review.py": "from editorial.site import build\n",
            "editorial/site/build.py": "",
            "editorial/cli.py": "def main():\n    from editorial import create_app\n",
        },
    ),
    "domain-is-pure": (
        {
            "editorial/domain/rules.py": (
                "import datetime\nimport sqlalchemy as sa\nfrom editorial.models import Post\n"
                "def late(post):\n    return post.at < datetime.datetime.now()\n"
            ),
            "editorial/domain/workflow.py": "from time import time\nSTART = time()\n",
        },
        [
            "editorial/domain/rules.py:2:",
            "editorial/domain/rules.py:3:",
            "editorial/domain/rules.py:5:",
            "editorial/domain/workflow.py:2:",
        ],
        {
            "editorial/domain/rules.py": (
                "from editorial.domain.interchange import Entry\n"
                "def late(post, now):\n    return post.at < now\n"
            ),
            "editorial/domain/interchange.py": "import pydantic\n",
        },
    ),
    "no-private-names-of-other-modules": (
        {
            "editorial/operations/posts.py": "def _why_not_reviewer(): ...\n",
            "editorial/operations/review.py": (
                "from editorial.operations import posts\nposts._why_not_reviewer()\n"
            ),
            "editorial/web/review.py": (
                "import editorial.operations.posts\n"
                "from editorial.operations.posts import _why_not_reviewer as why\n"
                "editorial.operations.posts._why_not_reviewer()\n"
            ),
        },
        [
            "editorial/operations/review.py:2: `posts._why_not_reviewer`",
            "editorial/web/review.py:2:",
            "editorial/web/review.py:3:",
        ],
        {
            "editorial/operations/posts.py": (
                "import os\ndef _why(): ...\ndef why(): return _why()\nos._exit(0)\n"
            ),
            "editorial/operations/review.py": (
                "from editorial.operations import posts\nposts.why()\nposts.__name__\n"
            ),
        },
    ),
    "no-import-cycles": (
        {
            "editorial/operations/outbox.py": "from editorial.operations import publishing\n",
            "editorial/operations/publishing.py": "from editorial.operations.notify import x\n",
            "editorial/operations/notify.py": "from editorial.operations.outbox import y\n",
        },
        [
            "import cycle editorial.operations.notify -> editorial.operations.outbox -> "
            "editorial.operations.publishing -> editorial.operations.notify",
        ],
        {
            "editorial/operations/outbox.py": "from editorial.operations import publishing\n",
            "editorial/operations/publishing.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                "    from editorial.operations.outbox import y\n"
                "def f():\n    from editorial.operations.outbox import y  # why\n"
            ),
            # the package re-exports its modules, which import a sibling, not the package
            "editorial/models/__init__.py": "from editorial.models.posts import Post\n",
            "editorial/models/posts.py": "from editorial.models.base import db\n",
            "editorial/models/base.py": "",
        },
    ),
    "local-imports-say-why": (
        {
            "editorial/tasks/mail.py": (
                "def send():\n    from editorial.models import Invitation\n"
                "def again():\n"
                "    from editorial.models import (\n        Post,\n    )  # noqa: F401\n"
            ),
        },
        ["editorial/tasks/mail.py:2:", "editorial/tasks/mail.py:4:"],
        {
            "editorial/tasks/mail.py": (
                "import os\ndef send():\n"
                "    # the worker registers this task before the models load\n"
                "    from editorial.models import Invitation\n"
                "    from editorial.models import Post  # noqa: F401 - registers its table\n"
                "    import json\n"
            ),
            "editorial/__init__.py": "def create_app():\n    from editorial import cli\n",
        },
    ),
}
