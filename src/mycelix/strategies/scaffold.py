"""`mycelix scaffold strategy NAME`: a new strategy folder that compiles, deploys and passes its
generated tests as written, for an author to change into their own.

The generated strategy is the simplest complete one: the artist sets a per-song price, a STREAM
offers at least it and is charged exactly it, a TIP is charged whole. It has everything a folder
holds (contract, `STRATEGY` with catalogue, calculator and economy view, SDK adapter, docs page)
and tests that pay through the router with a 3-way split, on titanoboa and on the embedded chain
after a full deployment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from mycelix.errors import Conflict, InvalidRequest
from mycelix.strategies import registry

TEMPLATES = Path(__file__).resolve().parent / "scaffold_templates"
_NAME = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$")


@dataclass(frozen=True)
class Names:
    snake: str  # folder and Python names: "tip_jar"
    registry: str  # the router's registry name: "tip-jar-v1"
    contract: str  # the Vyper contract: "TipJar"
    title: str  # "Tip jar"

    @classmethod
    def of(cls, name: str) -> Names:
        if not _NAME.match(name) or len(name) > 40:
            raise InvalidRequest(
                f"strategy name {name!r}: lower-case letters and digits, words joined by - or _, "
                "starting with a letter, at most 40 characters (e.g. tipjar, tip-jar)"
            )
        words = re.split(r"[-_]", name)
        return cls(
            snake="_".join(words),
            registry="-".join(words) + "-v1",
            contract="".join(w.capitalize() for w in words),
            title=" ".join(words).capitalize(),
        )


def scaffold_strategy(name: str, root: Path) -> list[Path]:
    """Write strategy `name`'s folder under `root/src/mycelix/strategies/` and its tests under
    `root/tests/strategies/`; return the files written. Refuses (writing nothing) a name whose
    folder, registry name or contract exists already, or a root that is not a checkout."""
    names = Names.of(name)
    strategies = root / "src" / "mycelix" / "strategies"
    tests = root / "tests" / "strategies"
    if not (strategies / "registry.py").is_file() or not tests.parent.is_dir():
        raise InvalidRequest(f"{root} is not a Mycelix checkout (no src/mycelix/strategies)")
    folder = strategies / names.snake
    test_file = tests / f"test_{names.snake}.py"
    for path in (folder, test_file):
        if path.exists():
            raise Conflict(f"{path} exists already")
    if (
        any(p.stem == names.contract for p in strategies.glob("*/*.vy"))
        or (root / "src" / "mycelix" / "contracts" / f"{names.contract}.vy").exists()
    ):
        raise Conflict(f"a contract named {names.contract} exists already")
    if registry.find(names.registry) is not None:
        raise Conflict(f"strategy {names.registry} exists already")
    files = {
        folder / "__init__.py": _template("__init__.py"),
        folder / f"{names.contract}.vy": _template("Contract.vy"),
        folder / "strategy.py": _template("strategy.py"),
        folder / "sdk.py": _template("sdk.py"),
        folder / "README.md": _template("README.md"),
        test_file: _template("test_strategy.py"),
    }
    tests.mkdir(exist_ok=True)
    if not (tests / "__init__.py").exists():
        files[tests / "__init__.py"] = ""
    folder.mkdir()
    for path, template in files.items():
        path.write_text(_fill(template, names))
    return sorted(files)


def _template(name: str) -> str:
    return (TEMPLATES / f"{name}.tmpl").read_text()


def _fill(template: str, n: Names) -> str:
    return (
        template.replace("{{snake}}", n.snake)
        .replace("{{registry}}", n.registry)
        .replace("{{contract}}", n.contract)
        .replace("{{title}}", n.title)
        .replace("{{prefix}}", n.snake.replace("_", ""))
    )
