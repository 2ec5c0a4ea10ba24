"""Browser tests: the local stack in a subprocess (as `make run` starts it, serving web/dist at /app) and Debian's
Chromium driven by Playwright, headless and off the network.

`make test` installs Chromium (/usr/bin/chromium, Debian's package) when it is missing and builds the app (npm ci
when the lock file changed, then Vite) before pytest runs; these tests never skip: without Chromium, the app's build
or its npm packages they fail, saying what to run.

Fixtures (for the flow tests):

- `web_stack` (module): the running stack, a `StackProcess` (its `base_url`; the app at `base_url + "/app/"`).
- `web_http` (module): an `Http` client of that stack (the API, `/dev/token`, `/dev/clock`, `/dev/reset`).
- `browser` (session): the Playwright `Browser` (Chromium).
- `timezone_id` (function, default "Europe/London"): the zone of `page`'s context; override it in a module or class
  with a fixture of the same name, or per test with `@pytest.mark.parametrize("timezone_id", [...], indirect=True)`.
- `new_page` (function): `new_page(timezone_id=None, locale="en-GB") -> Page`, each in a fresh context (its own
  storage: its own sign-in), all closed after the test.
- `page` (function): one such page, in `timezone_id`, locale en-GB.
- `screenshot` (function): `screenshot(page, name) -> Path`, a full-page PNG at web/test-results/<name>.png.
- `serious_violations` (function): `serious_violations(page) -> list[dict]`, axe-core's violations of impact
  serious or critical on the page as it is now (`{id, impact, help, nodes: [css targets]}`); assert it is `[]`.
- `scene` (function): a `support.Demo`, the stack reset to the demo therapist and client, and the API calls that set
  a scene up quickly.
- `sign_in` (function): `sign_in(role, timezone_id=None) -> Page`, a new page (`new_page`: its own sign-in) on the
  app, signed in with the picker as the demo therapist, client or admin.

The helpers the flow tests share (the slot picker, a session's page, its status) are in support.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from tests.local_stack.running_stack import REPO_ROOT, Http, StackProcess, running_stack
from tests.web.support import SIGN_IN_LABELS, Demo

CHROMIUM = Path("/usr/bin/chromium")
# Headless, and off the network: without the background flags Chromium keeps calling Google's hosts, which this
# machine refuses (docs/web.md, "Running and testing").
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WEB = REPO_ROOT / "web"
BUILT_APP = WEB / "dist" / "index.html"
AXE = WEB / "node_modules" / "axe-core" / "axe.min.js"
TEST_RESULTS = WEB / "test-results"
DEFAULT_TIMEZONE = "Europe/London"
LOCALE = "en-GB"
SERIOUS = ("serious", "critical")
TIMEOUT_MS = 15_000  # each action and expectation: the stack answers one request at a time, on a shared machine
expect.set_options(timeout=TIMEOUT_MS)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything here needs the web app's npm packages (`web` marker); the Chromium tests are `browser` too."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.web)


@pytest.fixture(scope="module")
def web_stack() -> Iterator[StackProcess]:
    """`python -m local_stack` on a free port, with its demo data, serving the app's build (web/dist) at /app."""
    if not BUILT_APP.is_file():
        pytest.fail(f"{BUILT_APP.relative_to(REPO_ROOT)} is missing: run `make test` (or `make web`) to build the app")
    with running_stack() as stack:
        yield stack


@pytest.fixture(scope="module")
def web_http(web_stack: StackProcess) -> Http:
    return Http(web_stack.base_url)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless (never a browser Playwright downloads)."""
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: run `make test`, which installs Debian's chromium package")
    launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.fixture
def timezone_id(request: pytest.FixtureRequest) -> str:
    """The viewer's zone: Europe/London unless a test parametrizes it (indirect) or a module overrides it."""
    zone: str = getattr(request, "param", DEFAULT_TIMEZONE)
    return zone


@pytest.fixture
def new_page(browser: Browser, timezone_id: str) -> Iterator[Callable[..., Page]]:
    """`new_page(timezone_id=None, locale="en-GB")`: a page in a context of its own (fresh cookies and storage)."""
    contexts = []
    default_zone = timezone_id

    def open_page(timezone_id: str | None = None, locale: str = LOCALE) -> Page:
        context = browser.new_context(timezone_id=timezone_id or default_zone, locale=locale)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    return new_page()


@pytest.fixture
def screenshot() -> Callable[[Page, str], Path]:
    """`screenshot(page, name)`: the whole page as web/test-results/<name>.png (the folder is made when needed)."""

    def take(page: Page, name: str) -> Path:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
            raise ValueError(f"a screenshot's name is a file name without its extension, not {name!r}")
        TEST_RESULTS.mkdir(parents=True, exist_ok=True)
        path = TEST_RESULTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


# axe-core's result, cut down to what a failure message needs.
AXE_RUN = """async (impacts) => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return results.violations
    .filter((violation) => impacts.includes(violation.impact))
    .map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      nodes: violation.nodes.map((node) => node.target.join(" ")),
    }));
}"""


@pytest.fixture
def serious_violations() -> Callable[[Page], list[dict[str, Any]]]:
    """`serious_violations(page)`: axe-core (web/node_modules/axe-core) run on the page; its serious and critical
    violations, `[]` when there are none."""
    if not AXE.is_file():
        pytest.fail(f"{AXE.relative_to(REPO_ROOT)} is missing: run `make test` (or `make web`: npm ci in web/)")

    def check(page: Page) -> list[dict[str, Any]]:
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.add_script_tag(path=str(AXE))
        violations: list[dict[str, Any]] = page.evaluate(AXE_RUN, list(SERIOUS))
        return violations

    return check


@pytest.fixture
def scene(web_http: Http) -> Demo:
    return Demo(web_http)


@pytest.fixture
def sign_in(new_page: Callable[..., Page], web_stack: StackProcess) -> Callable[..., Page]:
    """`sign_in(role, timezone_id=None)`: a page per person, each in its own browser context (its own sign-in), in
    the viewer's zone (`timezone_id`'s, Europe/London unless told)."""

    def signed_in(role: str, timezone_id: str | None = None) -> Page:
        page = new_page(timezone_id=timezone_id)
        page.goto(f"{web_stack.base_url}/app/")
        page.get_by_role("button", name=SIGN_IN_LABELS[role]).click()
        expect(page.get_by_role("navigation", name="Main")).to_be_visible()
        return page

    return signed_in
