"""The WSGI entry point gunicorn serves (tracker.wsgi)."""

import os
import secrets
import subprocess
import sys
from pathlib import Path


def test_the_served_process_freezes_what_start_up_made():
    # In a process of its own: freezing is for the life of the process.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tracker.settings", "DJANGO_SECRET_KEY": secrets.token_urlsafe(50)}
    probe = (
        "import gc, tracker.wsgi\n"
        "from django.urls import get_resolver\n"
        "print(gc.get_freeze_count(), gc.is_tracked(get_resolver()) and get_resolver().url_patterns is not None)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    frozen, loaded = result.stdout.split()
    # The models, modules and URL patterns: far more than the interpreter alone holds.
    assert int(frozen) > 20_000
    assert loaded == "True"
