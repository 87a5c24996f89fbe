"""Writes at the same moment on the embedded SQLite database of `make run`.

SQLite has one writer at a time. With its default (a transaction takes the write lock at its
first write), two transactions that read and then write at once cannot both go on: one was
refused at once with "database is locked", and the API answered 500 (an adversarial pass, two
runs in three). The settings begin every transaction with the write lock, waiting for the other.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import OperationalError

from transfers.models import Contract

ROOT = Path(__file__).resolve().parents[2]

# Two threads of the production settings on one SQLite file, released together, each reading
# and then writing in one transaction, as a save does; the same five times.
RACE = """
import json, os, threading, time
import django
django.setup()
from django.db import connection, transaction

with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE line (n integer)")
errors = []

def write(barrier):
    barrier.wait()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(max(n), 0) FROM line")
            last = cursor.fetchone()[0]
            time.sleep(0.2)
            cursor.execute("INSERT INTO line VALUES (%s)", [last + 1])
    except Exception as exc:
        errors.append(str(exc))
    finally:
        connection.close()

for _ in range(5):
    barrier = threading.Barrier(2)
    threads = [threading.Thread(target=write, args=(barrier,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
with connection.cursor() as cursor:
    cursor.execute("SELECT n FROM line ORDER BY n")
    print(json.dumps({"errors": errors, "lines": [n for (n,) in cursor.fetchall()]}))
"""


def test_two_writes_at_once_on_sqlite_both_commit_one_after_the_other(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tracker.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SECRET_KEY": "sqlite-race-only-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    }
    done = subprocess.run(
        [sys.executable, "-c", RACE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["errors"] == []
    # Each read the other's write: the second waited for the first to commit.
    assert found["lines"] == list(range(1, 11))


@pytest.mark.django_db
def test_a_write_that_still_finds_the_database_locked_is_a_503_and_saves_nothing(seed, editor_api, monkeypatch):
    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(Contract, "save", locked)
    response = editor_api.patch("/api/contracts/rus-irn-2005-tor-m1/", {"notes": "busy"}, format="json")
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "5"
    assert "nothing was saved" in response.json()["detail"]
    assert Contract.objects.get(reference="rus-irn-2005-tor-m1").notes != "busy"
