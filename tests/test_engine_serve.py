"""`playbook serve` on the default engine: the preview answers, and an edit shows up without a restart."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from conftest import write_playbook

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.read().decode("utf-8")
    except OSError:
        return None


def wait_for(predicate, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    return None


def test_serve_previews_and_follows_an_edit(tmp_path):
    root = write_playbook(tmp_path / "pb", {"definitions/teams.yaml": "teams:\n  - id: sales\n    name: Sales crew\n"})
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-m", "generator.cli", "serve", str(root), "-a", f"127.0.0.1:{port}"],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}/teams/"
        assert wait_for(lambda: "Sales crew" in (fetch(url) or ""), 60), "the preview never served the teams page"
        (root / "definitions" / "teams.yaml").write_text("teams:\n  - id: sales\n    name: Closers\n",
                                                        encoding="utf-8")
        assert wait_for(lambda: "Closers" in (fetch(url) or ""), 30), "the edit never reached the preview"
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    assert "Serving on" in output and "Updated" in output
    assert "Traceback" not in output
