"""The contracts' own checks: Vyper compiler warnings, snekmate-style NatSpec on every external
function, and revert reasons that name their contract (`"router: ..."`), so an operator reading
a failed transaction knows which contract refused it. The last two are the project's own rules,
so breaking them is rated high (a missing `@param`/`@return` is low)."""

from __future__ import annotations

import re
import sys
import warnings
from pathlib import Path

from mycelix.ops.security.model import Finding, Outcome, Ran, Severity

_REASON = re.compile(r"^([a-z_]+): \S")
# An implementation pointing at its interface's NatSpec (like Solidity's @inheritdoc).
_INHERITED = re.compile(r"See `I[A-Za-z0-9_]+\.[a-z_0-9]+`")


def _decorators(node: object) -> set[str]:
    return {getattr(d, "id", "") for d in getattr(node, "decorator_list", [])}


def _sources(contracts: Path) -> list[Path]:
    """The shared contracts and each strategy folder's (`strategies/<name>/*.vy`)."""
    strategies = contracts.parent / "strategies"
    return sorted(contracts.glob("*.vy")) + sorted(strategies.glob("*/*.vy"))


def natspec_and_reasons(contracts: Path) -> Outcome:
    """Every `@external` function documents itself and its parameters (and return value);
    every revert reason starts with one contract prefix per file."""
    from vyper.ast import nodes, parse_to_ast

    findings: list[Finding] = []
    sources = _sources(contracts)
    for path in sources:
        module = parse_to_ast(path.read_text(), module_path=str(path))
        where = path.name
        for fn in module.get_children(nodes.FunctionDef):
            if "external" not in _decorators(fn):
                continue
            at = f"{where}:{fn.lineno}"
            doc_node = getattr(fn, "doc_string", None)
            doc = doc_node.value if doc_node is not None else ""
            if not doc:
                findings.append(
                    Finding(Severity.HIGH, f"{fn.name}: external function without NatSpec", at)
                )
                continue
            if "@dev" not in doc and "@notice" not in doc:
                findings.append(
                    Finding(Severity.HIGH, f"{fn.name}: NatSpec has no @dev or @notice", at)
                )
            if _INHERITED.search(doc):
                continue  # "See `IStrategy.charge`": parameters are documented there
            for arg in fn.args.args:
                if not re.search(rf"@param\s+{re.escape(arg.arg)}\b", doc):
                    findings.append(
                        Finding(Severity.LOW, f"{fn.name}: NatSpec misses @param {arg.arg}", at)
                    )
            if fn.returns is not None and "@return" not in doc:
                findings.append(Finding(Severity.LOW, f"{fn.name}: NatSpec misses @return", at))
        prefixes: dict[str, int] = {}
        for node in module.get_descendants((nodes.Assert, nodes.Raise)):
            message = node.msg if isinstance(node, nodes.Assert) else node.exc
            at = f"{where}:{node.lineno}"
            if message is None:
                findings.append(Finding(Severity.HIGH, "revert without a reason", at))
                continue
            if not isinstance(message, nodes.Str):
                continue  # e.g. UNREACHABLE: an invariant, not a reason shown to users
            match = _REASON.match(message.value)
            if match is None:
                findings.append(
                    Finding(
                        Severity.HIGH,
                        f"revert reason {message.value!r} does not name its contract",
                        at,
                    )
                )
            else:
                prefixes.setdefault(match.group(1), node.lineno)
        if len(prefixes) > 1:
            names = ", ".join(f"{p!r}" for p in prefixes)
            findings.append(
                Finding(Severity.HIGH, f"revert reasons name several contracts: {names}", where)
            )
    return Outcome("contract conventions", Ran.CHECKED, findings, f"{len(sources)} sources")


def compiler_warnings(contracts: Path) -> Outcome:
    """Compile every deployable contract (CamelCase file) and report the compiler's warnings."""
    from vyper.compiler import compile_from_file_input
    from vyper.compiler.input_bundle import FilesystemInputBundle

    root = contracts.resolve()
    findings: list[Finding] = []
    names = [p for p in _sources(root) if p.stem[:1].isupper()]
    search = [Path(p) for p in reversed(sys.path) if p] + [root.parent]
    for path in names:
        bundle = FilesystemInputBundle(search)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                compile_from_file_input(
                    bundle.load_file(path), input_bundle=bundle, output_formats=["bytecode"]
                )
            except Exception as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                findings.append(Finding(Severity.HIGH, f"does not compile: {first}", path.name))
        for warning in caught:
            text = str(warning.message).strip().splitlines()[0]
            findings.append(Finding(Severity.MEDIUM, f"compiler warning: {text}", path.name))
    import vyper

    return Outcome(
        "contract compiler",
        Ran.CHECKED,
        findings,
        f"{len(names)} contracts, vyper {vyper.__version__}",
    )
