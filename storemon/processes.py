"""Child processes the command line starts (brokers, workers): stopping them the same way everywhere."""

from __future__ import annotations

import signal
import subprocess


def terminate(process: subprocess.Popen[bytes], timeout: float) -> None:
    """SIGTERM, so the process shuts down cleanly; SIGKILL if it has not exited after ``timeout`` s."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
