"""Line numbers assigned by the database: a deal's transfers, a transfer's deliveries.

Found by an adversarial pass: a line numbered 32767 by hand made the next one 32768, past the
column (PostgreSQL refused the insert; SQLite stored it and every later edit of the record was
refused), and a PUT without a line, or `line: null`, renumbered a stored line.
"""

import pytest

from transfers.models import Delivery, Transfer

pytestmark = pytest.mark.django_db

DEAL = "rus-irn-2005-tor-m1"


def tor_m1_line():
    return Transfer.objects.get(contract__reference=DEAL, line=1)


def test_a_line_given_none_keeps_its_number(seed, editor_api):
    transfer = tor_m1_line()
    body = editor_api.get(f"/api/transfers/{transfer.pk}/").json()
    put = {
        "contract": DEAL,
        "system": body["system"]["slug"],
        "quantity_ordered": body["quantity_ordered"],
        "comments": "put without a line",
    }
    response = editor_api.put(f"/api/transfers/{transfer.pk}/", put, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["line"] == 1
    response = editor_api.patch(f"/api/transfers/{transfer.pk}/", {"line": None}, format="json")
    assert (response.status_code, response.json()["line"]) == (200, 1), response.content

    delivery = Delivery.objects.filter(transfer=transfer).order_by("line").last()
    response = editor_api.patch(f"/api/deliveries/{delivery.pk}/", {"line": None}, format="json")
    assert (response.status_code, response.json()["line"]) == (200, delivery.line), response.content


def test_past_the_highest_number_a_new_line_takes_the_first_free_one(seed, editor_api):
    transfer = tor_m1_line()
    response = editor_api.patch(f"/api/transfers/{transfer.pk}/", {"line": 32767}, format="json")
    assert response.status_code == 200, response.content

    response = editor_api.post("/api/transfers/", {"contract": DEAL, "system": "tor-m1"}, format="json")
    assert (response.status_code, response.json()["line"]) == (201, 1), response.content
    # Both stay editable.
    for pk in (transfer.pk, response.json()["id"]):
        response = editor_api.patch(f"/api/transfers/{pk}/", {"comments": "still editable"}, format="json")
        assert response.status_code == 200, response.content


def test_no_free_number_left_is_a_400_that_saves_nothing(seed, editor_api, monkeypatch):
    # The limit lowered to the lines the deal holds: 32,767 of them would take the test a minute.
    monkeypatch.setattr("transfers.models.base.LINE_MAX", 1)
    before = Transfer.objects.count()
    response = editor_api.post("/api/transfers/", {"contract": DEAL, "system": "tor-m1"}, format="json")
    assert response.status_code == 400, response.content
    assert response.json() == {"line": ["Every line number up to 1 is taken here."]}
    assert Transfer.objects.count() == before
