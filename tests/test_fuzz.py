"""Fuzz the API from its own OpenAPI schema with schemathesis, against a live server on loopback.

Every operation, anonymous and authenticated (a superuser's token), every check in
every phase (examples, coverage, fuzzing, stateful), a fixed number of examples per
operation and a fixed seed: no server errors; status codes, content types, headers and
bodies as the schema says; schema-valid requests accepted, invalid ones refused. The
one configured exception, and why, is in tests/schemathesis.toml.
"""

import logging
import os
import re
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
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
SEED = 20261129
CONFIG = Path(__file__).resolve().parent / "schemathesis.toml"
# The anonymous run walks every read's boundaries (the coverage phase: a quarter of the
# fuzzing's time); authenticated reads run the same code, so that run fuzzes them (and
# walks the writes' boundaries) without walking the reads' again. The bodies of a PUT and
# a PATCH are a POST's to the same serializer (every field; any of them): the POST walks
# those fields' boundaries, and the detail GET walks the path's; PUTs and PATCHes are
# fuzzed as the rest (walking them again took half the authenticated run's time).
NOT_WALKED_AGAIN = """
[[operations]]
include-method = "GET"
phases.coverage.enabled = false

[[operations]]
include-method = "PUT"
phases.coverage.enabled = false

[[operations]]
include-method = "PATCH"
phases.coverage.enabled = false
"""


def fuzz(url, name, *options, config=""):
    """One schemathesis run; `config`: TOML added to tests/schemathesis.toml for this run."""
    ARTIFACTS.mkdir(exist_ok=True)
    config_file = ARTIFACTS / f"schemathesis-{name}.toml"
    config_file.write_text(CONFIG.read_text() + config)
    command = [
        str(SCHEMATHESIS),
        "--config-file",
        str(config_file),
        "run",
        f"{url}/api/schema/",
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "2",  # the live server answers in threads; two clients keep it busy
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
    command += options
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
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    operations = sum(
        1 for item in paths.values() for method in item if method in {"get", "post", "put", "patch", "delete"}
    )
    reads = sum(1 for item in paths.values() for method in item if method == "get")
    runs = [
        # Anonymous clients can only read (their writes are 401s, tested elsewhere).
        ("anonymous", ["--include-method", "GET"], "", reads),
        ("authenticated", ["--header", f"Authorization: Token {fuzz_data}"], NOT_WALKED_AGAIN, operations),
    ]
    # The server's own account of any 500 (its traceback), put first in a failure's message:
    # schemathesis sees only the response, and a rare failure may not come back on a rerun.
    errors = _ServerErrors()
    logging.getLogger("django.request").addHandler(errors)
    try:
        for name, options, config, selected in runs:
            code, output = fuzz(live_server.url, name, *options, config=config)
            assert code == 0, "\n".join(errors.tracebacks[-3:]) + "\n" + output[-6000:]
            _check_selected(output, selected, operations)
    finally:
        logging.getLogger("django.request").removeHandler(errors)


class _ServerErrors(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.tracebacks = []
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record):
        self.tracebacks.append(self.format(record))


def _check_selected(output, selected, operations):
    # Every operation was tested, and the stateful phase ran scenarios.
    assert f"{selected} selected / {operations} total" in output, output[-3000:]
    scenarios = re.search(r"Scenarios:\s+(\d+)", output)
    assert scenarios and int(scenarios.group(1)) > 0, output[-3000:]
