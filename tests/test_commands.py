import json
import re

import pytest
from django.core.management import CommandError, call_command

from transfers.models import Actor, Contract


@pytest.mark.django_db
def test_load_countries_loads_every_iso_state_and_is_idempotent():
    call_command("load_countries", verbosity=0)
    first = Actor.objects.filter(kind="state").count()
    history = Actor.history.count()
    assert first == 249
    assert Actor.objects.get(code="IRN").name == "Iran"
    assert "Iran, Islamic Republic of" in Actor.objects.get(code="IRN").aliases
    call_command("load_countries", verbosity=0)
    assert Actor.objects.filter(kind="state").count() == first
    assert Actor.history.count() == history


@pytest.mark.django_db
def test_load_countries_keeps_an_edited_name():
    call_command("load_countries", verbosity=0)
    Actor.objects.filter(code="GBR").update(name="Britain")
    call_command("load_countries", verbosity=0)
    assert Actor.objects.get(code="GBR").name == "Britain"


def write_fixture(tmp_path, records):
    path = tmp_path / "fixture.json"
    path.write_text(json.dumps(records))
    return str(path)


@pytest.mark.django_db
def test_fixture_breaking_a_rule_names_the_record_and_changes_nothing(seed, tmp_path):
    before = Contract.objects.count()
    path = write_fixture(
        tmp_path,
        [
            {"model": "transfers.contract", "fields": {"reference": "good", "supplier": ["RUS"], "recipient": ["IRN"]}},
            {"model": "transfers.contract", "fields": {"reference": "bad", "supplier": ["RUS"], "recipient": ["RUS"]}},
        ],
    )
    with pytest.raises(CommandError, match=r"Contract 'bad'.*supplier and the recipient must be different"):
        call_command("loaddata", path, verbosity=0)
    assert Contract.objects.count() == before


@pytest.mark.django_db
def test_fixture_with_unknown_natural_key_names_it_and_changes_nothing(seed, tmp_path):
    before = Contract.objects.count()
    path = write_fixture(
        tmp_path,
        [{"model": "transfers.contract", "fields": {"reference": "x", "supplier": ["XXX"], "recipient": ["IRN"]}}],
    )
    with pytest.raises(CommandError, match=r"Contract 'x'.*supplier refers to an unknown actor \['XXX'\]"):
        call_command("loaddata", path, verbosity=0)
    assert Contract.objects.count() == before


@pytest.mark.django_db
def test_ensure_admin_uses_the_environment_password(monkeypatch, client):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-test-password")
    call_command("ensure_admin", verbosity=0)
    call_command("ensure_admin", verbosity=0)
    assert client.login(username="admin", password="a-long-test-password")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "username,password,words",
    [
        ("", None, "Username '': This field cannot be blank."),
        ("u" * 300, None, "at most 150 characters"),
        ("a\x01b", None, "Enter a valid username"),
        ("admin", "x", "DJANGO_SUPERUSER_PASSWORD: This password is too short"),
        ("admin", "12345678901", "entirely numeric"),
    ],
)
def test_ensure_admin_holds_the_name_and_password_to_the_admins_rules(monkeypatch, username, password, words):
    from django.contrib.auth import get_user_model

    if password is None:
        monkeypatch.delenv("DJANGO_SUPERUSER_PASSWORD", raising=False)
    else:
        monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", password)
    with pytest.raises(CommandError, match=re.escape(words)):
        call_command("ensure_admin", username=username, verbosity=0)
    assert not get_user_model().objects.exists()


@pytest.mark.django_db
def test_refresh_totals_names_an_unknown_database():
    with pytest.raises(CommandError, match="No database 'nosuch' in the settings"):
        call_command("refresh_totals", database="nosuch")


def _actor(code, **fields):
    return {"model": "transfers.actor", "fields": {"code": code, "name": code.title(), "kind": "company", **fields}}


HOSTILE_FIXTURES = {
    "not a number": [{"model": "transfers.transfer", "fields": {"quantity_ordered": "lots"}}],
    "year 0": [{"model": "transfers.source", "fields": {"title": "t", "published_date": "0000-01-01"}}],
    "month 13": [{"model": "transfers.source", "fields": {"title": "t", "published_date": "2007-13-45"}}],
    "missing parent": [_actor("adv-x", parent=["no-such-actor"])],
    "cycle": [_actor("adv-a", parent=["adv-b"]), _actor("adv-b", parent=["adv-a"])],
    "own parent": [_actor("adv-c", parent=["adv-c"])],
    "nul": [_actor("adv-n", name="bad\u0000name")],
    "aliases a string": [_actor("adv-al", aliases="notalist")],
    "aliases an object": [_actor("adv-ao", aliases={"a": 1})],
    "fields null": [{"model": "transfers.actor", "fields": None}],
    "unknown model": [{"model": "transfers.nothing", "fields": {}}],
    "unknown field": [_actor("adv-u", colour="red")],
    "string pk": [{"model": "transfers.actor", "pk": "abc", "fields": {"code": "adv-s", "name": "S"}}],
    "object, not a list": {"model": "transfers.actor"},
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", [*HOSTILE_FIXTURES, "utf-16", "empty", "truncated"])
def test_a_hostile_fixture_is_a_message_not_a_traceback_and_loads_nothing(seed, tmp_path, name):
    path = tmp_path / "fixture.json"
    if name == "utf-16":
        path.write_bytes(json.dumps([_actor("adv-w")]).encode("utf-16"))
    elif name == "empty":
        path.write_text("")
    elif name == "truncated":
        path.write_text(json.dumps([_actor("adv-t")])[:30])
    else:
        path.write_text(json.dumps(HOSTILE_FIXTURES[name]))
    before = (Actor.objects.count(), Actor.history.count(), Contract.objects.count())
    with pytest.raises(CommandError, match="Could not load"):
        call_command("loaddata", str(path), verbosity=0)
    assert (Actor.objects.count(), Actor.history.count(), Contract.objects.count()) == before
