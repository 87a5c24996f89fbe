"""CSV output: a header row, one flat row per record, streamed for lists."""

import csv
import io
import json
import queue
import re
import threading

from django.db import connections
from django.db.models import F
from django.http import StreamingHttpResponse
from rest_framework import renderers, serializers

from ..dates import format_partial_date_sql
from ..selectors import queryset_sql
from .fields import PartialDateField, YearListField
from .rows import ValueShape, serializer_leaves

CHUNK_SIZE = 2000


class _Echo:
    """A file-like object whose write() returns the line, for streaming csv.writer output."""

    def write(self, value):
        return value


def serializer_columns(serializer):
    """Flat column names of a serializer: nested objects become `supplier.code`, `supplier.name`."""
    return [column for column, _ in serializer_leaves(serializer)]


def flatten(data, prefix="", out=None):
    out = {} if out is None else out
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flatten(value, f"{name}.", out)
        elif isinstance(value, list):
            out[name] = _list_text(value)
        else:
            out[name] = value
    return out


# --- Formula injection (OWASP "CSV Injection") ---
# A spreadsheet runs a cell that starts with one of these as a formula: such text cells
# are written with a leading apostrophe, which shows as text and runs nothing. Numbers
# (a negative remaining quantity) are left as they are. The COPY path's SQL is built from
# the same two definitions (csv_safe_sql).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER_PATTERN = r"-?[0-9]+(\.[0-9]+)?"
_NUMBER = re.compile(NUMBER_PATTERN)


def csv_safe(value):
    """The value as a CSV cell that a spreadsheet will not run."""
    if value.__class__ is str and value[:1] in FORMULA_STARTS and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_safe_sql(expression):
    """SQL for csv_safe(expression), a text expression (PostgreSQL)."""
    starts = ", ".join("E'" + start.encode("unicode_escape").decode() + "'" for start in FORMULA_STARTS)
    quote = "''''"  # a SQL literal of one apostrophe
    return (
        f"CASE WHEN left({expression}, 1) IN ({starts}) AND {expression} !~ '^{NUMBER_PATTERN}$' "
        f"THEN {quote} || {expression} ELSE {expression} END"
    )


def _list_text(value):
    """A list in one cell: `1999; 2000`, or JSON when it holds objects."""
    if all(not isinstance(item, (dict, list)) for item in value):
        return "; ".join("" if item is None else str(item) for item in value)
    return json.dumps(value, default=str)


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return _list_text(value)
    return value


def csv_rows(columns, records, *, buffer_size=1 << 16):
    """CSV text of serialized records, in pieces of about buffer_size characters: one
    write to the socket per piece, not per row."""
    writer = csv.writer(_Echo())
    pieces, size = [writer.writerow(columns)], 0
    for record in records:
        row = flatten(record)
        line = writer.writerow([csv_safe(_cell(row.get(column))) for column in columns])
        pieces.append(line)
        size += len(line)
        if size >= buffer_size:
            yield "".join(pieces)
            pieces, size = [], 0
    if pieces:
        yield "".join(pieces)


def csv_row_chunks(columns, row_chunks):
    """CSV text of rows that are already lists of values in column order (None is empty):
    one piece per chunk, written by the csv module in C."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for rows in row_chunks:
        writer.writerows([[csv_safe(value) for value in row] for row in rows])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


class _CopyStopped(Exception):
    pass


def copy_csv_pieces(*, columns, select, using, buffer_size=1 << 16):
    """CSV text written by PostgreSQL (`COPY (select) TO STDOUT`), in pieces of about
    buffer_size bytes, the header first; the same bytes as csv_row_chunks writes.

    `select` is (sql, params). The COPY runs in a thread on this request's connection
    (the request does nothing else with it meanwhile) and hands over pieces through a
    small queue, so memory stays flat while the client reads.
    """
    header = io.StringIO()
    csv.writer(header).writerow(columns)
    database = connections[using]
    database.ensure_connection()
    raw = database.connection
    with raw.cursor() as cursor:
        sql = cursor.mogrify(f"COPY ({select[0]}) TO STDOUT WITH (FORMAT csv)", select[1]).decode()
    pieces = queue.Queue(maxsize=8)
    stop = threading.Event()
    done = object()

    class Sink:
        def __init__(self):
            self.parts, self.size = [], 0

        def write(self, row):
            if stop.is_set():
                raise _CopyStopped
            # One call per row, which ends in \n; the csv module ends rows in \r\n.
            self.parts.append(row[:-1])
            self.size += len(row) + 1
            if self.size >= buffer_size:
                self.flush()

        def flush(self):
            if self.parts:
                pieces.put(b"\r\n".join(self.parts) + b"\r\n")
                self.parts, self.size = [], 0

    def copy():
        try:
            sink = Sink()
            with raw.cursor() as cursor:
                cursor.copy_expert(sql, sink)
            sink.flush()
            pieces.put(done)
        except BaseException as exc:  # handed to the response, which raises it
            pieces.put(exc)

    thread = threading.Thread(target=copy, name="csv-copy", daemon=True)
    thread.start()
    finished = False
    try:
        yield header.getvalue().encode("utf-8")
        while True:
            piece = pieces.get()
            if piece is done:
                finished = True
                return
            if isinstance(piece, BaseException):
                raise piece
            yield piece
    finally:
        if not finished:
            stop.set()
            while thread.is_alive():
                try:
                    pieces.get(timeout=0.1)
                except queue.Empty:
                    pass
            # A COPY broken off leaves the connection mid-protocol: drop it.
            database.close()
        thread.join()


def queryset_csv_row_chunks(*, queryset, serializer, computed=None, chunk_size=2000):
    """The CSV rows of a list from value tuples: one query (joins, no per-row work),
    values converted as the serializer converts them. None when ValueShape cannot
    read the serializer's fields.

    The same cells as flattening the serializer's output (the tests compare them for
    every resource), at several times the speed.
    """
    shape = ValueShape.of(serializer, queryset, computed)
    if shape is None:
        return None
    values = shape.values_of(queryset)

    def chunks(columns):
        if columns != shape.columns:
            raise ValueError("The CSV columns are not the serializer's.")
        chunk = []
        for raw in values.iterator(chunk_size=chunk_size):
            chunk.append([_cell(value) for value in shape.values(raw)])
            if len(chunk) >= chunk_size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    return chunks


def stream_queryset_as_csv(*, queryset, serializer_class, context, filename, row_chunks=None, copy_select=None):
    """Every row of the queryset, serialized chunk by chunk: memory stays flat.

    `row_chunks`, when given, is a function of the columns (the serializer's) that
    yields lists of ready rows: a faster path than the serializer for very large lists.
    `copy_select`, when given (PostgreSQL), is a function of the columns that returns
    the (sql, params) of a SELECT of the finished CSV values, for COPY: faster still.
    """
    columns = serializer_columns(serializer_class(context=context))
    if copy_select is not None:
        response = StreamingHttpResponse(
            copy_csv_pieces(columns=columns, select=copy_select(columns), using=queryset.db),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response

    def records():
        chunk = []
        for obj in queryset.iterator(chunk_size=CHUNK_SIZE):
            chunk.append(obj)
            if len(chunk) >= CHUNK_SIZE:
                yield from serializer_class(chunk, many=True, context=context).data
                chunk = []
        if chunk:
            yield from serializer_class(chunk, many=True, context=context).data

    pieces = csv_row_chunks(columns, row_chunks(columns)) if row_chunks else csv_rows(columns, records())
    response = StreamingHttpResponse(
        (piece.encode("utf-8") for piece in pieces), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


class CSVRenderer(renderers.BaseRenderer):
    """`?format=csv` or `Accept: text/csv`. Lists are streamed by the views; this renders the rest."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if isinstance(data, dict) and isinstance(data.get("results"), list):
            data = data["results"]
        if isinstance(data, dict):
            if all(isinstance(v, list) and all(isinstance(i, str) for i in v) for v in data.values()):
                # Validation errors: one row per message.
                rows = [
                    {"field": field, "message": message} for field, messages in data.items() for message in messages
                ]
            else:
                rows = [data]
        elif isinstance(data, list):
            rows = [item if isinstance(item, dict) else {"value": item} for item in data]
        else:
            rows = [{"value": data}]
        columns = []
        for row in rows:
            for column in flatten(row):
                if column not in columns:
                    columns.append(column)
        return "".join(csv_rows(columns, rows)).encode("utf-8")


# --- The summary as CSV -----------------------------------------------------------------------------


def summary_csv_records(rows):
    """The summary's rows for CSV: `values` ([{currency, amount}]) spread into one column
    per currency present in the answer (`value_EUR`, `value_USD`, in that order), each a
    plain number a spreadsheet can sum, empty where a group has no value in it. Every row
    holds every column, so the header is the same whichever group comes first."""
    currencies = sorted({value["currency"] for row in rows for value in row["values"]})
    records = []
    for row in rows:
        amounts = {value["currency"]: value["amount"] for value in row["values"]}
        record = {key: value for key, value in row.items() if key != "values"}
        record.update((f"value_{currency}", amounts.get(currency)) for currency in currencies)
        records.append(record)
    return records


# --- The database-written CSV, generated from a list's value shape ---------------------------------------


def _cell_sql(field, values):
    """PostgreSQL text for one CSV cell, as _cell and csv_safe write it in Python; None
    when this field's cell cannot be written in SQL (then the Python path writes the CSV)."""
    if field is None:  # computed in Python
        return None
    if isinstance(field, PartialDateField):
        return format_partial_date_sql(*values)
    (value,) = values
    if isinstance(field, YearListField):
        return f"NULLIF(array_to_string({value}, '; '), '')"
    if isinstance(field, serializers.BooleanField):
        return f"CASE WHEN {value} THEN 'true' WHEN NOT {value} THEN 'false' END"
    if isinstance(field, serializers.DateField) and not isinstance(field, serializers.DateTimeField):
        return f"{value}::text"  # ISO, as the serializer writes a date
    if isinstance(field, (serializers.IntegerField, serializers.DecimalField, serializers.PrimaryKeyRelatedField)):
        # PostgreSQL's numeric text keeps the column's scale, as the serializer quantizes it.
        return f"{value}::text"
    if isinstance(field, (serializers.CharField, serializers.ChoiceField)):
        # An empty string as the csv module writes it: nothing, not "".
        return csv_safe_sql(f"NULLIF({value}::text, '')")
    return None


def copy_select(*, shape, queryset):
    """(sql, params) of one SELECT whose rows are the CSV rows of `shape` over `queryset`,
    cell for cell what the Python path writes, for COPY ... TO STDOUT (PostgreSQL); None
    when a column cannot be written in SQL."""
    aliases = [f"v{index}" for index in range(len(shape.paths))]
    cells = [_cell_sql(field, [f"r.{aliases[i]}" for i in positions]) for positions, field in shape.leaves]
    if None in cells:
        return None
    inner = queryset.prefetch_related(None).annotate(
        **{alias: F(path) for alias, path in zip(aliases, shape.paths, strict=True)}
    )
    compiled = queryset_sql(inner.values_list(*aliases))
    if compiled is None:
        return None  # a filter that matches nothing: the Python path writes the header
    sql, params = compiled
    return f"SELECT {', '.join(cells)} FROM ({sql}) AS r", params  # noqa: S608
