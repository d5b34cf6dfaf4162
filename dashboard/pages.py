"""The dashboard's pages: HTML shells rendered by Jinja2 that fill themselves from the JSON API.

The pages hold no data, so they need no token; the API they call does, and the token a visitor gives
stays in the browser tab's session storage. Everything is served from this package (no CDN). The
stylesheet and the script are written into each page: one response instead of a second round of
requests before the script can ask for data took a fresh browser's first fleet page at 10,000 stores
from 300-319 ms to 228-253 ms until usable (``bench.dashboard``); their 19 KB cost little per page.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Annotated

from fastapi import APIRouter, FastAPI, Path, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api.deps import services_of

HERE = files("dashboard")
templates = Jinja2Templates(directory=str(HERE.joinpath("templates")))
ASSETS = {name: HERE.joinpath("static", name).read_text() for name in ("style.css", "app.js")}
router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


def _page(request: Request, template: str, waived: bool = False, **context: object) -> HTMLResponse:
    # Whether the API wants a token, so the page asks for it before its first call rather than after a
    # 401; ``waived`` when the page's only route is answered without one.
    token_required = services_of(request).token is not None and not waived
    return templates.TemplateResponse(
        request, template, {"token_required": token_required, "assets": ASSETS, **context}
    )


@router.get("/")
async def fleet(request: Request) -> HTMLResponse:
    return _page(request, "fleet.html", active="fleet")


@router.get("/stores/{store_id}")
async def store(
    request: Request, store_id: Annotated[str, Path(min_length=1, max_length=128)]
) -> HTMLResponse:
    return _page(request, "store.html", active="fleet", store_id=store_id)


@router.get("/status/{store_id}")
async def status(
    request: Request, store_id: Annotated[str, Path(min_length=1, max_length=128)]
) -> HTMLResponse:
    """A store's public status: for its owner and customers, shareable, made for a phone."""
    return _page(request, "status.html", waived=services_of(request).public_status, store_id=store_id)


@router.get("/reports")
async def reports(request: Request) -> HTMLResponse:
    return _page(request, "reports.html", active="reports")


def install_dashboard(api: FastAPI) -> None:
    api.include_router(router)
