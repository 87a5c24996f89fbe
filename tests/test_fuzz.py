"""Fuzz the API from its own OpenAPI schema with schemathesis, against a live server on loopback.

Every operation, anonymous and authenticated (a superuser's token), a fixed number
of examples per operation and a fixed seed: no server errors, and responses
(status codes, content types, bodies) conform to the schema.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from rest_framework.authtoken.models import Token

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
SEED = 20261129
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def fuzz(url, name, *headers):
    ARTIFACTS.mkdir(exist_ok=True)
    command = [
        str(SCHEMATHESIS),
        "run",
        f"{url}/api/schema/",
        "--checks",
        CHECKS,
        "--phases",
        "examples,fuzzing",
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--request-timeout",
        "30",
        "--no-color",
        "--report",
        "junit",
        "--report-junit-path",
        str(ARTIFACTS / f"schemathesis-{name}.xml"),
    ]
    for header in headers:
        command += ["--header", header]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    (ARTIFACTS / f"schemathesis-{name}.txt").write_text(output)
    return result.returncode, output


@pytest.fixture
def fuzz_data(transactional_db, django_user_model):
    call_command("loaddata", "seed", verbosity=0)
    user = django_user_model.objects.create_superuser("fuzzer", "f@example.org", "pw-fuzzer-123")
    return Token.objects.create(user=user).key


@pytest.mark.skipif(not SCHEMATHESIS.exists(), reason="schemathesis not installed")
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="fuzzing runs once, on PostgreSQL (the production database)"
)
def test_schemathesis_anonymous_and_authenticated(live_server, fuzz_data):
    code, output = fuzz(live_server.url, "anonymous")
    assert code == 0, output[-6000:]
    assert "58 selected" in output or "Operations:" in output
    code, output = fuzz(live_server.url, "authenticated", f"Authorization: Token {fuzz_data}")
    assert code == 0, output[-6000:]
