"""The container image holds the product and starts, checked without a container engine.

There is no Docker engine where the tests run, so the image's recipe is followed by hand: exactly the
files its ``COPY`` takes (the build context less ``.dockerignore``) are installed into a fresh virtual
environment, every product module is imported from there, and the image's command is run against the
session's broker until the worker is ready, with the image's own health check asking it.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

from connectors.kafka import KafkaConnection
from storemon.broker import free_port
from storemon.local import WorkerProcess, fresh_name
from storemon.settings import kafka_environment
from tests.conftest import REPO


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions, continuation lines joined, comments left out."""
    joined = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [
        line.strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def ignored(path: str, patterns: list[str]) -> bool:
    """Whether ``.dockerignore`` leaves ``path`` (relative, with /) out of the build context."""
    left_out = False
    for pattern in patterns:
        keep = pattern.startswith("!")
        pattern = pattern.removeprefix("!").strip("/")
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(fnmatch.fnmatchcase(prefix, pattern) for prefix in prefixes):
            left_out = not keep
    return left_out


def copied_files() -> list[str]:
    """What ``COPY . .`` takes: every file of the checkout that ``.dockerignore`` lets through."""
    copies = [args for kind, args in instructions() if kind == "COPY"]
    assert copies == [". ."], "the image copies the build context whole; .dockerignore decides what is in it"
    patterns = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return sorted(path for path in listed if (REPO / path).is_file() and not ignored(path, patterns))


def test_the_build_context_holds_every_product_package_and_nothing_only_development_needs() -> None:
    files = copied_files()
    included = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"][
        "include"
    ]
    packages = {pattern.rstrip("*") for pattern in included}
    assert {path.split("/")[0] for path in files if path.endswith(".py")} == packages
    assert {"pyproject.toml", "README.md"} <= set(files)
    assert not [path for path in files if path.split("/")[0] in ("tests", "bench", "docs", ".git", ".venv")]


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the product installed from the copied files only; its
    dependencies are the test environment's (the same pins), reached without its own install."""
    root = tmp_path_factory.mktemp("image")
    context = root / "app"
    for path in copied_files():
        (context / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / path, context / path)
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    # Built as the image builds it: with the backend pyproject.toml pins, in an isolated build.
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps"]
    subprocess.run([*install, str(context)], check=True, cwd=root)
    assert python.exists()
    return venv


def image_env(venv: Path, **settings: str) -> dict[str, str]:
    """The image's environment: its ENV, its command on PATH, the dependencies the pins name."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("STOREMON_")}
    for kind, args in instructions():
        if kind == "ENV":
            env.update(dict(pair.split("=", 1) for pair in shlex.split(args)))
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    # The .pth files there, the checkout's own editable install among them, are not read.
    env["PYTHONPATH"] = sysconfig.get_paths()["purelib"]
    env.update(settings)
    return env


# Imports each module named, from the environment's own install (never from the checkout).
IMPORT_ALL = """
import importlib, sys
for name in sys.argv[1:]:
    module = importlib.import_module(name)
    assert module.__file__.startswith(sys.prefix), (name, module.__file__)
print(len(sys.argv) - 1)
"""


def test_every_product_module_imports_from_the_image_alone(image: Path, tmp_path: Path) -> None:
    modules = sorted(
        ".".join(path.removesuffix(".py").removesuffix("/__init__").split("/"))
        for path in copied_files()
        if path.endswith(".py")
    )
    done = subprocess.run(
        [str(image / "bin" / "python"), "-c", IMPORT_ALL, *modules],
        env=image_env(image),
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == len(modules) > 50


@pytest.mark.kafka
def test_the_images_command_starts_a_worker_and_its_health_check_passes(
    image: Path, kafka: KafkaConnection, tmp_path: Path
) -> None:
    steps = dict(instructions())
    user, command = steps["USER"], json.loads(steps["CMD"])
    health = json.loads(steps["HEALTHCHECK"].split("CMD", 1)[1])
    assert user not in ("root", "0")
    port, name = free_port(), fresh_name()
    env = image_env(
        image,
        **kafka_environment(kafka),
        STOREMON_DATA_DIR=str(tmp_path / "data"),  # the image's /data
        STOREMON_API_PORT=str(port),
        STOREMON_API_HOST="127.0.0.1",
        STOREMON_APP_ID=name,
        STOREMON_TOPIC_PREFIX=name,
        STOREMON_PARTITIONS="2",
    )
    worker = WorkerProcess(port, tmp_path / "data", env, command, cwd=tmp_path).start()
    try:
        asyncio.run(worker.wait_ready())
        checked = subprocess.run(health, env=env, cwd=tmp_path, capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
    finally:
        worker.stop()
