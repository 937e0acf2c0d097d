"""Start the project in a new Python process with only the given environment, as a real start
would: for the tests of settings read from the environment."""

import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def start(tmp_path, code: str, **env) -> subprocess.CompletedProcess:
    """Run `code` with only `env` (plus PATH, the settings module and a VAR_DIR in `tmp_path`)."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "VAR_DIR": str(tmp_path / "var"),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
