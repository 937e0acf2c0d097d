"""`make run` (config/devrun.py) ends with what the person needs: once the web server answers and
the worker is ready, the address and the demo login are the last lines, and nothing was printed
before them that a person cannot act on (banners, start-up chatter, a line per request).
Started here as `make run` starts it, in a clean process on a free port, with SQLite and the
filesystem broker under a throw-away VAR_DIR."""

import os
import signal
import socket
import subprocess
import sys
import time

from tests.fresh_start import PROJECT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_make_run_says_the_address_and_the_login_last_and_stops_on_one_ctrl_c(tmp_path):
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "VAR_DIR": str(tmp_path / "var"),
        "DEBUG": "1",
        "PORT": str(port),
    }
    run = subprocess.Popen(
        [sys.executable, "-m", "config.devrun"],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not any("Log in as" in line for line in lines):
            lines.append(run.stdout.readline())
            assert run.poll() is None, "".join(lines)
        os.kill(run.pid, signal.SIGINT)
        assert run.wait(timeout=30) == 0
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
    said = [line.rstrip() for line in lines if line.strip()]
    assert said == [
        f"  Rapport is running at http://localhost:{port}/",
        "  Log in as demo / demo.  Ctrl-C stops the web server, the worker and beat.",
    ]
