"""Finding people who may already be registered, by name in any script.

Two uses: staff registering a household are warned before they save (`possible_matches`),
and every public registration is checked afterwards in the background, leaving a silent
`PossibleDuplicate` for staff (`possible_duplicates_record`, run by a task).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from crisisdesk.registry.inputs import PersonInput
from crisisdesk.registry.models import Person, PossibleDuplicate, Registration
from crisisdesk.registry.search import PersonMatch, person_name_search

# A name score (0–100) from which two records are worth a human look. Set on the demo
# scenario and the namebench pairs: below it, different people with common names dominate.
DUPLICATE_SCORE_THRESHOLD = 88.0
# Birth years further apart than this mean different people, whatever the name.
BIRTH_YEAR_TOLERANCE = 2
CANDIDATES_PER_PERSON = 5


@dataclass(frozen=True, slots=True)
class DuplicateCandidate:
    person: Person
    match: PersonMatch


def _compatible(birth_year: int | None, sex: str, other: Person) -> bool:
    if birth_year is not None and other.birth_year is not None:
        if abs(birth_year - other.birth_year) > BIRTH_YEAR_TOLERANCE:
            return False
    known = {"F", "M"}
    return not (sex in known and other.sex in known and sex != other.sex)


def _candidates(*, name: str, birth_year: int | None, sex: str, exclude: set[int]) -> list[tuple[PersonMatch, int]]:
    matches = person_name_search(query=name, limit=CANDIDATES_PER_PERSON * 2, birth_year=birth_year, sex=sex or None)
    return [(m, m.person_id) for m in matches if m.score >= DUPLICATE_SCORE_THRESHOLD and m.person_id not in exclude]


def possible_matches(people: Iterable[PersonInput]) -> list[list[DuplicateCandidate]]:
    """For each person about to be registered, the registered persons they may be."""
    people = list(people)
    found: list[list[tuple[PersonMatch, int]]] = [
        _candidates(name=f"{p.given_name} {p.family_name}", birth_year=p.birth_year, sex=p.sex, exclude=set())
        for p in people
    ]
    ids = {person_id for matches in found for _match, person_id in matches}
    persons = Person.objects.in_bulk(ids)
    result = []
    for person_input, matches in zip(people, found, strict=True):
        result.append(
            [
                DuplicateCandidate(persons[person_id], match)
                for match, person_id in matches
                if person_id in persons and _compatible(person_input.birth_year, person_input.sex, persons[person_id])
            ][:CANDIDATES_PER_PERSON]
        )
    return result


def possible_duplicates_record(*, registration: Registration) -> list[PossibleDuplicate]:
    """Check each person of a new registration against everyone registered before, and
    keep what looks like the same person. Idempotent: a pair is stored once.

    The searches run before the write: on SQLite a transaction holds the one write lock
    from its start, and the public form must not wait behind a name search."""
    persons = list(Person.objects.filter(registration=registration))
    own = {person.pk for person in persons}
    records = []
    for person in persons:
        for match, candidate_id in _candidates(
            name=person.full_name, birth_year=person.birth_year, sex=person.sex, exclude=own
        ):
            records.append(
                PossibleDuplicate(
                    person=person, candidate_id=candidate_id, score=match.score, explanation=match.explanation
                )
            )
    candidates = Person.objects.in_bulk({record.candidate_id for record in records})
    kept = [
        record
        for record in records
        if record.candidate_id in candidates
        and _compatible(record.person.birth_year, record.person.sex, candidates[record.candidate_id])
    ]
    if not kept:
        return []
    with transaction.atomic():
        return PossibleDuplicate.objects.bulk_create(kept, ignore_conflicts=True)
