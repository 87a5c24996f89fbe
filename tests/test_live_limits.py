"""Abuse limits hold across processes: gunicorn with two workers on the production
settings (the database cache), a new connection per request, forged X-Forwarded-For."""

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from transfers.models import RateCount

GUNICORN = Path(sys.executable).with_name("gunicorn")
ROOT = Path(__file__).resolve().parent.parent
SHARED_CACHE = {
    "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "tracker_cache"},
}

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a live multi-process server needs PostgreSQL"),
    pytest.mark.skipif(not GUNICORN.exists(), reason="gunicorn not installed"),
]


def database_url():
    db = connection.settings_dict
    host = urllib.parse.quote(db["HOST"] or "localhost", safe="")
    return f"postgres://{db['USER']}@{host}:{db['PORT']}/{db['NAME']}"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def production_server(transactional_db):
    with override_settings(CACHES=SHARED_CACHE):
        call_command("createcachetable", verbosity=0)
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tracker.settings",
        "DATABASE_URL": database_url(),
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_THROTTLE_ANON": "10/min",
        "DJANGO_CONN_MAX_AGE": "0",
    }
    env.pop("REDIS_URL", None)
    server = subprocess.Popen(
        [str(GUNICORN), "tracker.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/api/schema/", timeout=2)  # noqa: S310 (our own loopback server)
            break
        except OSError:
            time.sleep(0.2)
    else:
        server.kill()
        pytest.fail("gunicorn did not start: " + server.stderr.read().decode()[-2000:])
    # Starting used up one request of this address's allowance.
    RateCount.objects.all().delete()
    yield url
    server.terminate()
    server.wait(timeout=10)


def status_of(url, headers):
    request = urllib.request.Request(url, headers={"Connection": "close", **headers})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_anonymous_limit_is_shared_by_all_workers_and_ignores_forged_headers(production_server):
    # The server's windows are whole minutes: start in one with time to spare (CI once saw
    # 11 requests of 30 pass, the allowance renewed at the minute).
    if time.time() % 60 > 40:
        time.sleep(60 - time.time() % 60 + 0.5)
    codes = [status_of(f"{production_server}/api/actors/", {"X-Forwarded-For": f"198.51.100.{i}"}) for i in range(30)]
    # 10 per minute per client, whichever of the two workers answered and whatever the header said.
    assert codes.count(200) == 10, codes
    assert codes[:10] == [200] * 10 and set(codes[10:]) == {429}, codes
