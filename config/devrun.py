"""`make run`: the web server, a Celery worker and Celery beat together; one Ctrl-C stops all three."""

import os
import signal
import subprocess
import sys
import time

PORT = os.environ.get("PORT", "8000")
HOST = os.environ.get("HOST", "127.0.0.1")
CELERY = [sys.executable, "-m", "celery", "-A", "config"]
PROCESSES = {
    "web": [sys.executable, "manage.py", "runserver", f"{HOST}:{PORT}"],
    "worker": [*CELERY, "worker", "--loglevel", "INFO", "--concurrency", "2"],
    "beat": [*CELERY, "beat", "--loglevel", "INFO"],
}


def main() -> int:
    children = {
        name: subprocess.Popen(cmd, start_new_session=True) for name, cmd in PROCESSES.items()
    }
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    shown = "localhost" if HOST in ("127.0.0.1", "0.0.0.0") else HOST
    print(
        f"\n  Rapport is starting at http://{shown}:{PORT}/\n"
        "  Log in as demo / demo.  Ctrl-C stops the web server, the worker and beat.\n",
        flush=True,
    )
    exit_code = 0
    while not stopping:
        for name, child in children.items():
            if child.poll() is not None:
                print(
                    f"\n  {name} stopped (exit {child.returncode}); stopping the others.",
                    flush=True,
                )
                stopping, exit_code = True, child.returncode or 1
                break
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
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
