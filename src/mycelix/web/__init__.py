"""The web app: server-rendered pages with small ES-module scripts, served by the same FastAPI
application as the JSON API (`mycelix.web.install`)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from mycelix.web.render import STATIC_DIR


def install(app: FastAPI) -> None:
    """Add the pages, the dev wallet and `/static` to `app`."""
    from mycelix.web.account_pages import router as account_pages
    from mycelix.web.devwallet import router as devwallet
    from mycelix.web.pages import router as pages
    from mycelix.web.song_pages import install_not_found
    from mycelix.web.song_pages import router as song_pages
    from mycelix.web.upload_pages import router as upload_pages

    app.include_router(pages)
    app.include_router(devwallet)
    app.include_router(account_pages)
    app.include_router(upload_pages)
    app.include_router(song_pages)
    install_not_found(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
