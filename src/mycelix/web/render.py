"""The page renderer: one Jinja2 environment for every page, with the filters pages share
(FLOW amounts, durations, addresses) and the context every page gets (network, dev wallet)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from mycelix import __version__
from mycelix.strategies import registry

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"
templates = Jinja2Templates(directory=WEB_DIR / "templates")

WEI = Decimal(10) ** 18


def flow(wei: int | str | None, places: int = 4) -> str:
    """`12500000000000000` → `0.0125` (trailing zeros dropped, at most `places` decimals)."""
    if wei is None or wei == "":
        return "—"
    value = Decimal(int(wei)) / WEI
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return text or "0"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def short(address: str | None) -> str:
    if not address:
        return "—"
    return f"{address[:6]}…{address[-4:]}"


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def strategy_label(name: str | None) -> str:
    """A strategy's title from its folder (`Strategy.catalogue`), e.g. `Pay per stream`; a name
    this version does not know reads as itself without its version."""
    if not name:
        return "Unregistered"
    known = registry.find(name)
    if known is not None:
        return known.catalogue.title
    base = name.rsplit("-v", 1)[0] if name[-1:].isdigit() else name
    return base.replace("-", " ").capitalize()


templates.env.filters.update(
    flow=flow, duration=duration, short=short, when=when, strategy_label=strategy_label
)
templates.env.globals["version"] = __version__


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render `template` with the shared context. `title` names the page in <title> and <h1>."""
    return templates.TemplateResponse(
        request, template, {"path": request.url.path, **context}, status_code=status
    )
