"""API error handling: every error is a JSON body, never an HTML 500 page."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, IntegrityError):
        # A constraint the serializer could not foresee (e.g. a race): a 400, not a 500.
        return Response(
            {"non_field_errors": [f"Database constraint violated: {exc}"]}, status=status.HTTP_400_BAD_REQUEST
        )
    return drf_exception_handler(exc, context)


def api_not_found(request, exception=None):
    """A JSON 404 under /api/ (an HTML page elsewhere)."""
    from django.http import JsonResponse
    from django.views.defaults import page_not_found

    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)


def api_server_error(request):
    from django.http import JsonResponse
    from django.views.defaults import server_error

    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Server error."}, status=500)
    return server_error(request)
