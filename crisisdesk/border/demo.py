"""The border desk's part of the demo scenario: the mission's posts (the embassy in Kyiv, the
temporary office in Lviv, the forward team in Poland) and a roster for the next three days
around the loading time, with gaps left in it on purpose so the roster has red to show."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from crisisdesk.border.models import CrossingPoint, Mission, Post, Shift

KYIV = ZoneInfo("Europe/Kyiv")
MISSION_NAME = "Embassy of Israel in Ukraine"
# (kind, name, city, country, latitude, longitude, opened, note)
POSTS = (
    (
        Post.Kind.EMBASSY,
        "Embassy",
        "Kyiv",
        "UA",
        Decimal("50.45010"),
        Decimal("30.52340"),
        datetime(1992, 12, 24, 9, 0, tzinfo=KYIV),
        "",
    ),
    (
        Post.Kind.TEMPORARY_OFFICE,
        "Temporary office",
        "Lviv",
        "UA",
        Decimal("49.83970"),
        Decimal("24.02970"),
        datetime(2022, 2, 19, 12, 0, tzinfo=KYIV),
        "Moved west as the threat to Kyiv grew.",
    ),
    (
        Post.Kind.FORWARD_TEAM,
        "Forward team",
        "Przemyśl",
        "PL",
        Decimal("49.78380"),
        Decimal("22.76780"),
        datetime(2022, 2, 27, 16, 0, tzinfo=KYIV),
        "Works from Poland; staff cross back to the border points each day.",
    ),
)
# Per point (code): shifts as (hours from the start of the current hour, length in hours).
# Shehyni is covered around the clock; the others have gaps.
ROSTER = {
    "shehyni-medyka": [(-2, 8), (6, 8), (14, 8), (22, 8), (30, 8), (38, 8), (46, 8), (54, 8), (62, 8)],
    "rava-ruska-hrebenne": [(-1, 10), (9, 10), (27, 10), (45, 10)],
    "krakovets-korczowa": [(0, 12), (24, 12), (48, 12)],
}


@transaction.atomic
def border_demo_ensure(*, officers: list, points: dict[str, CrossingPoint], now: datetime | None = None) -> None:
    """Posts once; a roster when none of the officers has a shift ahead (loading again keeps it)."""
    mission, _ = Mission.objects.get_or_create(name=MISSION_NAME, defaults={"country": "UA"})
    if not mission.posts.exists():
        previous = None
        for kind, name, city, country, latitude, longitude, opened_at, note in POSTS:
            post = Post.objects.create(
                mission=mission,
                kind=kind,
                name=name,
                city=city,
                country=country,
                latitude=latitude,
                longitude=longitude,
                opened_at=opened_at,
                relocated_from=previous,
                note=note,
            )
            if previous is not None:
                Post.objects.filter(pk=previous.pk).update(closed_at=opened_at)
            previous = post
    forward = mission.posts.filter(closed_at__isnull=True).order_by("-opened_at").first()
    CrossingPoint.objects.filter(pk__in=[point.pk for point in points.values()], post__isnull=True).update(post=forward)
    now = now or timezone.now()
    if not officers or Shift.objects.filter(officer__in=officers, ends_at__gt=now).exists():
        return
    hour = now.replace(minute=0, second=0, microsecond=0)
    shifts = []
    for code, windows in ROSTER.items():
        point = points.get(code)
        if point is None:
            continue
        for number, (offset, length) in enumerate(windows):
            starts_at = hour + timedelta(hours=offset)
            shifts.append(
                Shift(
                    point=point,
                    officer=officers[number % len(officers)],
                    starts_at=starts_at,
                    ends_at=starts_at + timedelta(hours=length),
                )
            )
    Shift.objects.bulk_create(shifts)
