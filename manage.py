#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys
from pathlib import Path


def load_local_env():
    """A checkout set up by `make` has a git-ignored .env (a generated secret key, debug
    on): every manage.py command reads it, as `make run` does. Variables already in the
    environment win. Production has no .env and still refuses to start without a real
    DJANGO_SECRET_KEY. DJANGO_ENV_FILE names another file; empty: read none."""
    path = os.environ.get("DJANGO_ENV_FILE", str(Path(__file__).resolve().parent / ".env"))
    if path and Path(path).is_file():
        from dotenv import load_dotenv

        load_dotenv(path, override=False)


def main():
    load_local_env()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
