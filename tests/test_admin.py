"""The admin, used as an editor would: pages load, forms save, rules show as form errors."""

import pytest
from django.urls import reverse

from transfers.models import Actor, Claim, Contract, Delivery, Person, Source, Transfer, WeaponSystem

from .forms import form_data

MODELS = [Actor, Person, WeaponSystem, Contract, Transfer, Delivery, Source, Claim]


def admin_url(model, view, *args):
    return reverse(f"admin:transfers_{model._meta.model_name}_{view}", args=args)


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_admin_page_loads_for_staff(admin_client, seed, model):
    obj = model.objects.order_by("pk").first()
    for url in [
        admin_url(model, "changelist"),
        admin_url(model, "add"),
        admin_url(model, "change", obj.pk),
        admin_url(model, "history", obj.pk),
        admin_url(model, "changelist") + "?q=tor",
    ]:
        response = admin_client.get(url)
        assert response.status_code == 200, url


@pytest.mark.django_db
def test_contract_list_filters(admin_client, seed):
    url = admin_url(Contract, "changelist")
    response = admin_client.get(url, {"status": "reported"})
    assert b"rus-irn-s-300-talks" in response.content
    assert b"rus-irn-2005-tor-m1" not in response.content
    response = admin_client.get(url, {"order_year": "2005"})
    assert b"rus-irn-2005-tor-m1" in response.content and b"rus-irn-s-300-talks" not in response.content
    response = admin_client.get(url, {"category": "air-defence"})
    assert b"rus-irn-bushehr-npp" not in response.content
    transfers = admin_client.get(admin_url(Transfer, "changelist"), {"order_year": "2005"})
    assert b"Tor-M1" in transfers.content and b"S-300" not in transfers.content
    assert b"?order_year=2005" in admin_client.get(admin_url(Transfer, "changelist")).content
    rus = Actor.objects.get(code="RUS")
    response = admin_client.get(url, {"supplier__id__exact": rus.pk})
    assert response.status_code == 200 and b"rus-irn-2005-tor-m1" in response.content


@pytest.mark.django_db
def test_anonymous_is_redirected_to_login(client, seed):
    for model in MODELS:
        response = client.get(admin_url(model, "changelist"))
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_non_staff_user_cannot_use_the_admin(client, django_user_model):
    user = django_user_model.objects.create_user("reader", password="pw-reader-123")
    client.force_login(user)
    response = client.get(admin_url(Contract, "changelist"))
    assert response.status_code == 302


def contract_form(admin_client, **values):
    page = admin_client.get(admin_url(Contract, "add"))
    data = form_data(page.content.decode(), "contract_form")
    data.update(values)
    return data


@pytest.mark.django_db
def test_add_contract_with_inline_transfer_and_delivery(admin_client, seed, admin_user):
    usa, isr = Actor.objects.get(code="USA"), Actor.objects.get(code="ISR")
    system = WeaponSystem.objects.get(slug="s-300")
    data = contract_form(
        admin_client,
        reference="usa-isr-2010-test",
        supplier=str(usa.pk),
        recipient=str(isr.pk),
        status="signed",
        order_date="2010-03-01",
        order_date_precision="month",
        value_amount="1000000",
        value_currency="usd",
        **{
            "transfers-0-system": str(system.pk),
            "transfers-0-quantity_ordered": "12",
            "transfers-0-condition": "new",
            "transfers-0-new_delivery_date": "2011",
            "transfers-0-new_delivery_quantity": "5",
        },
    )
    response = admin_client.post(admin_url(Contract, "add"), data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    contract = Contract.objects.get(reference="usa-isr-2010-test")
    assert contract.value_currency == "USD"
    transfer = contract.transfers.get()
    assert (transfer.quantity_ordered, transfer.line) == (12, 1)
    delivery = transfer.deliveries.get()
    assert (delivery.quantity, delivery.date.year, delivery.date_precision) == (5, 2011, "year")
    # Shown in the list, with its history and who made it.
    listing = admin_client.get(admin_url(Contract, "changelist"))
    assert b"usa-isr-2010-test" in listing.content
    history = admin_client.get(admin_url(Contract, "history", contract.pk))
    assert history.status_code == 200 and b"editor" in history.content
    entry = contract.history.get()
    assert entry.history_type == "+" and entry.history_user == admin_user
    assert delivery.history.get().history_user == admin_user
    # The transfer page shows the computed figures.
    page = admin_client.get(admin_url(Transfer, "change", transfer.pk))
    assert b"delivered" in page.content.lower()


@pytest.mark.django_db
def test_supplier_equal_to_recipient_is_a_form_error(admin_client, seed):
    rus = Actor.objects.get(code="RUS")
    data = contract_form(admin_client, reference="bad", supplier=str(rus.pk), recipient=str(rus.pk), status="signed")
    response = admin_client.post(admin_url(Contract, "add"), data)
    assert response.status_code == 200
    assert b"The supplier and the recipient must be different actors." in response.content
    assert not Contract.objects.filter(reference="bad").exists()


@pytest.mark.django_db
def test_delivery_above_ordered_is_a_form_error(admin_client, seed):
    rus, irn = Actor.objects.get(code="RUS"), Actor.objects.get(code="IRN")
    system = WeaponSystem.objects.get(slug="tor-m1")
    data = contract_form(
        admin_client,
        reference="too-many",
        supplier=str(rus.pk),
        recipient=str(irn.pk),
        status="signed",
        **{
            "transfers-0-system": str(system.pk),
            "transfers-0-quantity_ordered": "3",
            "transfers-0-condition": "new",
            "transfers-0-new_delivery_date": "2011",
            "transfers-0-new_delivery_quantity": "5",
        },
    )
    response = admin_client.post(admin_url(Contract, "add"), data)
    assert response.status_code == 200
    assert b"Delivered total 5 would exceed the 3 ordered." in response.content
    assert not Contract.objects.filter(reference="too-many").exists()

    # And on the transfer page, through the delivery inline.
    transfer = Transfer.objects.get(contract__reference="rus-irn-2005-tor-m1")
    page = admin_client.get(admin_url(Transfer, "change", transfer.pk))
    data = form_data(page.content.decode(), "transfer_form")
    data.update(
        {"deliveries-1-date": "2007-06-01", "deliveries-1-date_precision": "month", "deliveries-1-quantity": "30"}
    )
    data["deliveries-TOTAL_FORMS"] = "2"
    response = admin_client.post(admin_url(Transfer, "change", transfer.pk), data)
    assert response.status_code == 200
    assert b"exceed the 29 ordered" in response.content
    assert transfer.deliveries.count() == 1


@pytest.mark.django_db
def test_csv_export_action(admin_client, seed):
    ids = [str(pk) for pk in Contract.objects.values_list("pk", flat=True)]
    response = admin_client.post(
        admin_url(Contract, "changelist"), {"action": "export_as_csv", "_selected_action": ids}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("id,reference,kind,supplier,recipient")
    assert len(lines) == 1 + len(ids)
    assert any("rus-irn-2005-tor-m1" in line and "RUS" in line and "700000000" in line for line in lines)
