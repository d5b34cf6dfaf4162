"""Safe defaults: everything binds to loopback unless told otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from storemon.broker import LocalBroker
from storemon.settings import Settings


def test_api_binds_to_loopback_and_needs_no_token_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("STOREMON_API_HOST", "STOREMON_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert settings.api_host == "127.0.0.1"
    assert settings.api_token is None
    assert settings.canonical_url == "http://127.0.0.1:8000"


def test_empty_token_means_no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STOREMON_API_TOKEN", "")
    assert Settings(_env_file=None).api_token is None


def test_local_broker_listens_on_loopback_only(tmp_path: Path) -> None:
    broker = LocalBroker(tmp_path, port=19999, nodes=3)
    for node in broker.nodes:
        config = broker.write_config(node).read_text()
        listeners = [
            line for line in config.splitlines() if "listeners=" in line and not line.startswith("controller")
        ]
        assert listeners and all("127.0.0.1" in line and "0.0.0.0" not in line for line in listeners)
        voters = next(line for line in config.splitlines() if line.startswith("controller.quorum.voters="))
        assert voters.count("@127.0.0.1:") == 3
    assert broker.bootstrap.split(",")[0] == "127.0.0.1:19999" and broker.bootstrap.count("127.0.0.1:") == 3
