"""`playbook score` on a terminal shows a progress bar for steps that take a while; piped, its
output stays the leads alone."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "leads" / "sample-export.csv"


def run(args, tty: bool, env: dict) -> tuple[int, str]:
    full_env = {**os.environ, **env}
    command = [sys.executable, "-m", "generator.cli", "score", str(SAMPLE), "--as-of", "2026-11-22", *args]
    if not tty:
        done = subprocess.run(command, cwd=REPO, env=full_env, capture_output=True, text=True, timeout=300)
        return done.returncode, done.stdout
    main, child = pty.openpty()
    proc = subprocess.Popen(command, cwd=REPO, env=full_env, stdout=child, stderr=child, stdin=subprocess.DEVNULL)
    os.close(child)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(main)
    return proc.wait(timeout=300), b"".join(chunks).decode("utf-8", "replace")


def test_a_terminal_sees_a_progress_bar_and_the_summary(tmp_path):
    out = tmp_path / "scored.csv"
    code, shown = run(["--output", str(out)], tty=True, env={"PLAYBOOK_PROGRESS_AFTER_MS": "0"})
    assert code == 0, shown
    assert "100%" in shown and "Scored 300 lead(s)" in shown
    assert out.read_text(encoding="utf-8").startswith("id,fit_score,")
    assert "%" not in out.read_text(encoding="utf-8").splitlines()[0]


def test_piped_output_has_no_progress_bar(tmp_path):
    code, stdout = run(["--format", "csv"], tty=False, env={"PLAYBOOK_PROGRESS_AFTER_MS": "0"})
    assert code == 0
    lines = stdout.splitlines()
    assert lines[0].startswith("id,fit_score,") and len(lines) == 301
    assert "100%" not in stdout and "\r" not in stdout
