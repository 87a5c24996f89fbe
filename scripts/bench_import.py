#!/usr/bin/env python
"""Benchmark import_sipri on the shared SIPRI exports: rows/s and peak memory.

Run through `make bench-import` (a throwaway PostgreSQL) or with DATABASE_URL set.
Each import runs in its own process so that its peak memory is its own. The
by-delivery-year export is imported after the legacy register, so its first import
matches its deals to the legacy ones and merges them (per-year numbers, deal ids).
"""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data" / "sipri"
# A file already recorded as a release is skipped unless --reimport: the re-imports ask for it.
FILES = [
    ("legacy register, first import", SHARED / "trade-register-2026-05-18.csv", ()),
    ("legacy register, unchanged re-import", SHARED / "trade-register-2026-05-18.csv", ("--reimport",)),
    ("by-delivery-year export, merged first import", SHARED / "trade-register-by-delivery-year-2026-02-12.csv", ()),
    (
        "by-delivery-year export, unchanged re-import",
        SHARED / "trade-register-by-delivery-year-2026-02-12.csv",
        ("--reimport",),
    ),
]


def manage(*args):
    env = {**os.environ, "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "benchmark-only-" + "x" * 40)}
    env["DJANGO_DEBUG"] = "0"  # over .env: query logging in debug mode would distort the figures
    process = subprocess.Popen(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    output = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        print(output)
        raise SystemExit(f"manage.py {' '.join(args)} failed")
    return output, usage.ru_maxrss / 1024


def main():
    if not all(path.exists() for _, path, _ in FILES):
        raise SystemExit(f"SIPRI exports not found under {SHARED}")
    database = os.environ.get("DATABASE_URL", "sqlite (var/db.sqlite3)").split("@")[-1]
    manage("flush", "--noinput")
    manage("migrate", "--noinput")
    manage("load_countries")
    print(f"import_sipri benchmark on {database}")
    print(f"{'run':46} {'rows':>7} {'seconds':>8} {'rows/s':>8} {'peak MB':>8}")
    for label, path, options in FILES:
        output, peak = manage("import_sipri", str(path), "--verbosity", "1", *options)
        rows = int(re.search(r"rows read (\d+)", output).group(1))
        seconds = float(re.search(r"time: ([\d.]+) s", output).group(1))
        print(f"{label:46} {rows:>7} {seconds:>8.1f} {rows / seconds:>8,.0f} {peak:>8.0f}")
        merged = re.search(r"one deal with its copy from the .*", output)
        if merged and "first" in label:
            print(f"  {merged.group(0)}; " + "; ".join(re.findall(r"(?:matched now|not matched): \d+", output)))


if __name__ == "__main__":
    main()
