"""The field app's name keys (static/crisisdesk/desk/namekeys.js) agree with the server's.

Every row of the golden files that ``scripts/make-offline-golden`` writes from the Python
(``tests/namebridge/golden/offline_keys.csv``, ``offline_similarity.csv``) is run in Chromium,
with the tables of ``namebridge._offline.offline_tables()``, on a page served under a strict
Content-Security-Policy (no eval, no inline script), as the field app will be.
"""

import csv
from pathlib import Path

import pytest
from django.conf import settings

from namebridge._offline import offline_tables

GOLDEN = Path(settings.BASE_DIR) / "tests" / "namebridge" / "golden"
NAMEKEYS_JS = Path(settings.BASE_DIR) / "crisisdesk" / "static" / "crisisdesk" / "desk" / "namekeys.js"

# Not a real host: every request to it is answered by the route below, nothing leaves the machine.
ORIGIN = "https://field-pack.test"
STRICT_CSP = "default-src 'none'; script-src 'self'"
PAGE = (
    '<!doctype html><html><head><meta charset="utf-8"><script src="/namekeys.js"></script></head><body></body></html>'
)
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.effectiveDirective} ${event.blockedURI} ${event.sample}`);
}, true);
"""

# Runs every golden row in the page and returns one line per disagreement. The cells are passed
# as written in the files, escapes and all, and unescaped here as the Python tests do.
CHECK_ROWS = r"""
({ keyRows, similarityRows }) => {
  const ESCAPE = /\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|x[0-9a-fA-F]{2}|[trn\\])/g;
  const SIMPLE = { t: "\t", r: "\r", n: "\n", "\\": "\\" };
  const unescape = (cell) =>
    cell.replace(ESCAPE, (_match, code) => SIMPLE[code] ?? String.fromCodePoint(parseInt(code.slice(1), 16)));
  const nearKeys = (token) => [...new Set(NameKeys.tokenSkeletons(token).flatMap(NameKeys.deletions))];
  const mismatches = [];
  keyRows.forEach((row, index) => {
    const text = unescape(row.input);
    const tokens = NameKeys.splitTokens(text);
    const got = {
      script: NameKeys.detectScript(text),
      folded: NameKeys.fold(text),
      normalized: NameKeys.normalizeName(text),
      tokens: tokens.map(NameKeys.renderToken).join(" "),
      reduced: tokens.map((token) => NameKeys.tokenReduced(token).join("|")).join(";"),
      skeletons: tokens.map((token) => NameKeys.tokenSkeletons(token).join("|")).join(";"),
      deletions: tokens.map((token) => nearKeys(token).join("|")).join(";"),
    };
    for (const [column, value] of Object.entries(got)) {
      const expected = unescape(row[column === "tokens" ? "normalized" : column]);
      if (value !== expected) {
        mismatches.push(
          `offline_keys.csv:${index + 2} ${column} of ${JSON.stringify(text)}: ` +
            `JS ${JSON.stringify(value)}, golden ${JSON.stringify(expected)}`,
        );
      }
    }
  });
  similarityRows.forEach((row, index) => {
    const left = unescape(row.left);
    const right = unescape(row.right);
    let value;
    if (row.kind === "token") {
      const [leftTokens, rightTokens] = [NameKeys.splitTokens(left), NameKeys.splitTokens(right)];
      if (leftTokens.length !== 1 || rightTokens.length !== 1) {
        mismatches.push(`offline_similarity.csv:${index + 2}: not one token each: ${leftTokens} / ${rightTokens}`);
        return;
      }
      value = NameKeys.offlineTokenSimilarity(leftTokens[0], rightTokens[0]);
    } else {
      value = NameKeys.offlineNameSimilarity(left, right);
    }
    const expected = Number(row.similarity);
    if (!(Math.abs(value - expected) <= 1e-9)) {
      mismatches.push(
        `offline_similarity.csv:${index + 2} ${row.kind} ${JSON.stringify(left)} ~ ${JSON.stringify(right)}: ` +
          `JS ${value}, golden ${expected}`,
      );
    }
  });
  return mismatches;
}
"""


def _raw_rows(name: str) -> list[dict[str, str]]:
    with (GOLDEN / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _serve(route) -> None:
    path = route.request.url.removeprefix(ORIGIN)
    if path == "/":
        route.fulfill(status=200, body=PAGE, content_type="text/html", headers={"Content-Security-Policy": STRICT_CSP})
    elif path == "/namekeys.js":
        route.fulfill(status=200, body=NAMEKEYS_JS.read_text(encoding="utf-8"), content_type="text/javascript")
    else:
        route.fulfill(status=404, body="")


@pytest.mark.browser
def test_namekeys_js_gives_every_golden_key_and_similarity(chromium):
    # given: namekeys.js on a page with a strict CSP, and the server's tables
    context = chromium.new_context()
    errors: list[str] = []
    context.on("weberror", lambda web_error: errors.append(f"page error: {web_error.error}"))
    context.on("console", lambda message: message.type == "error" and errors.append(f"console: {message.text}"))
    context.add_init_script(CSP_LISTENER)
    context.route(f"{ORIGIN}/**", _serve)
    page = context.new_page()
    page.goto(f"{ORIGIN}/")
    assert page.evaluate("typeof globalThis.NameKeys") == "object", errors
    page.evaluate("tables => NameKeys.init(tables)", offline_tables())
    key_rows, similarity_rows = _raw_rows("offline_keys.csv"), _raw_rows("offline_similarity.csv")

    # when: every golden row is run in the browser
    mismatches = page.evaluate(CHECK_ROWS, {"keyRows": key_rows, "similarityRows": similarity_rows})

    # then: the JavaScript agrees with the Python on all of them, and nothing broke the CSP
    violations = page.evaluate("window.__cspViolations")
    context.close()
    assert key_rows and similarity_rows
    assert not mismatches, f"{len(mismatches)} disagreement(s) with the Python:\n" + "\n".join(mismatches[:60])
    assert not violations, violations
    assert not errors, errors
