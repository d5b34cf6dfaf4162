"""Every option of every command is checked before anything runs: a clear message and exit status 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from storemon.cli import main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["replay", "x.zip", "--frame-hours", "0"], "--frame-hours: 0 is out of range"),
        (["replay", "x.zip", "--frame-hours", "-3"], "--frame-hours: -3 is out of range"),
        (["replay", "x.zip", "--speed", "0.000001"], "--speed: 0.000001 is out of range"),
        (["replay", "x.zip", "--speed", "fast"], "--speed: 'fast' is not a number from 1"),
        (["replay", "x.zip", "--partitions", "0"], "--partitions: 0 is out of range"),
        (["worker", "--port", "70000"], "--port: 70000 is out of range"),
        (["worker", "--partitions", "many"], "--partitions: 'many' is not a whole number"),
        (["broker", "--port", "0"], "--port: 0 is out of range"),
        (["demo", "--port", "-1"], "--port: -1 is out of range"),
        (["report", "x.zip", "--out", "r.csv", "--workers", "0"], "--workers: 0 is out of range"),
        (["report", "x.zip", "--out", "r.csv", "--as-of", "soon"], "--as-of: not a timestamp"),
        (["synth", "out", "--stores", "0", "--days", "1"], "--stores: 0 is out of range"),
        (["synth", "out", "--stores", "10", "--days", "0"], "--days: 0 is out of range"),
        (["synth", "out", "--stores", "10", "--days", "1", "--seed", "x"], "--seed: invalid int value"),
    ],
)
def test_bad_options_are_refused_with_a_message(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_bad_settings_from_the_environment_are_refused_too(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("STOREMON_PARTITIONS", "0")
    assert main(["replay", str(tmp_path / "x.zip")]) == 2
    assert "STOREMON_PARTITIONS: Input should be greater than or equal to 1" in capsys.readouterr().err


def test_every_command_has_help_with_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("report", "synth", "broker", "replay", "worker", "demo"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = capsys.readouterr().out
        assert ("example:" in text or "examples:" in text) and f"storemon {command}" in text, command
