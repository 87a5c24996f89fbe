"""Production settings, abuse limits and security headers."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings
from rest_framework.throttling import SimpleRateThrottle

from transfers.models import RateCount

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": "prod-" + "k3y-With-Many-Different-Characters-0123456789-abcdefghij",
    "DJANGO_ALLOWED_HOSTS": "tracker.example.org",
    "DATABASE_URL": "sqlite:////tmp/tracker-deploy-check.sqlite3",
}


def manage(*args, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_") and k != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        # Not the checkout's local .env (debug on): production has none.
        env={**clean, "DJANGO_ENV_FILE": "", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "key",
    ["", "   ", "django-insecure-development-only-key-do-not-use-in-production", "short-secret-123", "a" * 60],
)
def test_production_refuses_to_start_without_a_real_secret_key(key):
    result = manage("check", **{**PRODUCTION_ENV, "DJANGO_SECRET_KEY": key})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_security_headers(client):
    for url in ["/admin/login/", "/api/docs/", "/api/transfers/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "default-src 'self'" in response["Content-Security-Policy"], url
        assert "script-src 'self'" in response["Content-Security-Policy"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"
    docs = client.get("/api/docs/").content.decode()
    assert "cdn" not in docs.lower()  # swagger-ui served from our own static files
    assert client.get("/api/schema/").status_code == 200


@pytest.fixture
def low_rates(monkeypatch, one_rate_window):
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {"anon": "5/min", "user": "8/min", "export": "2/min", "export_user": "4/min"},
    )
    yield


@pytest.mark.django_db
def test_anonymous_and_authenticated_clients_are_throttled(admin_client, low_rates):
    client = Client()
    codes = [client.get("/api/actors/").status_code for _ in range(7)]
    assert codes[:5] == [200] * 5 and codes[5:] == [429, 429]
    assert "Retry-After" in client.get("/api/actors/")
    codes = [admin_client.get("/api/actors/").status_code for _ in range(10)]
    assert codes[:8] == [200] * 8 and codes[8:] == [429, 429]


@pytest.mark.django_db
def test_csv_export_has_its_own_stricter_limit_and_signed_in_users_a_higher_one(admin_client, low_rates):
    anonymous = Client()
    codes = [anonymous.get("/api/actors/?format=csv").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    # A signed-in analyst has a limit of their own, not the anonymous one.
    codes = [admin_client.get("/api/actors/?format=csv").status_code for _ in range(5)]
    assert codes == [200, 200, 200, 200, 429]
    # Page requests still go through.
    assert admin_client.get("/api/actors/").status_code == 200


@pytest.mark.django_db
def test_rate_counts_write_no_wal_on_postgresql(low_rates):
    # Every anonymous request upserts a count: in an UNLOGGED table its commit waits for
    # no WAL flush and no standby replays it (migration 0084). The counting still holds.
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("UNLOGGED tables are PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SELECT relpersistence FROM pg_class WHERE relname = %s", [RateCount._meta.db_table])
        assert cursor.fetchone()[0] == "u"
    client = Client()
    assert [client.get("/api/actors/").status_code for _ in range(6)] == [200] * 5 + [429]
    assert RateCount.objects.filter(hits=6).exists()


@pytest.mark.django_db
def test_a_forged_x_forwarded_for_does_not_lift_the_limit(low_rates):
    client = Client()
    codes = [client.get("/api/actors/", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}").status_code for i in range(7)]
    assert codes == [200] * 5 + [429, 429]


@pytest.mark.django_db
def test_behind_one_trusted_proxy_the_address_it_saw_counts(low_rates, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    client = Client()
    # The client prepends what it likes; our proxy appends the address it saw.
    codes = [client.get("/api/actors/", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}, 203.0.113.7").status_code for i in range(6)]
    assert codes == [200] * 5 + [429]
    # Another real client, behind the same proxy, has its own count.
    assert client.get("/api/actors/", HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 200


@pytest.mark.django_db
def test_failed_admin_logins_lock_the_account_out(client, django_user_model):
    django_user_model.objects.create_superuser("boss", "b@example.org", "right-password-123")
    with override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3):
        for _ in range(3):
            response = client.post("/admin/login/", {"username": "boss", "password": "wrong"})
            assert response.status_code in (200, 429)
        response = client.post("/admin/login/?next=/admin/", {"username": "boss", "password": "right-password-123"})
        assert response.status_code == 429
        assert not client.session.get("_auth_user_id")


@pytest.mark.django_db
def test_anonymous_cannot_write_anything(client, seed):
    from transfers.models import Contract

    contract = Contract.objects.first()
    for method, url in [
        ("post", "/api/contracts/"),
        ("put", f"/api/contracts/{contract.pk}/"),
        ("patch", f"/api/contracts/{contract.pk}/"),
        ("delete", f"/api/contracts/{contract.pk}/"),
    ]:
        response = getattr(client, method)(url, data="{}", content_type="application/json")
        assert response.status_code in (401, 403), (method, url)
    assert Contract.objects.filter(pk=contract.pk).exists()


@pytest.mark.django_db
def test_a_bad_token_is_a_401_with_a_challenge(client):
    response = client.get("/api/actors/", HTTP_AUTHORIZATION="Token not-a-real-token")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    # Without credentials a write is a 401 too, with the same challenge.
    response = client.post("/api/actors/", data="{}", content_type="application/json")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
