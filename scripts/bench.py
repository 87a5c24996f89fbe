#!/usr/bin/env python
"""API benchmark against PostgreSQL: the real HTTP stack (gunicorn on loopback) vs the same query in raw SQL.

    make bench                       # 100,000, 300,000 and 1,000,000 generated transfers
    BENCH_SIZES=100000 make bench    # one size (BENCH_TRANSFERS=N is the same as BENCH_SIZES=N)

At each size (the database grows from one to the next; the SIPRI register is added at
the first when present), prints per scenario: p50/p95 latency through HTTP, SQL queries
per request, raw SQL p50 for the same page and count, and the ratio. Then how cost grows:
per scenario, the growth exponent of its p50 between sizes (log of the time ratio over
log of the size ratio: 1 grows with the table, 0 does not grow) beside that of its answer
(the rows a list counts, the transfers a summary adds up). At the largest size only,
repeated anonymous conditional
requests (If-None-Match) answered 304 from the data version; then CSV export rows/s
and the server's peak memory; then throughput under 16 concurrent clients.
Figures, not assertions: this is not part of `make test`.
"""

import http.client
import json
import math
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "data" / "sipri" / "trade-register-2026-05-18.csv"
SIZES = sorted(
    int(size)
    for size in (os.environ.get("BENCH_TRANSFERS") or os.environ.get("BENCH_SIZES", "100000,300000,1000000")).split(",")
)
REPEAT = int(os.environ.get("BENCH_REPEAT", "40"))
LOAD_SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "30"))
LOAD_CLIENTS = int(os.environ.get("BENCH_LOAD_CLIENTS", "16"))
PARTS = set(os.environ.get("BENCH_PARTS", "latency,conditional,csv,load").split(","))
SERVER_ENV = {
    "DJANGO_SECRET_KEY": "benchmark-only-secret-key-" + "x" * 40,
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "DJANGO_SECURE_SSL_REDIRECT": "0",
    "DJANGO_SESSION_COOKIE_SECURE": "0",
    "DJANGO_CSRF_COOKIE_SECURE": "0",
    "DJANGO_THROTTLE_ANON": "100000000/min",
    "DJANGO_THROTTLE_USER": "100000000/min",
    "DJANGO_THROTTLE_EXPORT": "100000000/min",
    "DJANGO_THROTTLE_EXPORT_USER": "100000000/min",
}
os.environ.update({k: v for k, v in SERVER_ENV.items() if k not in os.environ})
os.environ["DJANGO_DEBUG"] = "0"  # over a local .env
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")

import django  # noqa: E402

django.setup()

import psycopg2  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from transfers.models import Actor, Contract, Transfer, WeaponSystem  # noqa: E402


def percentile(values, p):
    values = sorted(values)
    index = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[index]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(transfers):
    call_command("migrate", verbosity=0)
    # The reading room's pages link their stylesheet through the production static storage,
    # which needs collectstatic's manifest.
    call_command("collectstatic", interactive=False, verbosity=0)
    have = Transfer.objects.filter(contract__reference__startswith="demo-").count()
    if have < transfers:
        print(f"generating {transfers - have:,} transfers ...", flush=True)
        started = time.perf_counter()
        call_command("generate_demo_data", transfers=transfers - have, seed=1000 + have, verbosity=0)
        print(f"generated in {time.perf_counter() - started:.0f} s (the yearly totals refreshed included)", flush=True)
    if SHARED.exists() and not Transfer.objects.filter(contract__reference__startswith="sipri-").exists():
        print("importing the SIPRI register ...", flush=True)
        call_command("import_sipri", str(SHARED), verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE") if connection.vendor == "postgresql" else None


def raw_connection():
    settings = connection.settings_dict
    return psycopg2.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
    )


ROW_SQL = """
SELECT t.id, t.line, t.quantity_ordered, t.quantity_ordered_is_estimate, t.reported_delivered, t.condition,
       t.licensed_production, t.tiv_per_unit, t.tiv_order, t.tiv_delivered, t.comments,
       c.id, c.reference, c.status, c.order_date, c.order_date_precision, c.value_amount, c.value_currency,
       s.id, s.code, s.name, r.id, r.code, r.name, w.id, w.slug, w.designation, w.category,
       COALESCE(t.cached_delivered_sum, t.reported_delivered),
       (SELECT array_agg(DISTINCT extract(year FROM d.date)) FROM transfers_delivery d WHERE d.transfer_id = t.id),
       (SELECT COUNT(*) FROM transfers_claim cl WHERE cl.transfer_id = t.id)
       + (SELECT COUNT(*) FROM transfers_claim cl WHERE cl.contract_id = t.contract_id)
       + (SELECT COUNT(*) FROM transfers_claim cl JOIN transfers_delivery d ON d.id = cl.delivery_id
          WHERE d.transfer_id = t.id)
FROM transfers_transfer t
JOIN transfers_contract c ON c.id = t.contract_id
JOIN transfers_actor s ON s.id = t.cached_supplier_id
JOIN transfers_actor r ON r.id = t.cached_recipient_id
JOIN transfers_weaponsystem w ON w.id = t.system_id
WHERE t.cached_is_arms {where}
ORDER BY {order}
LIMIT 50
"""
COUNT_SQL = """
SELECT COUNT(*) FROM transfers_transfer t
WHERE t.cached_is_arms {where}
"""
JOINED_COUNT_SQL = """
SELECT COUNT(*) FROM transfers_transfer t
JOIN transfers_actor s ON s.id = t.cached_supplier_id
JOIN transfers_actor r ON r.id = t.cached_recipient_id
JOIN transfers_weaponsystem w ON w.id = t.system_id
WHERE t.cached_is_arms {where}
"""
SUMMARY_SQL = """
SELECT s.code, s.name, extract(year FROM t.cached_order_date) AS y, COUNT(*), SUM(t.quantity_ordered),
       SUM(COALESCE(t.cached_delivered_sum, t.reported_delivered))
FROM transfers_transfer t
JOIN transfers_actor s ON s.id = t.cached_supplier_id
WHERE t.cached_is_arms {where}
GROUP BY s.code, s.name, y ORDER BY s.code, s.name, y
"""

CATEGORY_SUMMARY_SQL = """
WITH lines AS (
    SELECT t.cached_category AS category, extract(year FROM t.cached_order_date) AS y, t.contract_id,
           t.quantity_ordered,
           COALESCE(t.cached_delivered_sum, t.reported_delivered) AS delivered,
           t.cached_contract_value_currency AS currency, t.cached_contract_value_amount AS amount
    FROM transfers_transfer t WHERE t.cached_is_arms AND t.cached_category = 'aircraft'
), totals AS (
    SELECT category, y, COUNT(*) AS n, SUM(quantity_ordered) AS ordered, SUM(delivered) AS delivered
    FROM lines GROUP BY category, y
), vals AS (
    SELECT category, y, currency, SUM(amount) AS amount
    FROM (SELECT DISTINCT category, y, contract_id, currency, amount FROM lines WHERE amount IS NOT NULL) p
    GROUP BY category, y, currency
)
SELECT totals.*, vals.currency, vals.amount FROM totals LEFT JOIN vals USING (category, y)
ORDER BY totals.category, totals.y
"""

# By weapon system: the lines' sums and the distinct deals' values, as the summary answers.
SYSTEM_SUMMARY_SQL = """
WITH lines AS (
    SELECT t.system_id, t.contract_id, t.quantity_ordered,
           COALESCE(t.cached_delivered_sum, t.reported_delivered) AS delivered,
           t.cached_contract_value_currency AS currency, t.cached_contract_value_amount AS amount
    FROM transfers_transfer t WHERE t.cached_is_arms {where}
), totals AS (
    SELECT system_id, COUNT(*) AS n, SUM(quantity_ordered) AS ordered, SUM(delivered) AS delivered
    FROM lines GROUP BY system_id
), vals AS (
    SELECT system_id, currency, SUM(amount) AS amount
    FROM (SELECT DISTINCT system_id, contract_id, currency, amount FROM lines WHERE amount IS NOT NULL) p
    GROUP BY system_id, currency
)
SELECT w.slug, w.designation, totals.n, totals.ordered, totals.delivered, vals.currency, vals.amount
FROM totals JOIN transfers_weaponsystem w ON w.id = totals.system_id LEFT JOIN vals USING (system_id)
ORDER BY w.slug
"""

DELIVERY_YEAR_SQL = """
SELECT extract(year FROM d.date) AS y, COUNT(DISTINCT d.transfer_id), SUM(d.quantity)
FROM transfers_delivery d JOIN transfers_transfer t ON t.id = d.transfer_id
WHERE t.cached_is_arms {where}
GROUP BY y ORDER BY y
"""
CATEGORY_DELIVERY_YEAR_SQL = """
SELECT t.cached_category, extract(year FROM d.date) AS y, COUNT(DISTINCT d.transfer_id), SUM(d.quantity)
FROM transfers_delivery d JOIN transfers_transfer t ON t.id = d.transfer_id
WHERE t.cached_is_arms {where}
GROUP BY t.cached_category, y ORDER BY t.cached_category, y
"""
PARTY_SUMMARY_SQL = """
SELECT r.code, r.name, COUNT(*), SUM(t.quantity_ordered), SUM(COALESCE(t.cached_delivered_sum, t.reported_delivered)),
       SUM(t.tiv_delivered)
FROM transfers_transfer t {join}
JOIN transfers_actor r ON r.id = t.cached_{party}_id
WHERE t.cached_is_arms {where}
GROUP BY r.code, r.name ORDER BY r.code, r.name
"""
# Lines with a delivery in the years (both bounds on the same delivery), as the filter selects.
DELIVERED_BETWEEN = """AND EXISTS (SELECT 1 FROM transfers_delivery b WHERE b.transfer_id = t.id
    AND b.date >= '{first}-01-01' AND b.date < '{after}-01-01')"""

DELIVERY_ROWS_SQL = """
SELECT d.id, d.date, d.date_precision, d.quantity, d.quantity_is_estimate, d.tiv, d.notes, t.id, t.line,
       c.reference, w.designation
FROM transfers_delivery d
JOIN transfers_transfer t ON t.id = d.transfer_id
JOIN transfers_contract c ON c.id = t.contract_id
JOIN transfers_weaponsystem w ON w.id = t.system_id
WHERE t.cached_supplier_id = {supplier}
ORDER BY d.id LIMIT 50
"""
DELIVERY_COUNT_SQL = """
SELECT COUNT(*) FROM transfers_delivery d JOIN transfers_transfer t ON t.id = d.transfer_id
WHERE t.cached_supplier_id = {supplier}
"""
CLAIM_ROWS_SQL = """
SELECT cl.id, cl.summary, cl.quote, cl.stance, cl.attribution, cl.stated_date, so.title, so.url
FROM transfers_claim cl JOIN transfers_source so ON so.id = cl.source_id
LEFT JOIN transfers_actor sp ON sp.id = cl.speaker_id
WHERE {where}
ORDER BY cl.id LIMIT 50
"""
CLAIM_COUNT_SQL = """
SELECT COUNT(*) FROM transfers_claim cl LEFT JOIN transfers_actor sp ON sp.id = cl.speaker_id WHERE {where}
"""
CLAIM_SEARCH = (
    "(upper(cl.summary) LIKE '%{w}%' OR upper(cl.quote) LIKE '%{w}%' OR upper(sp.name) LIKE '%{w}%' "
    "OR upper(cl.speaker_role) LIKE '%{w}%')"
)


def scenarios():
    usa = Actor.objects.get(code="USA")
    rus = Actor.objects.get(code="RUS")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.recipient_id FROM transfers_contract c WHERE c.supplier_id = %s "
            "GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1",
            [rus.pk],
        )
        partner = Actor.objects.get(pk=cursor.fetchone()[0])
    system = WeaponSystem.objects.filter(slug__startswith="demo-").order_by("pk")[5]
    word = system.designation
    like = f"'%{word.upper()}%'"
    return [
        (
            "list, no filter",
            "/api/transfers/?limit=50",
            ROW_SQL.format(where="", order="t.id"),
            COUNT_SQL.format(where=""),
        ),
        (
            "supplier=RUS & recipient=its top partner",
            f"/api/transfers/?supplier=RUS&recipient={partner.code}",
            ROW_SQL.format(
                where=f"AND t.cached_supplier_id = {rus.pk} AND t.cached_recipient_id = {partner.pk}", order="t.id"
            ),
            COUNT_SQL.format(where=f"AND t.cached_supplier_id = {rus.pk} AND t.cached_recipient_id = {partner.pk}"),
        ),
        (
            "supplier=USA & category=aircraft & 1990-2010",
            "/api/transfers/?supplier=USA&category=aircraft&ordered_from=1990&ordered_to=2010",
            ROW_SQL.format(
                where=f"AND t.cached_supplier_id = {usa.pk} AND t.cached_category = 'aircraft' "
                "AND t.cached_order_date >= '1990-01-01' AND t.cached_order_date < '2011-01-01'",
                order="t.id",
            ),
            COUNT_SQL.format(
                where=f"AND t.cached_supplier_id = {usa.pk} AND t.cached_category = 'aircraft' "
                "AND t.cached_order_date >= '1990-01-01' AND t.cached_order_date < '2011-01-01'"
            ),
        ),
        (
            "search= a designation",
            f"/api/transfers/?search={urllib.parse.quote(word)}",
            ROW_SQL.format(
                where=f"AND (upper(w.designation) LIKE {like} OR upper(w.description) LIKE {like} OR "
                f"upper(t.comments) LIKE {like} OR upper(s.name) LIKE {like} OR upper(r.name) LIKE {like})",
                order="t.id",
            ),
            JOINED_COUNT_SQL.format(
                where=f"AND (upper(w.designation) LIKE {like} OR upper(w.description) LIKE {like} OR "
                f"upper(t.comments) LIKE {like} OR upper(s.name) LIKE {like} OR upper(r.name) LIKE {like})"
            ),
        ),
        (
            "ordering=-order_date",
            "/api/transfers/?ordering=-order_date",
            ROW_SQL.format(where="", order="t.cached_order_date DESC, t.id"),
            COUNT_SQL.format(where=""),
        ),
        (
            "deliveries supplier=RUS",
            "/api/deliveries/?supplier=RUS",
            DELIVERY_ROWS_SQL.format(supplier=rus.pk),
            DELIVERY_COUNT_SQL.format(supplier=rus.pk),
        ),
        (
            "claims search=reported (every claim)",
            "/api/claims/?search=reported",
            CLAIM_ROWS_SQL.format(where=CLAIM_SEARCH.format(w="REPORTED")),
            CLAIM_COUNT_SQL.format(where=CLAIM_SEARCH.format(w="REPORTED")),
        ),
        (
            "summary supplier,order_year",
            "/api/transfers/summary/?group_by=supplier,order_year",
            SUMMARY_SQL.format(where=""),
            None,
        ),
        (
            "summary supplier,order_year, supplier=USA",
            "/api/transfers/summary/?group_by=supplier,order_year&supplier=USA",
            SUMMARY_SQL.format(where=f"AND t.cached_supplier_id = {usa.pk}"),
            None,
        ),
        (
            "summary delivery_year",
            "/api/transfers/summary/?group_by=delivery_year",
            DELIVERY_YEAR_SQL.format(where=""),
            None,
        ),
        (
            "summary category,delivery_year",
            "/api/transfers/summary/?group_by=category,delivery_year",
            CATEGORY_DELIVERY_YEAR_SQL.format(where=""),
            None,
        ),
        (
            "summary delivery_year, supplier=RUS",
            "/api/transfers/summary/?group_by=delivery_year&supplier=RUS",
            DELIVERY_YEAR_SQL.format(where=f"AND t.cached_supplier_id = {rus.pk}"),
            None,
        ),
        (
            "summary recipient, ordered 2000-2020",
            "/api/transfers/summary/?group_by=recipient&ordered_from=2000&ordered_to=2020",
            PARTY_SUMMARY_SQL.format(
                party="recipient",
                join="",
                where="AND t.cached_order_date >= '2000-01-01' AND t.cached_order_date < '2021-01-01'",
            ),
            None,
        ),
        # Filters no totals keep: computed from the lines (cold), then kept per process.
        (
            "summary supplier, status=completed",
            "/api/transfers/summary/?group_by=supplier&status=completed",
            PARTY_SUMMARY_SQL.format(
                party="supplier",
                join="JOIN transfers_contract c ON c.id = t.contract_id",
                where="AND c.status = 'completed'",
            ),
            None,
        ),
        (
            "summary delivery_year, delivered 2015-2024",
            "/api/transfers/summary/?group_by=delivery_year&delivered_from=2015&delivered_to=2024",
            DELIVERY_YEAR_SQL.format(where=DELIVERED_BETWEEN.format(first=2015, after=2025)),
            None,
        ),
        (
            "summary system",
            "/api/transfers/summary/?group_by=system",
            SYSTEM_SUMMARY_SQL.format(where=""),
            None,
        ),
        (
            "summary system, supplier=RUS",
            "/api/transfers/summary/?group_by=system&supplier=RUS",
            SYSTEM_SUMMARY_SQL.format(where=f"AND t.cached_supplier_id = {rus.pk}"),
            None,
        ),
        (
            # Filtered on lines and grouped by a line key: values come from (group, contract) pairs.
            "summary category,order_year, category=aircraft",
            "/api/transfers/summary/?group_by=category,order_year&category=aircraft",
            CATEGORY_SUMMARY_SQL,
            None,
        ),
        # The sort keys are copies on the row (Transfer.COPIES), each with a partial index on
        # (key, id); the raw SQL reads the same columns.
        (
            "ordering=supplier",
            "/api/transfers/?ordering=supplier",
            ROW_SQL.format(where="", order="t.cached_supplier_code, t.id"),
            COUNT_SQL.format(where=""),
        ),
        (
            "ordering=-recipient",
            "/api/transfers/?ordering=-recipient",
            ROW_SQL.format(where="", order="t.cached_recipient_code DESC, t.id DESC"),
            COUNT_SQL.format(where=""),
        ),
        (
            "ordering=system",
            "/api/transfers/?ordering=system",
            ROW_SQL.format(where="", order="t.cached_system_designation, t.id"),
            COUNT_SQL.format(where=""),
        ),
    ]


def reading_pages():
    """The reading room's pages (HTML, no raw SQL to compare with: each page is several
    queries and a template): the register unfiltered and filtered, a deal, actors, flows, search."""
    rus = Actor.objects.get(code="RUS")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.recipient_id FROM transfers_contract c WHERE c.supplier_id = %s "
            "GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1",
            [rus.pk],
        )
        partner = Actor.objects.get(pk=cursor.fetchone()[0])
    deal = Contract.objects.filter(reference__startswith="demo-", line_count__gt=1).order_by("pk").first()
    word = WeaponSystem.objects.filter(slug__startswith="demo-").order_by("pk")[5].designation
    return [
        ("page: register /", "/"),
        ("page: register RUS & its top partner", f"/?supplier=RUS&recipient={partner.code}"),
        ("page: register USA aircraft 1990-2010", "/?supplier=USA&category=aircraft&ordered_from=1990&ordered_to=2010"),
        ("page: a deal", f"/deals/{deal.reference}/"),
        ("page: actor RUS", "/actors/RUS/"),
        ("page: actor, RUS's top partner", f"/actors/{partner.code}/"),
        ("page: flows", "/flows/"),
        ("page: flows aircraft delivered 2015-2024", "/flows/?category=aircraft&delivered_from=2015&delivered_to=2024"),
        ("page: search a designation", f"/search/?search={urllib.parse.quote(word)}"),
    ]


def http_get(port, path, accept="application/json"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    conn.request("GET", path, headers={"Accept": accept})
    response = conn.getresponse()
    size = 0
    while True:
        chunk = response.read(1 << 16)
        if not chunk:
            break
        size += len(chunk)
    elapsed = time.perf_counter() - started
    conn.close()
    return response.status, elapsed, size


def conditional_paths():
    """Anonymous GETs a shared cache revalidates: lists, a summary, a detail, a CSV, pages."""
    deal = Contract.objects.filter(reference__startswith="demo-", line_count__gt=1).order_by("pk").first()
    return [
        ("list, no filter", "/api/transfers/?limit=50", "application/json"),
        (
            "list supplier=USA & aircraft & 1990-2010",
            "/api/transfers/?supplier=USA&category=aircraft&ordered_from=1990&ordered_to=2010",
            "application/json",
        ),
        ("summary supplier,order_year", "/api/transfers/summary/?group_by=supplier,order_year", "application/json"),
        ("a contract", f"/api/contracts/{deal.reference}/", "application/json"),
        ("CSV supplier=RUS", "/api/transfers/?supplier=RUS&format=csv", "text/csv"),
        ("page: register /", "/", "text/html"),
        ("page: actor RUS", "/actors/RUS/", "text/html"),
    ]


def http_conditional(port, path, accept, etag=None):
    """(status, seconds, ETag) of one GET, conditional on `etag` when given."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    headers = {"Accept": accept, **({"If-None-Match": etag} if etag else {})}
    started = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    while response.read(1 << 16):
        pass
    elapsed = time.perf_counter() - started
    conn.close()
    return response.status, elapsed, response.getheader("ETag")


def conditional_requests(port):
    """Repeated anonymous requests with the ETag of the first: a 304 from the data version,
    without the page's queries (transfers/http_cache.py), beside the full 200."""
    columns = ("200 p50", "304 p50", "304 p95", "queries")
    print(f"\n{'conditional GET (If-None-Match), anonymous':46} " + " ".join(f"{c:>8}" for c in columns))
    client = Client()
    for name, path, accept in conditional_paths():
        full = [http_conditional(port, path, accept) for _ in range(max(3, REPEAT // 4))]
        etag = full[-1][2]
        answers = [http_conditional(port, path, accept, etag) for _ in range(REPEAT)]
        statuses = {status for status, _, _ in answers}
        if statuses != {304}:
            raise SystemExit(f"{path}: conditional GET answered {statuses}, not 304")
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, HTTP_HOST=f"127.0.0.1:{port}", HTTP_ACCEPT=accept, HTTP_IF_NONE_MATCH=etag)
        if response.status_code != 304:
            raise SystemExit(f"{path}: in-process conditional GET answered {response.status_code}")
        p200 = percentile([t for _, t, _ in full], 50) * 1000
        p50, p95 = percentile([t for _, t, _ in answers], 50) * 1000, percentile([t for _, t, _ in answers], 95) * 1000
        print(f"{name[:46]:46} {p200:8.1f} {p50:8.1f} {p95:8.1f} {len(queries):8d}")


def time_raw(cursor, sql, count_sql):
    started = time.perf_counter()
    cursor.execute(sql)
    cursor.fetchall()
    if count_sql:
        cursor.execute(count_sql)
        cursor.fetchone()
    return time.perf_counter() - started


def queries_per_request(path, repeated=True):
    """The SQL queries of the request; `repeated`: of the request asked again, as the p50
    times it (what this process looks up once, actor codes, counts under the data version,
    a prepared statement, is not counted again)."""
    client = Client()
    for _ in range(2 if repeated else 1):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, HTTP_HOST="127.0.0.1")
            if hasattr(response, "streaming_content"):
                for _ in response.streaming_content:
                    pass
    return len(queries)


def worker_pids(master_pid):
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master_pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def peak_rss_mb(pids):
    peaks = []
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        except FileNotFoundError:
            pass
    return max(peaks) if peaks else 0.0


def load_test(port, paths, seconds, clients):
    stop = time.monotonic() + seconds
    latencies, errors = [], []
    lock = threading.Lock()

    def run(index):
        n = index
        while time.monotonic() < stop:
            path = paths[n % len(paths)]
            n += 1
            try:
                status, elapsed, _ = http_get(port, path)
            except Exception as exc:  # a refused or dropped connection is an error too
                with lock:
                    errors.append(str(exc))
                continue
            with lock:
                latencies.append(elapsed)
                if status != 200:
                    errors.append(status)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    return len(latencies) / elapsed, percentile(latencies, 95) if latencies else 0, len(errors), len(latencies)


def answer_size(port, path):
    """The rows a list counts, or the transfers a summary adds up (its groups' sum)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    conn.request("GET", path, headers={"Accept": "application/json"})
    body = json.loads(conn.getresponse().read())
    conn.close()
    if isinstance(body, dict):
        return body.get("count")
    return sum(row.get("transfers") or 0 for row in body if not row.get("unplaced"))


def start_server():
    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "tracker.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "2",
            "--timeout",
            "600",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ},
    )
    for _ in range(100):
        try:
            if http_get(port, "/api/")[0] == 200:
                break
        except OSError:
            time.sleep(0.2)
    return server, port


def latency(port, total):
    """The scenarios and the reading room's pages at this size: {name: (p50 ms, answer size)}."""
    found = {}
    print(f"\nBenchmark: {total:,} arms transfers on PostgreSQL, gunicorn 2 workers, {os.cpu_count()} CPUs, ", end="")
    print(f"{REPEAT} requests each")
    print(f"{'scenario':46} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} {'SQL p50':>8} {'ratio':>6} {'cold ms':>8}")
    raw = raw_connection()
    cursor = raw.cursor()
    for name, path, sql, count_sql in scenarios():
        # Cold: the first request, with nothing in Django's cache (the counts are kept there).
        cache.clear()
        cold = http_get(port, path)[1] * 1000
        for _ in range(3):
            http_get(port, path)
            time_raw(cursor, sql, count_sql)
        api_times, raw_times = [], []
        for _ in range(REPEAT):
            status, elapsed, _ = http_get(port, path)
            if status != 200:
                raise SystemExit(f"{path}: HTTP {status}")
            api_times.append(elapsed)
            raw_times.append(time_raw(cursor, sql, count_sql))
        p50, p95, raw50 = (
            percentile(api_times, 50) * 1000,
            percentile(api_times, 95) * 1000,
            percentile(raw_times, 50) * 1000,
        )
        queries = queries_per_request(path)
        print(f"{name:46} {p50:8.1f} {p95:8.1f} {queries:8d} {raw50:8.1f} {p50 / raw50:6.1f} {cold:8.1f}")
        found[name] = (p50, answer_size(port, path))
    raw.close()

    # The pages keep their figures in the shared cache (READING_CACHE_SECONDS): the first
    # request of each computes them (cold), the others read them (p50, p95).
    columns = ("p50 ms", "p95 ms", "queries", "cold ms", "queries")
    print(f"\n{'reading room page':46} " + " ".join(f"{c:>8}" for c in columns))
    for name, path in reading_pages():
        cache.clear()
        cold_queries = queries_per_request(path, repeated=False)
        cache.clear()
        status, cold, _ = http_get(port, path, accept="text/html")
        if status != 200:
            raise SystemExit(f"{path}: HTTP {status}")
        times = [http_get(port, path, accept="text/html")[1] for _ in range(REPEAT)]
        p50, p95 = percentile(times, 50) * 1000, percentile(times, 95) * 1000
        print(
            f"{name[:46]:46} {p50:8.1f} {p95:8.1f} {queries_per_request(path):8d} {cold * 1000:8.1f} {cold_queries:8d}"
        )
        found[f"{name} (cold)"] = (cold * 1000, None)
    return found


def growth_table(results):
    """Per scenario: p50 at each size and the growth exponents between sizes, of the time
    and of the answer."""
    sizes = sorted(results)
    print("\nHow cost grows: p50 ms per size; exponent of the time / of the answer between sizes")
    header = " ".join(f"{size:>10,}" for size in sizes)
    steps = " ".join(f"{f'{a // 1000}k>{b // 1000}k':>13}" for a, b in zip(sizes, sizes[1:], strict=False))
    print(f"{'scenario':46} {header} {steps}")
    for name in [name for name in results[sizes[0]] if all(name in results[size] for size in sizes)]:
        times = [results[size][name][0] for size in sizes]
        answers = [results[size][name][1] for size in sizes]
        exponents = []
        for i in range(len(sizes) - 1):
            scale = math.log(sizes[i + 1] / sizes[i])
            time_exponent = math.log(times[i + 1] / times[i]) / scale
            if answers[i] and answers[i + 1]:
                exponents.append(f"{time_exponent:5.2f} / {math.log(answers[i + 1] / answers[i]) / scale:5.2f}")
            else:
                exponents.append(f"{time_exponent:5.2f} /   n/a")
        cells = [f"{t:10.1f}" for t in times] + [f"{e:>13}" for e in exponents]
        print(f"{name[:46]:46} " + " ".join(cells))


def main():
    if connection.vendor != "postgresql":
        raise SystemExit("The benchmark runs on PostgreSQL: use `make bench` (or set DATABASE_URL).")
    results = {}
    for size in SIZES:
        prepare(size)
        total = Transfer.objects.filter(contract__kind="arms").count()
        if "latency" in PARTS:
            server, port = start_server()
            try:
                results[total] = latency(port, total)
            finally:
                server.terminate()
                server.wait(timeout=30)
    if len(results) > 1:
        growth_table(results)

    server, port = start_server()
    try:
        pids = worker_pids(server.pid)
        if "conditional" in PARTS:
            conditional_requests(port)

        if "csv" in PARTS:
            before = peak_rss_mb(pids)
            status, elapsed, size = http_get(port, "/api/transfers/?format=csv", accept="text/csv")
            after = peak_rss_mb(worker_pids(server.pid))
            print(
                f"\nCSV export of all {total:,} rows: HTTP {status}, {elapsed:.1f} s, {total / elapsed:,.0f} rows/s, "
                f"{size / 1e6:.0f} MB; worker peak RSS {after:.0f} MB (before the export: {before:.0f} MB)"
            )
        paths = [
            "/api/transfers/",
            "/api/transfers/?supplier=USA&category=aircraft&ordered_from=1990&ordered_to=2010",
            "/api/transfers/?supplier=RUS",
            "/api/contracts/?supplier=FRA",
            "/api/claims/?stance=confirms",
        ]
        if "load" not in PARTS:
            return
        rate, p95, errors, done = load_test(port, paths, LOAD_SECONDS, LOAD_CLIENTS)
        print(
            f"Load: {LOAD_CLIENTS} clients x {LOAD_SECONDS} s against 2 workers: {rate:,.1f} requests/s, "
            f"p95 {p95 * 1000:.0f} ms, {errors} errors of {done} requests"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
