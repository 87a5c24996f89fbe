"""A real hot standby: reads of a GET go to it, writes and a writing request's reads to the
primary, a client reads its own write, and a standby that is stopped or lags past the
bound is skipped without an error.

`make test` (scripts/run-tests) runs the PostgreSQL pass under `WITH_REPLICA=1
scripts/with-postgres`, which exports STANDBY_URL and STANDBY_CTL; this module makes
the standby (`$STANDBY_CTL start`: `pg_basebackup -R` of the primary, README's Scaling
step 2), and removes it afterwards, so the rest of the suite does not pay for its
replay. tracker/settings_test.py makes it the "standby" alias, a test mirror: the
same test database, copied to it by the base backup and streaming replication.
Without one, skipped (failed with CI=true).

Replay is paused on the standby (pg_wal_replay_pause) to make it behind on purpose:
what a client then reads shows which server answered.
"""

import contextlib
import http.cookiejar
import json
import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, connection, connections
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tracker import db_router
from transfers.models import Actor, Contract

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")

HAS_STANDBY = connection.vendor == "postgresql" and "standby" in settings.DATABASES
# CI runs the PostgreSQL pass through scripts/run-tests, which starts the standby: there a
# missing one is a failure, never a silent skip.
REQUIRED = connection.vendor == "postgresql" and os.environ.get("CI") == "true"

pytestmark = [
    pytest.mark.skipif(
        not HAS_STANDBY and not REQUIRED,
        reason="needs a PostgreSQL hot standby (WITH_REPLICA=1 scripts/with-postgres, as make test runs)",
    ),
    pytest.mark.django_db(databases=["default", "standby"] if HAS_STANDBY else ["default"], transaction=True),
]


@pytest.fixture(autouse=True)
def standby_present():
    if not HAS_STANDBY:
        pytest.fail("CI=true: the PostgreSQL pass has no hot standby (run it through scripts/run-tests)")


@pytest.fixture(scope="module", autouse=True)
def running_standby(django_db_setup, django_db_blocker):
    """The standby, copied from the primary once its test database exists, for this module."""
    if not HAS_STANDBY:
        yield
        return
    standby_ctl("start")
    try:
        with django_db_blocker.unblock():
            wait_until(_standby_streaming, "the standby to stream", timeout=30)
        yield
    finally:
        with django_db_blocker.unblock():
            connections["standby"].close()
        standby_ctl("remove")


def one(alias, sql, *params):
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def primary_lsn():
    """The end of the primary's WAL, as the router's read-your-writes cookie records it."""
    return db_router.primary_wal_position()


def wait_until(condition, what, timeout=15):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


def wait_for_replay():
    """Until the standby has replayed everything the primary has written so far."""
    lsn = primary_lsn()
    wait_until(lambda: one("standby", "SELECT pg_last_wal_replay_lsn() - '0/0'::pg_lsn >= %s", lsn), "replay")


def wait_for_receipt():
    """Until the standby has received (not necessarily replayed) everything written so far."""
    lsn = primary_lsn()
    wait_until(lambda: one("standby", "SELECT pg_last_wal_receive_lsn() - '0/0'::pg_lsn >= %s", lsn), "WAL receipt")


@contextlib.contextmanager
def replay_paused():
    """The standby keeps receiving the primary's WAL but applies none of it: it falls behind."""
    wait_for_replay()
    one("standby", "SELECT pg_wal_replay_pause()")
    wait_until(lambda: one("standby", "SELECT pg_get_wal_replay_pause_state()") == "paused", "the pause")
    try:
        yield
    finally:
        one("standby", "SELECT pg_wal_replay_resume()")
        wait_for_replay()


def standby_ctl(action):
    subprocess.run([os.environ["STANDBY_CTL"], action], check=True, timeout=90)


@pytest.fixture
def seeded():
    """A deal, committed on the primary and replayed on the standby."""
    contract = Contract.objects.create(
        reference="rus-irn-2005-tor-m1",
        supplier=Actor.objects.create(code="RUS", name="Russia"),
        recipient=Actor.objects.create(code="IRN", name="Iran"),
        title="Tor-M1 air-defence systems for Iran",
    )
    wait_for_replay()
    yield contract
    connections["standby"].close()


@pytest.fixture
def on_the_standby():
    """This process's reads routed to the standby, measured on every query."""
    with override_settings(
        DATABASE_REPLICAS=["standby"],
        DATABASE_REPLICA_MAX_LAG_SECONDS=30,
        DATABASE_REPLICA_CHECK_SECONDS=0,
        DATABASE_REPLICA_RETRY_SECONDS=0,
    ):
        yield


def touched(queries, table):
    return [query["sql"] for query in queries if table in query["sql"]]


def test_the_standby_is_a_streaming_copy_made_as_the_readme_says():
    assert one("standby", "SELECT pg_is_in_recovery()") is True
    assert "host=" in one("standby", "SHOW primary_conninfo")  # written by pg_basebackup -R
    assert one("standby", "SELECT count(*) FROM pg_stat_wal_receiver") == 1
    assert one("default", "SELECT string_agg(state, ',') FROM pg_stat_replication") == "streaming"
    assert one("default", "SELECT active FROM pg_replication_slots WHERE slot_name = 'standby_1'") is True

    # README's step 2 names the same pg_basebackup options that scripts/with-postgres runs,
    # the host, port, user and directory aside, and --no-sync (a throwaway copy, as the
    # test servers' fsync=off).
    def options(command):
        words = iter(shlex.split(command.replace("\\\n", " "))[1:])
        kept = []
        for word in words:
            if word in ("-h", "-p", "-U", "-D"):
                next(words)  # where to connect and copy to: differs by machine
            elif word != "--no-sync":
                kept.append(word)
        return kept

    readme = (ROOT / "README.md").read_text()
    scaling = readme[readme.index("## Scaling") :]
    documented = re.search(r"`(pg_basebackup [^`]+)`", scaling).group(1)
    script = (ROOT / "scripts" / "with-postgres").read_text()
    run = re.search(r'"\$PG_BASEBACKUP" (.+?)>', script, flags=re.S).group(1)
    assert options("pg_basebackup " + run) == options(documented) == [
        "-R", "-X", "stream", "-C", "-S", "standby_1", "--checkpoint=fast",
    ]  # fmt: skip
    for name in ("DATABASE_REPLICA_URLS", "DJANGO_REPLICA_MAX_LAG_SECONDS", "primary_conninfo", "hot_standby"):
        assert name in scaling


def test_gets_read_the_standby_writes_go_to_the_primary_and_a_client_reads_its_own_write(
    seeded, on_the_standby, django_user_model
):
    editor = APIClient()
    editor.force_authenticate(django_user_model.objects.create_superuser("replica-editor", "", "pw-replica-123"))
    reader = APIClient()
    url = f"/api/contracts/{seeded.pk}/"
    with replay_paused():
        with CaptureQueriesContext(connections["standby"]) as standby:
            response = editor.patch(url, {"title": "Changed on the primary"}, format="json")
        assert response.status_code == 200 and response.json()["title"] == "Changed on the primary"
        # The writing request neither wrote nor read there (it was not even measured).
        assert standby.captured_queries == []
        wait_for_receipt()

        with (
            CaptureQueriesContext(connections["standby"]) as standby,
            CaptureQueriesContext(connections["default"]) as primary,
        ):
            stale = reader.get(url)
        # Another client's GET reads the standby, which has the write but has not applied it.
        assert stale.status_code == 200 and stale.json()["title"] == seeded.title
        assert touched(standby, "transfers_contract") and not touched(primary, "transfers_contract")

        with (
            CaptureQueriesContext(connections["standby"]) as standby,
            CaptureQueriesContext(connections["default"]) as primary,
        ):
            own = editor.get(url)
        # The editor's cookie keeps its reads on the primary until the standby has the write.
        assert own.status_code == 200 and own.json()["title"] == "Changed on the primary"
        assert touched(primary, "transfers_contract") and not touched(standby, "transfers_contract")
    # Replayed: everyone reads the write from the standby, the editor too.
    with CaptureQueriesContext(connections["standby"]) as standby:
        assert reader.get(url).json()["title"] == editor.get(url).json()["title"] == "Changed on the primary"
    assert len(touched(standby, "transfers_contract")) >= 2


def test_a_standby_lagging_past_the_bound_is_skipped(seeded, on_the_standby):
    reader = APIClient()
    url = f"/api/contracts/{seeded.pk}/"
    with override_settings(DATABASE_REPLICA_MAX_LAG_SECONDS=0.3), replay_paused():
        Contract.objects.filter(pk=seeded.pk).update(title="Not yet on the standby")
        wait_for_receipt()
        wait_until(lambda: not db_router.probe("standby").usable, "the lag to pass the bound")
        state = db_router.probe("standby")
        assert state.reason == "lagging" and state.lag > 0.3, state
        with CaptureQueriesContext(connections["standby"]) as standby:
            response = reader.get(url)
        assert response.status_code == 200 and response.json()["title"] == "Not yet on the standby"
        assert not touched(standby, "transfers_contract")
    # Caught up: back on the standby.
    with CaptureQueriesContext(connections["standby"]) as standby:
        assert reader.get(url).json()["title"] == "Not yet on the standby"
    assert touched(standby, "transfers_contract")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def url_of(alias):
    db = connections[alias].settings_dict
    return f"postgres://{db['USER']}@{urllib.parse.quote(db['HOST'], safe='')}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def live_server_with_replica(seeded):
    """gunicorn on the production settings, configured as README's Scaling step 2 says."""
    cache = {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "tracker_cache"}
    with override_settings(CACHES={"default": cache}):
        call_command("createcachetable", verbosity=0)
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tracker.settings",
        "DATABASE_URL": url_of("default"),
        "DATABASE_REPLICA_URLS": url_of("standby"),
        "DJANGO_REPLICA_MAX_LAG_SECONDS": "30",
        "DJANGO_REPLICA_CHECK_SECONDS": "5",  # the stop below is caught when connecting, not by a re-check
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SESSION_COOKIE_SECURE": "0",  # plain HTTP on the loopback
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        **{f"DJANGO_THROTTLE_{kind}": "off" for kind in ("ANON", "USER", "EXPORT", "EXPORT_USER")},
    }
    env.pop("REDIS_URL", None)
    server = subprocess.Popen(
        [str(GUNICORN), "tracker.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _answers(f"{url}/api/contracts/"), "gunicorn to start", timeout=30)
    except BaseException:
        server.kill()
        print(server.stderr.read().decode()[-2000:])
        raise
    yield url
    server.send_signal(signal.SIGQUIT)  # gunicorn's quick shutdown
    server.wait(timeout=10)


def _answers(url):
    try:
        with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (our own loopback server)
            return True
    except OSError:
        return False


class Client:
    """An HTTP client of the live server; an editor keeps its cookies, as a browser does."""

    def __init__(self, base, token=None):
        self.base = base
        self.headers = {"Authorization": f"Token {token}"} if token else {}
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def request(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        headers = {**self.headers, "Content-Type": "application/json"} if data else self.headers
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, {"error": error.read().decode()[:1000]}


@pytest.mark.skipif(not GUNICORN.exists(), reason="gunicorn not installed")
def test_a_live_server_configured_as_the_readme_says(live_server_with_replica, seeded, django_user_model):
    editor_user = django_user_model.objects.create_superuser("live-editor", "", "pw-replica-123")
    editor = Client(live_server_with_replica, Token.objects.create(user=editor_user).key)
    reader = Client(live_server_with_replica)
    with replay_paused():
        # A deal recorded while the standby is behind: only the primary has it.
        new = Contract.objects.create(
            reference="new-while-behind",
            supplier=Actor.objects.get(pk=seeded.supplier_id),
            recipient=Actor.objects.get(pk=seeded.recipient_id),
            title="Recorded on the primary",
        )
        wait_for_receipt()
        # GETs read the standby: it answers, but does not have the new deal yet.
        status, body = reader.request("GET", f"/api/contracts/{seeded.pk}/")
        assert (status, body["title"]) == (200, seeded.title), body
        assert reader.request("GET", f"/api/contracts/{new.pk}/")[0] == 404
        # A writing request reads (finds the new deal) and writes on the primary: the
        # standby is read-only, so a write there would have failed.
        status, body = editor.request("PATCH", f"/api/contracts/{new.pk}/", {"title": "Edited by its editor"})
        assert (status, body["title"]) == (200, "Edited by its editor"), body
        # That client reads its own write on its next request; another client still reads the standby.
        status, body = editor.request("GET", f"/api/contracts/{new.pk}/")
        assert (status, body["title"]) == (200, "Edited by its editor"), body
        assert reader.request("GET", f"/api/contracts/{new.pk}/")[0] == 404

    status, body = reader.request("GET", f"/api/contracts/{new.pk}/")
    assert (status, body["title"]) == (200, "Edited by its editor")

    # A stopped standby: reads go to the primary, and no client sees an error.
    connections["standby"].close()
    standby_ctl("stop")
    try:
        for _ in range(6):
            status, body = reader.request("GET", f"/api/contracts/{new.pk}/")
            assert (status, body["title"]) == (200, "Edited by its editor"), body
            status, body = reader.request("GET", "/api/contracts/?supplier=RUS")
            assert (status, body["count"]) == (200, 2), body
        # Measured again (here, in this process): unreachable, skipped, no error.
        state = db_router.probe("standby")
        assert not state.usable and state.reason.startswith("unreachable"), state
        with override_settings(DATABASE_REPLICAS=["standby"], DATABASE_REPLICA_CHECK_SECONDS=0):
            response = APIClient().get(f"/api/contracts/{new.pk}/")
        assert response.status_code == 200 and response.json()["title"] == "Edited by its editor"
    finally:
        standby_ctl("start")
        wait_until(_standby_streaming, "the standby to stream again", timeout=30)
        wait_for_replay()


def _standby_streaming():
    try:
        return one("standby", "SELECT count(*) FROM pg_stat_wal_receiver") == 1
    except DatabaseError:
        connections["standby"].close()
        return False
