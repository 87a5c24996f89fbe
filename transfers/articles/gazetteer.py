"""What the engine recognises, drawn from the database (or, for the evaluation, from
fixture files in the same shape): actors by name, alias, demonym and capital; people
by name, surname and title; systems by designation and other names; deals by parties,
systems and the distinctive words of their titles.

Plain data keyed by natural keys (codes, slugs, references), so the engine needs no
database and its drafts can be compared with annotations.
"""

import json
from dataclasses import dataclass, field

import pycountry

# Demonyms and capitals of the states news reports name most often: they refer to the state.
STATE_WORDS = {
    "RUS": ["Russian", "Russians", "Moscow", "Kremlin", "Russia's"],
    "IRN": ["Iranian", "Iranians", "Tehran"],
    "USA": ["American", "Americans", "U.S.", "US", "Washington", "United States"],
    "ISR": ["Israeli", "Israelis", "Jerusalem"],
    "CHN": ["Chinese", "Beijing"],
    "IND": ["Indian", "New Delhi"],
    "PAK": ["Pakistani", "Islamabad"],
    "FRA": ["French", "Paris"],
    "DEU": ["German", "Berlin"],
    "GBR": ["British", "London", "Britain", "UK", "U.K."],
    "UKR": ["Ukrainian", "Ukrainians", "Kyiv", "Kiev"],
    "TUR": ["Turkish", "Ankara", "Turkey"],
    "SAU": ["Saudi", "Riyadh", "Saudi Arabia"],
    "EGY": ["Egyptian", "Cairo"],
    "SYR": ["Syrian", "Damascus", "Syria"],
    "VEN": ["Venezuelan", "Caracas", "Venezuela"],
    "KOR": ["South Korean", "Seoul", "South Korea"],
    "PRK": ["North Korean", "Pyongyang", "North Korea"],
    "JPN": ["Japanese", "Tokyo"],
    "POL": ["Polish", "Warsaw"],
    "ARE": ["Emirati", "Abu Dhabi", "UAE", "United Arab Emirates"],
    "QAT": ["Qatari", "Doha"],
    "IRQ": ["Iraqi", "Baghdad"],
    "DZA": ["Algerian", "Algiers"],
    "IDN": ["Indonesian", "Jakarta"],
    "VNM": ["Vietnamese", "Hanoi", "Vietnam"],
    "BRA": ["Brazilian", "Brasilia"],
    "ITA": ["Italian", "Rome"],
    "ESP": ["Spanish", "Madrid"],
    "SWE": ["Swedish", "Stockholm"],
    "GRC": ["Greek", "Athens"],
    "TWN": ["Taiwanese", "Taipei", "Taiwan"],
    "BLR": ["Belarusian", "Minsk"],
    "MAR": ["Moroccan", "Rabat"],
    "NGA": ["Nigerian", "Abuja"],
    "MYS": ["Malaysian", "Kuala Lumpur"],
    "SGP": ["Singaporean"],
    "AUS": ["Australian", "Canberra"],
    "CAN": ["Canadian", "Ottawa"],
    "NOR": ["Norwegian", "Oslo"],
    "KAZ": ["Kazakh", "Astana"],
    "ARM": ["Armenian", "Yerevan"],
    "AZE": ["Azerbaijani", "Baku"],
    "SRB": ["Serbian", "Belgrade"],
    "HUN": ["Hungarian", "Budapest"],
    "MMR": ["Myanmar's", "Naypyitaw", "Myanmar"],
    # Further states, as the wires name them (a capital that is a common word or shared,
    # e.g. Malé, Sofia, Victoria, Brussels, is left out).
    "NLD": ["Dutch", "The Hague", "Amsterdam"],
    "PRT": ["Portuguese", "Lisbon"],
    "AUT": ["Austrian", "Vienna"],
    "BEL": ["Belgian"],
    "CHE": ["Swiss", "Bern"],
    "DNK": ["Danish", "Copenhagen"],
    "FIN": ["Finnish", "Helsinki"],
    "IRL": ["Irish", "Dublin"],
    "CZE": ["Czech", "Prague", "Czech Republic"],
    "SVK": ["Slovak", "Bratislava"],
    "ROU": ["Romanian", "Bucharest"],
    "BGR": ["Bulgarian"],
    "HRV": ["Croatian", "Zagreb"],
    "SVN": ["Slovenian", "Ljubljana"],
    "EST": ["Estonian", "Tallinn"],
    "LVA": ["Latvian", "Riga"],
    "LTU": ["Lithuanian", "Vilnius"],
    "MDA": ["Moldovan", "Chisinau"],
    "MKD": ["North Macedonian", "Skopje"],
    "ALB": ["Albanian", "Tirana"],
    "BIH": ["Bosnian", "Sarajevo"],
    "MNE": ["Montenegrin", "Podgorica"],
    "CYP": ["Cypriot", "Nicosia"],
    "GEO": ["Georgian", "Tbilisi"],
    "UZB": ["Uzbek", "Tashkent"],
    "TKM": ["Turkmen", "Ashgabat"],
    "KGZ": ["Kyrgyz", "Bishkek"],
    "TJK": ["Tajik", "Dushanbe"],
    "MNG": ["Mongolian", "Ulaanbaatar"],
    "AFG": ["Afghan", "Kabul"],
    "BGD": ["Bangladeshi", "Dhaka"],
    "LKA": ["Sri Lankan", "Colombo"],
    "NPL": ["Nepalese", "Nepali", "Kathmandu"],
    "THA": ["Thai", "Bangkok"],
    "PHL": ["Philippine", "Filipino", "Manila"],
    "KHM": ["Cambodian", "Phnom Penh"],
    "LAO": ["Laotian", "Vientiane"],
    "BRN": ["Bruneian", "Brunei"],
    "NZL": ["Wellington"],
    "JOR": ["Jordanian", "Amman"],
    "LBN": ["Lebanese", "Beirut"],
    "KWT": ["Kuwaiti", "Kuwait City"],
    "BHR": ["Bahraini", "Manama"],
    "OMN": ["Omani", "Muscat"],
    "YEM": ["Yemeni", "Sanaa"],
    "LBY": ["Libyan", "Tripoli"],
    "TUN": ["Tunisian", "Tunis"],
    "SDN": ["Sudanese", "Khartoum"],
    "SSD": ["South Sudanese", "Juba"],
    "ETH": ["Ethiopian", "Addis Ababa"],
    "ERI": ["Eritrean", "Asmara"],
    "SOM": ["Somali", "Mogadishu"],
    "KEN": ["Kenyan", "Nairobi"],
    "UGA": ["Ugandan", "Kampala"],
    "TZA": ["Tanzanian", "Dodoma"],
    "RWA": ["Rwandan", "Kigali"],
    "COD": ["DR Congo", "DRC", "Democratic Republic of the Congo", "Kinshasa"],
    "AGO": ["Angolan", "Luanda"],
    "ZAF": ["South African", "Pretoria"],
    "ZMB": ["Zambian", "Lusaka"],
    "ZWE": ["Zimbabwean", "Harare"],
    "MOZ": ["Mozambican", "Maputo"],
    "NAM": ["Namibian", "Windhoek"],
    "GHA": ["Ghanaian", "Accra"],
    "SEN": ["Senegalese", "Dakar"],
    "MLI": ["Malian", "Bamako"],
    "BFA": ["Burkinabe", "Ouagadougou"],
    "NER": ["Nigerien", "Niamey"],
    "TCD": ["Chadian", "N'Djamena"],
    "CMR": ["Cameroonian", "Yaounde"],
    "CIV": ["Ivorian", "Ivory Coast", "Abidjan"],
    "MRT": ["Mauritanian", "Nouakchott"],
    "MEX": ["Mexican", "Mexico City"],
    "ARG": ["Argentine", "Argentinian", "Buenos Aires"],
    "CHL": ["Chilean", "Santiago"],
    "COL": ["Colombian", "Bogota"],
    "PER": ["Peruvian", "Lima"],
    "ECU": ["Ecuadorian", "Quito"],
    "BOL": ["Bolivian", "La Paz"],
    "URY": ["Uruguayan", "Montevideo"],
    "PRY": ["Paraguayan", "Asuncion"],
    "CUB": ["Cuban", "Havana"],
    "GTM": ["Guatemalan"],
    "HND": ["Honduran", "Tegucigalpa"],
    "SLV": ["Salvadoran", "San Salvador"],
    "NIC": ["Nicaraguan", "Managua"],
    "PAN": ["Panamanian"],
}


@dataclass
class ActorEntry:
    code: str
    name: str
    kind: str = "state"
    parent: str | None = None
    names: list = field(default_factory=list)


@dataclass
class PersonEntry:
    slug: str
    name: str
    title: str = ""
    affiliation: str | None = None


@dataclass
class SystemEntry:
    slug: str
    designation: str
    names: list = field(default_factory=list)
    origin: str | None = None  # the state it comes from: a deal's supplier when none is named


@dataclass
class ContractEntry:
    reference: str
    supplier: str
    recipient: str
    title: str = ""
    kind: str = "arms"
    # {system slug: line number}
    lines: dict = field(default_factory=dict)
    # A signing in another year is another contract (a follow-on order of the same system).
    order_year: int | None = None


@dataclass
class Gazetteer:
    actors: dict = field(default_factory=dict)
    people: dict = field(default_factory=dict)
    systems: dict = field(default_factory=dict)
    contracts: list = field(default_factory=list)

    def actor_add(self, entry):
        names = [entry.name, *entry.names]
        if entry.kind == "state":
            names += STATE_WORDS.get(entry.code, [])
            country = pycountry.countries.get(alpha_3=entry.code)
            if country is not None:
                names += [getattr(country, "common_name", None) or country.name]
        # `UN Security Council` is written `U.N. Security Council` too.
        names += [name.replace("UN ", "U.N. ").replace("US ", "U.S. ") for name in names if name[:3] in ("UN ", "US ")]
        entry.names = list(dict.fromkeys(name for name in names if name))
        self.actors[entry.code] = entry


def gazetteer_from_database(*, using=None):
    """The gazetteer of everything recorded (the engine's view of the database)."""
    from ..models import Actor, Contract, Person, Transfer, WeaponSystem

    def manager(model):
        return model._default_manager.using(using) if using else model._default_manager

    gazetteer = Gazetteer()
    parents = {}
    for pk, code, name, kind, parent_id, aliases in manager(Actor).values_list(
        "pk", "code", "name", "kind", "parent_id", "aliases"
    ):
        parents[pk] = code
        gazetteer.actor_add(ActorEntry(code=code, name=name, kind=kind, parent=parent_id, names=list(aliases or [])))
    for entry in gazetteer.actors.values():
        entry.parent = parents.get(entry.parent)
    for slug, name, title, affiliation in manager(Person).values_list("slug", "name", "title", "affiliation__code"):
        gazetteer.people[slug] = PersonEntry(slug=slug, name=name, title=title, affiliation=affiliation)
    for slug, designation, other_names, origin in manager(WeaponSystem).values_list(
        "slug", "designation", "other_names", "origin__code"
    ):
        gazetteer.systems[slug] = SystemEntry(slug, designation, list(other_names or []), origin)
    contracts = {}
    for reference, supplier, recipient, title, kind, order_date in manager(Contract).values_list(
        "reference", "supplier__code", "recipient__code", "title", "kind", "order_date"
    ):
        year = order_date.year if order_date else None
        contracts[reference] = ContractEntry(reference, supplier, recipient, title, kind, order_year=year)
    for reference, slug, line in manager(Transfer).values_list("contract__reference", "system__slug", "line"):
        contracts[reference].lines.setdefault(slug, line)
    gazetteer.contracts = list(contracts.values())
    return gazetteer


def gazetteer_from_fixtures(*, paths, countries=True):
    """The gazetteer a database loaded with these fixtures (natural keys) would give, and
    every ISO 3166 state as `load_countries` adds them: what the evaluation reads."""
    gazetteer = Gazetteer()
    objects = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            objects += json.load(handle)
    if countries:
        for country in pycountry.countries:
            name = getattr(country, "common_name", None) or country.name
            gazetteer.actor_add(ActorEntry(code=country.alpha_3, name=name, names=[country.name]))
    contracts = {}
    for obj in objects:
        model, values = obj["model"], obj["fields"]

        def key(name, values=values):
            return (values.get(name) or [None])[0]  # natural keys are lists

        if model == "transfers.actor":
            previous = gazetteer.actors.get(values["code"])
            aliases = list(values.get("aliases") or []) + (previous.names if previous else [])
            gazetteer.actor_add(
                ActorEntry(values["code"], values["name"], values.get("kind", "state"), key("parent"), aliases)
            )
        elif model == "transfers.person":
            gazetteer.people[values["slug"]] = PersonEntry(
                values["slug"], values["name"], values.get("title", ""), key("affiliation")
            )
        elif model == "transfers.weaponsystem":
            gazetteer.systems[values["slug"]] = SystemEntry(
                values["slug"], values["designation"], list(values.get("other_names") or []), key("origin")
            )
        elif model == "transfers.contract":
            contracts[values["reference"]] = ContractEntry(
                values["reference"],
                key("supplier"),
                key("recipient"),
                values.get("title", ""),
                values.get("kind", "arms"),
                order_year=int(values["order_date"][:4]) if values.get("order_date") else None,
            )
        elif model == "transfers.transfer":
            contract, line = values["contract"][0], values.get("line") or 1
            contracts[contract].lines.setdefault(values["system"][0], line)
    gazetteer.contracts = list(contracts.values())
    return gazetteer
