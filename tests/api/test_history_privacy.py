"""Who edited a record is not public: anonymous readers see that a change happened, when
and through which channel; signed-in users who may view the record see who."""

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from transfers.models import Contract

from ..forms import form_data


@pytest.fixture
def edited(seed, editor_api):
    contract = Contract.objects.get(reference="rus-irn-2005-tor-m1")
    url = f"/api/contracts/{contract.pk}/"
    assert editor_api.patch(url, {"notes": "edited over the API"}, format="json").status_code == 200
    return f"{url}history/"


def test_anonymous_readers_see_when_and_how_but_not_who(edited):
    history = APIClient().get(edited).json()
    assert [entry["channel"] for entry in history] == ["api", "fixture"]
    assert all(entry["user"] is None for entry in history)
    assert "api-editor" not in str(history)


def test_users_allowed_to_view_the_record_see_who(edited, editor_api, reader_api):
    history = editor_api.get(edited).json()
    assert history[0]["user"] == "api-editor" and history[0]["channel"] == "api"
    # Signed in but without the view permission: as anonymous.
    assert reader_api.get(edited).json()[0]["user"] is None


def test_imports_and_admin_edits_name_their_channel(seed, admin_client):
    sample = Path(__file__).resolve().parent.parent / "data" / "sipri-legacy-sample.csv"
    with pytest.raises(CommandError):  # the sample has bad rows on purpose; the rest is imported
        call_command("import_sipri", str(sample), stdout=io.StringIO(), stderr=io.StringIO())
    imported = Contract.objects.exclude(reference="rus-irn-2005-tor-m1").filter(claims__source__kind="register")[0]
    assert APIClient().get(f"/api/contracts/{imported.pk}/history/").json()[-1]["channel"] == "import"

    contract = Contract.objects.get(reference="rus-irn-2005-tor-m1")
    url = f"/admin/transfers/contract/{contract.pk}/change/"
    form = form_data(admin_client.get(url).content.decode(), "contract_form")
    assert admin_client.post(url, {**form, "notes": "edited in the admin"}).status_code == 302
    history = APIClient().get(f"/api/contracts/{contract.pk}/history/").json()
    assert history[0]["channel"] == "admin" and history[0]["user"] is None
