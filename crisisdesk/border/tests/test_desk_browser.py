"""The field app offline, in Chromium (issue 4's story).

A border officer logs in once and the app downloads its field pack. Then the network goes.
Offline, the officer finds 20 people by typing their names in Latin letters although they
registered in Cyrillic or Hebrew, checks each in, checks a household in, records a tally and
quick-registers someone. The page is closed and opened again, still offline: the queue is
intact. Back online it syncs, and the server holds each record exactly once; sent again, the
same events change nothing."""

import json

import pytest
from playwright.sync_api import expect

from crisisdesk.border.models import CheckIn, CrossingPoint, DeskEvent, Tally
from crisisdesk.common.qr import qr_svg_data_uri
from crisisdesk.common.testing.browser import login_through_form, screenshot
from crisisdesk.common.testing.personas import persona_create
from crisisdesk.registry.models import Person, StatusEvent, StatusKind
from crisisdesk.registry.tests.factories import household_registered, person_registered
from namebridge import Convention, transliterate

# (given, family) as registered; the officer types them in Latin letters.
CYRILLIC = (
    ("Олена", "Коваленко"),
    ("Богдан", "Шевчук"),
    ("Ірина", "Бондаренко"),
    ("Дмитро", "Ткаченко"),
    ("Оксана", "Кравченко"),
    ("Юрій", "Олійник"),
    ("Наталія", "Мельник"),
    ("Андрій", "Поліщук"),
    ("Світлана", "Гончаренко"),
    ("Василь", "Лисенко"),
    ("Тетяна", "Руденко"),
    ("Сергій", "Савченко"),
    ("Людмила", "Марченко"),
    ("Віктор", "Зінченко"),
)
# Hebrew registrations, with the Latin spelling an officer would type from a passport.
HEBREW = (
    (("דוד", "לוינסון"), "David Levinson"),
    (("מרים", "רבינוביץ"), "Miriam Rabinovich"),
    (("יעקב", "גולדברג"), "Yaakov Goldberg"),
    (("רחל", "פרידמן"), "Rachel Friedman"),
    (("משה", "שפירא"), "Moshe Shapira"),
    (("שרה", "קפלן"), "Sarah Kaplan"),
)


def _latin(text: str) -> str:
    return transliterate(text, Convention.UK_NATIONAL_2010)


def _find(page, query: str, person_id: int) -> None:
    page.fill("[data-testid=desk-search]", query)
    first = page.locator("[data-testid=desk-result]").first
    expect(first).to_have_attribute("data-person", str(person_id))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_day_offline_at_the_crossing_syncs_once(new_browser_context, browser_problems):
    # given: two crossing points, 20 persons and a household of three in the registry
    CrossingPoint.objects.create(
        code="rava", name="Rava-Ruska", name_far_side="Hrebenne", country_from="UA", country_to="PL"
    )
    CrossingPoint.objects.create(
        code="shehyni", name="Shehyni", name_far_side="Medyka", country_from="UA", country_to="PL"
    )
    officer = persona_create("border_officer")
    queries = []
    for given, family in CYRILLIC:
        person = person_registered(given_name=given, family_name=family, other_names=(), intent="leave")
        queries.append((f"{_latin(family)} {_latin(given)}", person))
    for (given, family), latin in HEBREW:
        person = person_registered(given_name=given, family_name=family, other_names=(), intent="leave")
        queries.append((latin, person))
    registration = household_registered(people=3).registration
    household = list(Person.objects.filter(registration=registration).order_by("pk"))
    persons_before = Person.objects.count()

    # when: the officer logs in once, online, and opens the field app
    context = new_browser_context()
    page = context.new_page()
    login_through_form(page, user=officer)
    page.goto("/desk/")
    desk = page.locator("#desk")
    expect(desk).to_have_attribute("data-ready", "true", timeout=20_000)
    expect(page.locator("[data-testid=desk-pack-count]")).to_have_text(str(persons_before))
    page.wait_for_function("async () => Boolean(await caches.match('/desk/'))", timeout=20_000)

    # and the network goes
    context.set_offline(True)
    expect(page.locator("[data-testid=desk-network]")).to_have_text("offline")
    page.select_option("[data-testid=desk-point]", "shehyni")
    for query, person in queries:
        _find(page, query, person.pk)
        page.locator("[data-testid=desk-result]").first.locator("[data-testid=desk-check-in]").click()
    # the household's QR code (as the registration page shows it), read by the app's QR reader
    read = page.evaluate(
        """async (source) => {
            const image = new Image();
            image.src = source;
            await image.decode();
            const canvas = document.createElement("canvas");
            canvas.width = canvas.height = 400;
            const context = canvas.getContext("2d");
            context.fillStyle = "#fff";
            context.fillRect(0, 0, 400, 400);
            context.drawImage(image, 0, 0, 400, 400);
            const frame = context.getImageData(0, 0, 400, 400);
            return jsQR(frame.data, 400, 400).data;
        }""",
        qr_svg_data_uri(registration.reference_display, box_size=6),
    )
    assert read == registration.reference_display
    page.fill("[data-testid=desk-search]", read)
    expect(page.locator("[data-testid=desk-result]")).to_have_count(3)
    member = household[1]
    _find(page, f"{_latin(member.family_name)} {_latin(member.given_name)}", member.pk)
    page.locator("[data-testid=desk-result]").first.locator("[data-testid=desk-check-in-household]").click()
    page.fill("#tally-nationals", "38")
    page.fill("#tally-children", "6")
    page.fill("#tally-description", "bus from Lviv")
    page.click("#desk-tally button[type=submit]")
    page.fill("#register-given", "Ганна")
    page.fill("#register-family", "Вишневська")
    page.fill("#register-birth", "1957")
    page.click("#desk-register button[type=submit]")
    expect(page.locator("[data-testid=desk-queue]")).to_have_text("23")
    _find(page, "Kovalenko Olena", queries[0][1].pk)
    expect(page.locator("[data-testid=desk-result]").first.locator("[data-testid=desk-checked-in]")).to_be_visible()
    screenshot(page, "desk-offline")

    # and the tab is closed and opened again, still offline
    page.close()
    page = context.new_page()
    page.goto("/desk/")
    expect(page.locator("#desk")).to_have_attribute("data-ready", "true", timeout=20_000)
    expect(page.locator("[data-testid=desk-queue]")).to_have_text("23")
    _find(page, "Kovalenko Olena", queries[0][1].pk)
    expect(page.locator("[data-testid=desk-result]").first.locator("[data-testid=desk-checked-in]")).to_be_visible()
    assert DeskEvent.objects.count() == 0

    # then: back online, it syncs, and the server holds each record once
    sent = []
    page.on("request", lambda request: sent.append(request.post_data) if request.url.endswith("/desk/sync") else None)
    context.set_offline(False)
    page.click("[data-testid=desk-sync]")
    expect(page.locator("[data-testid=desk-queue]")).to_have_text("0", timeout=20_000)
    expect(page.locator("[data-testid=desk-last-sync]")).not_to_have_text("—")

    assert DeskEvent.objects.count() == 23
    assert DeskEvent.objects.filter(outcome=DeskEvent.Outcome.APPLIED).count() == 23
    checked_in = [person for _query, person in queries] + household
    assert sorted(CheckIn.objects.values_list("person_id", flat=True)) == sorted(p.pk for p in checked_in)
    assert set(CheckIn.objects.values_list("point__code", flat=True)) == {"shehyni"}
    assert StatusEvent.objects.filter(kind=StatusKind.CROSSED).count() == 23
    tally = Tally.objects.get()
    assert (tally.nationals, tally.children, tally.description) == (38, 6, "bus from Lviv")
    registered = Person.objects.get(family_name="Вишневська")
    assert Person.objects.count() == persons_before + 1 and registered.birth_year == 1957

    # and syncing again, or sending the same events again, changes nothing
    counts = (DeskEvent.objects.count(), CheckIn.objects.count(), Tally.objects.count(), Person.objects.count())
    page.click("[data-testid=desk-sync]")
    replayed = page.evaluate(
        """async (body) => {
            const token = await new Promise((resolve) => {
              const open = indexedDB.open("crisisdesk-desk", 1);
              open.onsuccess = () => {
                const get = open.result.transaction("meta").objectStore("meta").get("token");
                get.onsuccess = () => resolve(get.result.token);
              };
            });
            const response = await fetch("/api/v1/desk/sync", {
              method: "POST",
              headers: {Authorization: `Bearer ${token}`, "Content-Type": "application/json"},
              body,
            });
            return response.json();
        }""",
        sent[0],
    )
    assert len(json.loads(sent[0])["events"]) == 23
    assert {result["status"] for result in replayed["results"]} == {"applied"}
    assert all(result["replayed"] for result in replayed["results"])
    assert (DeskEvent.objects.count(), CheckIn.objects.count(), Tally.objects.count(), Person.objects.count()) == counts

    # and logging out wipes the field pack, the queue and the kept shell from the device
    with page.expect_navigation():
        page.click("form[data-logout] button[type=submit]")
    assert "/staff/login/" in page.url
    stored = page.evaluate(
        """async () => ({
            databases: (await indexedDB.databases()).map((database) => database.name),
            caches: await caches.keys(),
            workers: (await navigator.serviceWorker.getRegistrations()).length,
        })"""
    )
    assert stored == {"databases": [], "caches": [], "workers": 0}
    assert not browser_problems, browser_problems.report()
