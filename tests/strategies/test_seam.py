"""Strategies are one seam: each is a folder found by the registry, and nothing outside its
folder, the registry, docs and tests names it, so adding one touches nothing else."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mycelix.chain import artifacts
from mycelix.strategies import registry
from mycelix.strategies.protocol import Strategy

ROOT = Path(__file__).resolve().parents[2]
STRATEGIES = ROOT / "src" / "mycelix" / "strategies"

# Where naming a strategy is the point: the docs (docs/, READMEs, the runnable examples that
# show each strategy), the tests and benchmarks that exercise each one, the registry, and the
# router's NatSpec, whose example of a registry name is documentation of `register_strategy`.
EXEMPT = (
    ":!docs",
    ":!*.md",
    ":!examples",
    ":!tests",
    ":!bench",
    ":!src/mycelix/strategies/registry.py",
    ":!src/mycelix/contracts/EconomicStrategyRouter.vy",
)


def _folder(strategy: Strategy) -> Path:
    return Path(type(strategy).__module__.replace(".", "/")).parent


@pytest.mark.parametrize("name", registry.names())
def test_nothing_outside_its_folder_names_a_strategy(name: str) -> None:
    folder = _folder(registry.get(name))
    out = subprocess.run(
        ["git", "grep", "-n", "-F", name, "--", ".", f":!src/{folder}", *EXEMPT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode in (0, 1), out.stderr
    assert out.stdout == "", f"{name} is named outside its folder:\n{out.stdout}"


def test_every_folder_with_a_contract_is_a_registered_strategy() -> None:
    folders = {p.parent.name for p in STRATEGIES.glob("*/[A-Z]*.vy")}
    assert folders == {_folder(s).name for s in registry.all_strategies()}


@pytest.mark.parametrize("name", registry.names())
def test_each_strategy_keeps_its_contract_in_its_folder(name: str) -> None:
    strategy = registry.get(name)
    assert isinstance(strategy, Strategy)
    source = artifacts.source_path(strategy.contract)
    assert source.parent == ROOT / "src" / _folder(strategy)
    assert registry.by_id(registry.strategy_id(name)) is strategy


def test_an_unknown_strategy_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(Exception, match="unknown strategy 'nope-v1'; known: ") as info:
        registry.get("nope-v1")
    assert all(n in str(info.value) for n in registry.names())
