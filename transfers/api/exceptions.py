"""API error handling: every error is a JSON body, never an HTML 500 page."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, OperationalError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, (IntegrityError, DataError)):
        # A rule or limit the serializer could not foresee (e.g. a race): the database
        # refused the client's data, so a 400, not a 500.
        set_rollback()
        return Response(database_refusal(exc), status=status.HTTP_400_BAD_REQUEST)
    elif isinstance(exc, OperationalError) and "database is locked" in str(exc):
        # SQLite, another write held the database past the wait (tracker.settings.SQLITE_OPTIONS):
        # nothing was saved, and the same request can be sent again.
        set_rollback()
        response = Response(
            {"detail": "The database is busy with another write; nothing was saved. Try again."},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
        response["Retry-After"] = "5"
        return response
    elif isinstance(exc, ValueError) and "NUL (0x00)" in str(exc):
        set_rollback()
        return Response({"detail": "NUL characters are not allowed."}, status=status.HTTP_400_BAD_REQUEST)
    response = drf_exception_handler(exc, context)
    etag = getattr(exc, "etag", None)
    if response is not None and etag:
        # A stale If-Match: the current version, to read again or to retry with.
        response.data["etag"] = etag
        response["ETag"] = etag
    return response


def _database_rules():
    """{constraint or trigger name: (field, message)} for every named rule the database enforces."""
    from django.apps import apps

    from ..models import DATABASE_TRIGGERS

    rules = dict(DATABASE_TRIGGERS)
    for model in apps.get_app_config("transfers").get_models():
        for constraint in model._meta.constraints:
            fields = getattr(constraint, "fields", ()) or ()
            field = fields[-1] if fields else "non_field_errors"
            rules[constraint.name] = (field, str(constraint.violation_error_message))
    return rules


# A unique column's refusal: PostgreSQL's detail names the column (its table is in the
# error's diagnostics), SQLite's message the table and column.
_PG_UNIQUE_KEY = re.compile(r"Key \((?:lower\()?\"?(\w+)\"?\)?\)=")
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (\w+)\.(\w+)$")


def _unique_field_refusal(exc):
    """{field: [its unique message]} when `exc` is a unique column's refusal (the loser of
    two requests creating one key at once), as the serializer says it to a later request."""
    from django.apps import apps

    cause = exc.__cause__
    table = column = None
    diag = getattr(cause, "diag", None)
    if diag is not None and getattr(cause, "pgcode", None) == "23505":
        found = _PG_UNIQUE_KEY.search(diag.message_detail or "")
        table, column = diag.table_name, found and found.group(1)
    else:
        found = _SQLITE_UNIQUE.search(str(exc))
        if found:
            table, column = found.groups()
    if not (table and column):
        return None
    for model in apps.get_models():
        if model._meta.db_table != table:
            continue
        for field in model._meta.concrete_fields:
            if field.column == column and field.unique:
                return {field.name: [unique_message(model, field)]}
    return None


def unique_message(model, field):
    """A unique field's refusal as DRF's UniqueValidator words it (rest_framework.utils.
    field_mapping), whichever check caught it: the validator, the model's validate_unique
    (a key taken between the two) or the database (a key taken before the insert)."""
    return field.error_messages["unique"] % {"model_name": model._meta.verbose_name, "field_label": field.verbose_name}


def database_refusal(exc):
    """A 400 body for a write the database refused: the rule's field and message when the
    error names one of our rules or a unique column, else the database's first line."""
    text = str(exc)
    for name, (field, message) in _database_rules().items():
        if name in text:
            detail = text.split(f"{name}: ", 1)[1].splitlines()[0] if f"{name}: " in text else message
            return {field: [detail[:1].upper() + detail[1:]]}
    unique = _unique_field_refusal(exc)
    if unique is not None:
        return unique
    first_line = text.splitlines()[0] if text else type(exc).__name__
    return {"non_field_errors": [f"The database refused the data: {first_line}"]}


def _under_api(request):
    return request.path.startswith("/api/")


def api_bad_request(request, exception=None):
    """Under /api/, a JSON 400 with the reason; a body over the size limit is a 413."""
    from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
    from django.http import JsonResponse
    from django.views.defaults import bad_request

    if not _under_api(request):
        return bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return JsonResponse({"detail": f"The request body is larger than the limit of {limit:,} bytes."}, status=413)
    if isinstance(exception, TooManyFieldsSent):
        return JsonResponse({"detail": "Too many fields in the request."}, status=400)
    return JsonResponse({"detail": "Bad request."}, status=400)


def api_permission_denied(request, exception=None):
    from django.http import JsonResponse
    from django.views.defaults import permission_denied

    if _under_api(request):
        return JsonResponse({"detail": "You do not have permission to perform this action."}, status=403)
    return permission_denied(request, exception)


def csrf_failure(request, reason=""):
    from django.http import JsonResponse
    from django.views.csrf import csrf_failure as django_csrf_failure

    if _under_api(request):
        return JsonResponse({"detail": f"CSRF check failed: {reason}"}, status=403)
    return django_csrf_failure(request, reason)


def api_not_found(request, exception=None):
    """A JSON 404 under /api/ (an HTML page elsewhere)."""
    from django.http import JsonResponse
    from django.views.defaults import page_not_found

    if _under_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)


def api_server_error(request):
    from django.http import JsonResponse
    from django.views.defaults import server_error

    if _under_api(request):
        return JsonResponse({"detail": "Server error."}, status=500)
    return server_error(request)
