"""The dashboard's pages as HTML: served without a token, saying whether the API wants one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dashboard.pages import ASSETS, install_dashboard
from tests.api.routes.conftest import TOKEN, Api, build


@pytest.fixture(params=[None, "page-token"])
def client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[TestClient, bool]]:
    for api in build(tmp_path, request.param):
        yield with_dashboard(api), request.param is not None


def with_dashboard(api: Api) -> TestClient:
    install_dashboard(api.client.app)  # type: ignore[arg-type]
    return api.client


def test_pages_are_html_shells_that_know_whether_a_token_is_needed(client: tuple[TestClient, bool]) -> None:
    http, secured = client
    for path in ("/", "/stores/s1", "/reports"):
        page = http.get(path)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert f'data-token-required="{"yes" if secured else "no"}"' in page.text
        assert '<html lang="en">' in page.text and '<main id="main">' in page.text
    assert "s1" in http.get("/stores/s1").text
    fleet = http.get("/").text  # the stylesheet and the script come inside the page
    assert "<script src" not in fleet and 'rel="stylesheet"' not in fleet
    for asset, opening in (("app.js", "<script>"), ("style.css", "<style>")):
        assert opening + ASSETS[asset] in fleet and ASSETS[asset].strip()


def test_a_stores_status_page_asks_for_no_token_once_status_pages_are_public(tmp_path: Path) -> None:
    for public_status in (False, True):
        for api in build(tmp_path / str(public_status), TOKEN, public_status):
            page = with_dashboard(api).get("/status/s1")
            assert page.status_code == 200 and "s1" in page.text
            assert f'data-token-required="{"no" if public_status else "yes"}"' in page.text
            assert 'href="/reports"' not in page.text  # no way into the rest from a public page
