"""Offline search finds the same people as the server's search.

The field app ranks the field pack with `NameKeys` (JavaScript), which the golden vectors hold
equal to `namebridge.offline_name_similarity` (Python). So this test ranks a pack with the
Python one and compares its first answer with the server's `person_name_search`, for queries
typed in another script than the one the person registered in."""

import pytest

from crisisdesk.border.selectors import field_pack
from crisisdesk.common.origin import SYSTEM
from crisisdesk.registry.search import person_name_search
from crisisdesk.registry.tests.factories import person_registered
from namebridge import normalize_name, offline_name_similarity

pytestmark = pytest.mark.django_db

REGISTERED_AND_TYPED = (
    (("Олена", "Коваленко"), "Olena Kovalenko"),
    (("Богдан", "Шевчук"), "Bohdan Shevchuk"),
    (("Ірина", "Бондаренко"), "Iryna Bondarenko"),
    (("Дмитро", "Ткаченко"), "Dmytro Tkachenko"),
    (("Юрій", "Олійник"), "Yurii Oliinyk"),
    (("Наталія", "Мельник"), "Nataliia Melnyk"),
    (("Андрій", "Поліщук"), "Andrii Polishchuk"),
    (("Василь", "Лисенко"), "Vasyl Lysenko"),
    (("Володимир", "Зеленський"), "Volodymyr Zelenskyy"),
    (("דוד", "לוינסון"), "David Levinson"),
    (("מרים", "רבינוביץ"), "Miriam Rabinovich"),
    (("יעקב", "גולדברג"), "Yaakov Goldberg"),
    (("רחל", "פרידמן"), "Rachel Friedman"),
    (("Sarah", "Kaplan"), "שרה קפלן"),
    (("Moshe", "Shapira"), "משה שפירא"),
    (("Anna", "Vyshnevska"), "Анна Вишневська"),
    (("Oleksandr", "Marchenko"), "Олександр Марченко"),
)


def _offline_best(pack: dict, query: str) -> int:
    fields = pack["fields"]
    query_tokens = normalize_name(query).split()
    best_score, best_id = -1.0, None
    for row in pack["persons"]:
        record = dict(zip(fields, row, strict=True))
        names = [(record["given"], record["family"]), *record["spellings"]]
        score = max(
            offline_name_similarity(query_tokens, normalize_name(f"{given} {family}").split())
            for given, family in names
        )
        if score > best_score:
            best_score, best_id = score, record["id"]
    return best_id


def test_offline_search_finds_the_same_person_as_the_server(users):
    persons = {
        typed: person_registered(given_name=given, family_name=family, other_names=())
        for (given, family), typed in REGISTERED_AND_TYPED
    }
    pack = field_pack(actor=users["border_officer"], origin=SYSTEM)

    for typed, person in persons.items():
        server = person_name_search(query=typed, limit=1)
        assert [match.person_id for match in server] == [person.pk], typed
        assert _offline_best(pack, typed) == person.pk, typed
