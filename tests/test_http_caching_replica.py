"""HTTP caching against a real hot standby: a GET read from the standby answers with the
standby's own data version, never a newer one than the data it serves, so a standby that
lags keeps the old ETag valid only while it serves the old data, and the write's ETag
arrives with the write. Runs where tests/test_replica.py runs (its standby and fixtures)."""

from rest_framework.test import APIClient

from transfers.models import Contract

from .test_replica import (  # noqa: F401 (fixtures)
    on_the_standby,
    pytestmark,
    replay_paused,
    running_standby,
    seeded,
    standby_present,
    wait_for_receipt,
    wait_for_replay,
)


def test_a_lagging_standby_answers_with_its_own_version_not_the_primarys(seeded, on_the_standby):  # noqa: F811
    anonymous = APIClient()
    url = f"/api/contracts/{seeded.pk}/"
    first = anonymous.get(url)
    assert first.status_code == 200
    with replay_paused():
        Contract.objects.filter(pk=seeded.pk).update(title="Changed on the primary")
        wait_for_receipt()
        # The standby has neither the write nor the version it bumped: the ETag it gives is
        # the old one, with the old data (a newer ETag with old data would be kept for good).
        assert anonymous.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
        behind = anonymous.get(url)
        assert behind["ETag"] == first["ETag"]
        assert behind.json()["title"] != "Changed on the primary"
    wait_for_replay()
    # Replayed: the data and its version together.
    caught_up = anonymous.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert caught_up.status_code == 200
    assert caught_up.json()["title"] == "Changed on the primary"
    assert caught_up["ETag"] != first["ETag"]
