"""Reading `/metrics` by family and labels, and asserting that a step moves a series.

`prometheus_client` exports an unlabelled family at 0 as soon as it is registered, so a sample
being present proves nothing; these helpers compare values before and after a step."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families


@dataclass(frozen=True)
class Series:
    """One exported sample name (`..._total` of a counter, `..._count` of a histogram, a
    gauge's own name) narrowed by some of its labels; `value` sums the matching samples."""

    name: str
    labels: tuple[tuple[str, str], ...] = ()

    @property
    def family(self) -> str:
        """The family as docs/metrics.md names it."""
        return self.name.removesuffix("_count")

    def __str__(self) -> str:
        return f"{self.name}{{{', '.join(f'{k}={v!r}' for k, v in self.labels)}}}"


def series(name: str, /, **labels: str) -> Series:
    return Series(name, tuple(sorted(labels.items())))


@dataclass
class Exposition:
    samples: list[tuple[str, dict[str, str], float]] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str) -> Exposition:
        return cls(
            [
                (s.name, dict(s.labels), float(s.value))
                for family in text_string_to_metric_families(text)
                for s in family.samples
            ]
        )

    def value(self, s: Series) -> float:
        wanted = dict(s.labels)
        return sum(
            value
            for name, labels, value in self.samples
            if name == s.name and all(labels.get(k) == v for k, v in wanted.items())
        )


def scrape(client: TestClient) -> Exposition:
    response = client.get("/metrics")
    assert response.status_code == 200
    return Exposition.parse(response.text)


class Moves:
    """Asserts that series rise across steps, and remembers which families it saw rise."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.risen: set[str] = set()

    @contextmanager
    def rise(self, *watched: Series, by: dict[Series, float] | None = None) -> Iterator[None]:
        """Every series in `watched` (and `by`) is higher after the block than before; those
        in `by` exactly by the given amount."""
        exact = by or {}
        before = scrape(self.client)
        yield
        after = scrape(self.client)
        for s in (*watched, *exact):
            old, new = before.value(s), after.value(s)
            if s in exact:
                assert new - old == exact[s], f"{s} moved by {new - old}, not {exact[s]}"
            else:
                assert new > old, f"{s} did not rise ({old} -> {new})"
            self.risen.add(s.family)
