"""`make run`: the web server, a Celery worker and Celery beat together; one Ctrl-C stops all three.

What it prints is what the person needs: once the web server answers and the worker is ready,
the address and the demo login, as the last lines. The children print only what can be acted
on: warnings and errors (a failed request, a task that raised), not their banners, start-up
chatter or a line per request. `LOG_LEVEL` set in the environment is passed on as it is.
"""

import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

PORT = os.environ.get("PORT", "8000")
HOST = os.environ.get("HOST", "127.0.0.1")
STARTUP_SECONDS = 90
# A worker run as root (a development container, say) warns about it at every start.
ROOT_WARNING = "ignore:You're running the worker with superuser privileges"
CELERY = [sys.executable, "-m", "celery", "-A", "config", "--quiet"]
PROCESSES = {
    # runserver says on stdout where it listens (and that it is for development): we say it.
    "web": [sys.executable, "manage.py", "runserver", f"{HOST}:{PORT}", "--skip-checks"],
    "worker": [*CELERY, "worker", "--loglevel", "WARNING", "--concurrency", "2"],
    "beat": [*CELERY, "beat", "--loglevel", "WARNING"],
}


def main() -> int:
    ready_file = Path(tempfile.mkdtemp(prefix="rapport-devrun-")) / "worker-ready"
    env = {
        "LOG_LEVEL": "WARNING",
        **os.environ,
        "PYTHONWARNINGS": ",".join(filter(None, [os.environ.get("PYTHONWARNINGS"), ROOT_WARNING])),
        "DEVRUN_WORKER_READY": str(ready_file),  # config/celery.py touches it when ready
    }
    children = {
        name: subprocess.Popen(
            cmd,
            start_new_session=True,
            env=env,
            stdout=subprocess.DEVNULL if name == "web" else None,
        )
        for name, cmd in PROCESSES.items()
    }
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    shown = "localhost" if HOST in ("127.0.0.1", "0.0.0.0") else HOST
    url = f"http://{shown}:{PORT}/"
    exit_code = 0
    announced = False
    deadline = time.monotonic() + STARTUP_SECONDS
    while not stopping:
        for name, child in children.items():
            if child.poll() is not None:
                print(
                    f"\n  {name} stopped (exit {child.returncode}); stopping the others.",
                    flush=True,
                )
                stopping, exit_code = True, child.returncode or 1
                break
        else:
            if not announced and ready_file.exists() and answers(HOST, PORT):
                print(
                    f"\n  Rapport is running at {url}\n"
                    "  Log in as demo / demo.  Ctrl-C stops the web server, the worker and beat.\n",
                    flush=True,
                )
                announced = True
            elif not announced and time.monotonic() > deadline:
                print(
                    f"\n  Rapport did not come up within {STARTUP_SECONDS} s (see above); "
                    "stopping.",
                    flush=True,
                )
                stopping, exit_code = True, 1
        time.sleep(0.5)
    for name, child in children.items():
        if child.poll() is None:
            # runserver's autoreloader runs the server in a child: signal its whole group.
            # Celery's main process shuts its pool down itself (a warm shutdown).
            if name == "web":
                os.killpg(child.pid, signal.SIGTERM)
            else:
                child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
    ready_file.unlink(missing_ok=True)
    ready_file.parent.rmdir()
    return exit_code


def answers(host: str, port: str) -> bool:
    """Whether the web server serves a page (the login page) yet."""
    target = "127.0.0.1" if host in ("0.0.0.0", "") else host
    try:
        with urllib.request.urlopen(f"http://{target}:{port}/accounts/login/", timeout=2) as r:
            return bool(r.status == 200)
    except (OSError, urllib.error.URLError):
        return False


if __name__ == "__main__":
    sys.exit(main())
