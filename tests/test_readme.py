"""The README's command lines, run as a new user would run them.

Every fenced `sh` block of the README is either run here, in order, against a fresh
embedded database and a server of its own, or named in EXERCISED_ELSEWHERE with the
test or CI step that runs it; a new block that is neither fails the first test.

Substitutions are only what cannot be literal in a test: the port, a small SIPRI
sample in place of the user's download, a database in a temporary folder, and a
password typed at a prompt.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
SAMPLE = ROOT / "tests" / "data" / "sipri-legacy-sample.csv"

# Blocks whose first line is one of these are run by other tests or by CI.
EXERCISED_ELSEWHERE = {
    "make run": "the steps of `make run` (make seed, then runserver) are run below",
    "make test": ".ci/run runs `make test` on every push",
    "# What did Russia deliver to Iran since 2000?": "run below",
    "# Import the new release as any export": "tests/test_releases.py::test_the_readme_spring_commands",
    "# Everything since the last cursor you kept": "tests/test_changes.py::test_the_readme_feed_command",
    "# SIPRI's TIV tables": "run below",
    ".venv/bin/python manage.py ingest_article": "tests/test_articles.py runs the command on the seed article",
}

pytestmark = pytest.mark.skipif(
    connection.vendor == "postgresql", reason="runs once, in the SQLite pass: it uses databases of its own"
)


def sh_blocks():
    return re.findall(r"```sh\n(.*?)```", README, flags=re.S)


def block_starting(text):
    for block in sh_blocks():
        lines = [line.strip() for line in block.strip().splitlines()]
        if lines and lines[0].startswith(text):
            return block
    raise AssertionError(f"README has no sh block starting with {text!r}")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_environment(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))}
    return {**env, "TRACKER_VAR_DIR": str(tmp_path / "var"), "PYTHONUNBUFFERED": "1", **extra}


def run(script, env, *, stdin=None, timeout=300):
    result = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        start_new_session=True,  # no terminal: getpass reads the typed password from stdin
    )
    assert result.returncode == 0, f"{script}\n--- stdout\n{result.stdout[-3000:]}\n--- stderr\n{result.stderr[-3000:]}"
    return result.stdout + result.stderr


class Server:
    def __init__(self, command, env, port, host="127.0.0.1"):
        self.url = f"http://{host}:{port}"
        self.process = subprocess.Popen(
            ["bash", "-c", f"exec {command}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.2)
        raise AssertionError(f"{command} did not start: {self.process.stderr.read().decode()[-2000:]}")

    def stop(self):
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=20)


def test_every_sh_block_of_the_readme_is_exercised():
    handled = {
        *EXERCISED_ELSEWHERE,
        "TOKEN=$(",
        ".venv/bin/python manage.py load_countries",
        "python3 -m venv .venv",
        ".venv/bin/python manage.py dumpdata",
    }
    for block in sh_blocks():
        first = block.strip().splitlines()[0].strip()
        assert any(first.startswith(start) for start in handled), f"README block not exercised by a test: {first}"


@pytest.mark.skipif(not shutil.which("curl"), reason="the README's examples use curl")
def test_a_new_users_commands_work_as_written(tmp_path):
    env_file = tmp_path / "local.env"
    env = clean_environment(tmp_path, DJANGO_ENV_FILE=str(env_file))
    # `make run`: .env, migrate, the seed into an empty database, countries, an admin user.
    out = run(f"{sys.executable} scripts/local-env {env_file}", env)
    assert "debug on" in out
    make_seed = re.findall(r"^\t\$\(PY\) (manage\.py .*)$", (ROOT / "Makefile").read_text(), flags=re.M)
    assert make_seed[:4] == [
        "manage.py migrate --noinput",
        "manage.py loaddata --if-empty seed tor-m1-reports",
        "manage.py load_countries",
        "manage.py ensure_admin",
    ]
    for command in make_seed[:4]:
        out = run(f".venv/bin/python {command}", env)
    password = re.search(r"with password: (\S+)", out).group(1)
    port = free_port()
    server = Server(f".venv/bin/python {make_seed[4].replace('$(HOST):$(PORT)', f'127.0.0.1:{port}')}", env, port)
    try:
        # The examples and writing over the API, as written but for the port.
        for start in ("# What did Russia deliver to Iran since 2000?", "# SIPRI's TIV tables", "TOKEN=$("):
            block = block_starting(start).replace("http://127.0.0.1:8000", server.url)
            block = block.replace("curl ", "curl --fail --silent --show-error ")
            run(block, {**env, "TMPDIR": str(tmp_path)})
        assert (ROOT / "air-defence.csv").exists()
        (ROOT / "air-defence.csv").unlink()
        with urllib.request.urlopen(f"{server.url}/api/contracts/rus-irn-s-300-2007/") as response:  # noqa: S310
            assert response.status == 200
        # An editor's change survives the next `make run` (its seed step).
        run(
            '.venv/bin/python manage.py shell -c "from transfers.models import Contract; '
            "Contract.objects.filter(reference='rus-irn-2005-tor-m1').update(status='completed')\"",
            env,
        )
        out = run(f".venv/bin/python {make_seed[1]}", env)
        assert "Not loading seed" in out
        out = run(
            '.venv/bin/python manage.py shell -c "from transfers.models import Contract; '
            "print(Contract.objects.get(reference='rus-irn-2005-tor-m1').status)\"",
            env,
        )
        assert out.strip().endswith("completed")
    finally:
        server.stop()

    # Logging in: the printed password works; resetting it as the README says.
    assert password
    reset = re.search(r"`(\.venv/bin/python manage\.py changepassword admin)`", README).group(1)
    run(reset, env, stdin="a-New-passw0rd-42\na-New-passw0rd-42\n")

    # Importing SIPRI data: the user's download is our sample without its deliberately bad rows.
    download = tmp_path / "trade-register.csv"
    download.write_bytes(b"".join(line for line in SAMPLE.read_bytes().splitlines(True)[:19]))
    block = block_starting(".venv/bin/python manage.py load_countries").replace("trade-register.csv", str(download))
    out = run(block, env)
    assert "rejected 0" in out and "deals 7" in out, out

    # Backup and restore into an empty, migrated database.
    backup = tmp_path / "backup.json"
    block = block_starting(".venv/bin/python manage.py dumpdata").replace("backup.json", str(backup))
    dump, load = block.strip().splitlines()
    run(dump, env)
    restored = clean_environment(tmp_path, DJANGO_ENV_FILE=str(env_file), TRACKER_VAR_DIR=str(tmp_path / "restored"))
    run(".venv/bin/python manage.py migrate --noinput", restored)
    run(load, restored)


@pytest.mark.skipif(not shutil.which("curl"), reason="the README's examples use curl")
def test_the_deployment_steps_on_production_settings(tmp_path):
    port = free_port()
    block = block_starting("python3 -m venv .venv")
    lines = block.strip().splitlines()
    # The virtualenv and its requirements are what `make` and CI install.
    assert lines[0] == "python3 -m venv .venv && .venv/bin/pip install -r requirements.txt"
    script = "\n".join(lines[1:-1])
    script = re.sub(r"export DATABASE_URL=\S+", f"export DATABASE_URL=sqlite:///{tmp_path / 'deploy.sqlite3'}", script)
    # createsuperuser prompts for a password; a terminal-less test gives it by environment.
    script = script.replace("createsuperuser --username", "createsuperuser --noinput --username")
    env = clean_environment(tmp_path, DJANGO_ENV_FILE="", DJANGO_SUPERUSER_PASSWORD="a-Deploy-passw0rd-42")
    out = run(script + "\n.venv/bin/python manage.py check --deploy --fail-level WARNING", env)
    assert "System check identified no issues" in out
    gunicorn = lines[-1].replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    assert gunicorn.startswith(".venv/bin/gunicorn tracker.wsgi")
    secret = "x-Deploy-" + "k3y" * 20
    server = Server(
        gunicorn,
        {
            **env,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
            "DJANGO_SECRET_KEY": secret,
            "DJANGO_ALLOWED_HOSTS": "tracker.example.org",
        },
        port,
    )
    try:
        # Production: plain HTTP is redirected to HTTPS for the configured host.
        out = run(
            f"curl --silent --show-error -o /dev/null -w '%{{http_code}} %{{redirect_url}}' "
            f"-H 'Host: tracker.example.org' {server.url}/api/transfers/",
            env,
        )
        assert out.startswith("301 https://tracker.example.org/api/transfers/"), out
    finally:
        server.stop()
