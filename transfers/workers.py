"""Work spread over threads, each with database connections of its own (PostgreSQL).

A bulk write alternates between Python building rows and the server writing them; with
two CPUs, one connection's server process can write while another thread builds. Only
for work that reads committed data (another connection does not see this one's open
transaction) and writes in transactions of its own, or not at all.
"""

import contextvars
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from django.db import connections

# Two CPUs: a third thread has no CPU of its own to use (measured: a first SIPRI import's
# batches took 5.3 s with two, 5.7 to 5.8 s with three).
WORKERS = 2


def possible(using="default"):
    """Whether work on another connection sees what this one has written: PostgreSQL, and
    no transaction open here."""
    connection = connections[using]
    return WORKERS > 1 and connection.vendor == "postgresql" and not connection.in_atomic_block


def _own_connections(context, function, *args):
    """function(*args) in a copy of the caller's context (context variables: deferred
    refreshes), then this thread's connections closed."""
    try:
        return context.copy().run(function, *args)
    finally:
        connections.close_all()


def in_threads(function, items, *, workers=WORKERS):
    """function(item) for each item, by `workers` threads, yielded in the items' order; at
    most twice `workers` computed ahead of the consumer (their results are held). When the
    consumer stops early or an item fails, the items not started are not run."""
    context = contextvars.copy_context()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tracker-worker") as pool:
        pending = deque()
        try:
            for item in items:
                pending.append(pool.submit(_own_connections, context, function, item))
                if len(pending) >= 2 * workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


@contextmanager
def alongside(function):
    """function() begun in another thread while the block runs; the block's end waits for
    it and raises what it raised (unless the block failed: then the block's error)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="tracker-alongside") as pool:
        future = pool.submit(_own_connections, contextvars.copy_context(), function)
        try:
            yield
        finally:
            error = future.exception()
        if error is not None:
            raise error
