"""How the worker process serves its API."""

from __future__ import annotations

import uvloop
from fastapi import FastAPI

from storemon.settings import Settings
from storemon.worker import serving


def test_the_api_and_the_agents_run_on_libuv_and_no_line_is_written_per_request() -> None:
    config = serving(FastAPI(), Settings())
    factory = config.get_loop_factory()
    assert factory is not None
    loop = factory()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()
    assert not config.access_log
