"""What each kind of field-device event carries, validated when it arrives.

A device names a person by registry id (`person_id`), or, for someone it registered itself
while offline, by the UUID of that quick registration (`person_event`), because it cannot
know the id the server will give them."""

from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crisisdesk.border.models import DeskNeed, Direction
from crisisdesk.registry.schemas import PersonCreateIn

PointCode = Annotated[str, Field(min_length=1, max_length=50)]


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _NamesPerson(_Payload):
    person_id: int | None = None
    person_event: UUID | None = None

    @model_validator(mode="after")
    def _one_person(self):
        if (self.person_id is None) == (self.person_event is None):
            raise ValueError("name the person by person_id or by person_event, not both")
        return self


class CheckInPayload(_NamesPerson):
    point: PointCode
    direction: Direction = Direction.OUT


class HouseholdCheckInPayload(_Payload):
    household_id: int
    # The members who crossed; all of the household's members when left out.
    person_ids: list[int] | None = Field(None, max_length=30)
    point: PointCode
    direction: Direction = Direction.OUT


class TallyPayload(_Payload):
    point: PointCode
    direction: Direction = Direction.OUT
    nationals: int = Field(ge=0, le=10_000)
    children: int = Field(0, ge=0, le=10_000)
    others: int = Field(0, ge=0, le=10_000)
    description: str = Field("", max_length=200)

    @model_validator(mode="after")
    def _children_counted(self):
        if self.children > self.nationals + self.others:
            raise ValueError("children are counted among the nationals and the others")
        return self


class QuickRegisterPayload(PersonCreateIn):
    model_config = ConfigDict(extra="forbid")

    point: str = Field("", max_length=50)


class NeedPayload(_NamesPerson):
    kinds: list[DeskNeed.Kind] = Field(min_length=1, max_length=4)
    note: str = Field("", max_length=500)
    point: str = Field("", max_length=50)


class PersonRefPayload(_NamesPerson):
    """One person an event lists: a registry id, or the quick registration that made them."""


class IntakePayload(_Payload):
    """A request to immigrate, taken at the desk: it opens a case in "received".

    The applicant is the person named here (`given_name`, `family_name`, `birth_year`),
    registered as new; the persons listed are then family members: `person_ids` (registry
    ids), then `members` (each by id or, if registered on the device, by `person_event`), in
    that order. With no name, the first person listed is the applicant. `basis` is what the
    person said, in their words (the case's basis note); `basis_code` the configured basis it
    matches, if the officer chose one."""

    given_name: str = Field("", max_length=200)
    family_name: str = Field("", max_length=200)
    birth_year: int | None = Field(None, ge=1900, le=2100)
    family_size: int = Field(1, ge=1, le=30)
    basis: str = Field("", max_length=500)
    note: str = Field("", max_length=2000)
    point: str = Field("", max_length=50)
    person_ids: list[int] = Field(default_factory=list, max_length=30)
    members: list[PersonRefPayload] = Field(default_factory=list, max_length=30)
    request_type: str = Field("immigration", min_length=1, max_length=40)
    basis_code: str = Field("", max_length=40)

    @model_validator(mode="after")
    def _named(self):
        if not (self.given_name.strip() or self.family_name.strip() or self.person_ids or self.members):
            raise ValueError("an intake needs a name or a registry person")
        if len(self.person_ids) + len(self.members) > 30:
            raise ValueError("an intake lists at most 30 persons")
        return self


class StayingPayload(_NamesPerson):
    note: str = Field("", max_length=500)
    point: str = Field("", max_length=50)
