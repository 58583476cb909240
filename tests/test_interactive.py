"""The interactive page (`derive -f html --interactive`): the ordinary notes' words, the network beside
them lit by each step, a "your turn" mode judging a typed value with derive check's rule, one inline
script allowed by its CSP hash, and no request leaving the page.

The page is driven in headless Chromium through Selenium and Debian's chromedriver: → through every
step of two_paths, ← back, a row focused, values typed. What a step should light comes from the JSON's
routes and factor labels and the network file (which edge carries which weight), not from the page's
own attributes; the verdicts are compared with derive check's own judge (derive/check/numeric.py) on
the same text and the same true value; the true values from the lecture and from mpmath.
"""

from __future__ import annotations

import base64
import hashlib
import html
import http.server
import json
import re
import threading
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from pathlib import Path

import mpmath
import pytest
from click.testing import CliRunner

import derive
from derive.check.numeric import Policy, judge_number
from derive.cli import main
from derive.numbers import Num
from tests.browser import BROWSER_HOSTS, CHROMIUM, _host, _Recorder
from tests.helpers import ROOT

TWO_PATHS = ROOT / "examples" / "two_paths.yaml"
SEED = ROOT / "examples" / "pass_fail.yaml"
DRIVER = Path("/usr/bin/chromedriver")
ARTEFACTS = ROOT / "build" / "test-artefacts"  # screenshots kept for a person to look at (build/ is ignored)


def interactive(path: Path) -> str:
    return derive.explain(str(path), fmt="html", pictures=True, interactive=True).text


@pytest.fixture(scope="module")
def page() -> str:
    return interactive(TWO_PATHS)


@pytest.fixture(scope="module")
def two_paths_json() -> dict:
    r = CliRunner().invoke(main, [str(TWO_PATHS), "-f", "json", "-o", "-"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


# ---- what a factor is about, worked out from the JSON and the network file -------------------------


def weight_edges() -> dict[str, str]:
    """two_paths' weights and the edge each sits on ("source>target"), from its layers: inputs x1, x2;
    neurons O11, O12 (layer 1), O21, O22 (layer 2), O31; w1..w10 numbered target by target, source by
    source within a target (examples/two_paths.yaml writes them so)."""
    order = [("x1", "O11"), ("x2", "O11"), ("x1", "O12"), ("x2", "O12"), ("O11", "O21"), ("O12", "O21"),
             ("O11", "O22"), ("O12", "O22"), ("O21", "O31"), ("O22", "O31")]
    return {f"w{i}": f"{a}>{b}" for i, (a, b) in enumerate(order, 1)}


def factor_keys(label: str) -> set[str]:
    """dL/dO31 is about the output's edge into the loss; dO31/dO21 about the edge O21→O31; dO11/dw1
    about w1's own edge; each with the nodes at its ends."""
    top, bottom = re.fullmatch(r"d(\w+)/d(\w+)", label).groups()
    if top == "L":
        return {f"{bottom}>L", bottom, "L"}
    if bottom in weight_edges():
        edge = weight_edges()[bottom]
        return {edge, *edge.split(">")}
    return {f"{bottom}>{top}", top, bottom}


def rows(page: str) -> list[dict]:
    """Every formula row of the page, in order: its data-on keys and its result's data-value."""
    out = []
    for m in re.finditer(r'<div class="row( whole)?" tabindex="0"( data-on="([^"]*)")?>(.*?)</div>', page, re.S):
        value = re.search(r'<span class="value" data-value="([^"]*)"', m.group(4))
        out.append({"on": set(html.unescape(m.group(3) or "").split()), "value": value.group(1) if value else None})
    return out


def test_each_factor_row_names_its_edge_and_each_path_its_route(page, two_paths_json):
    """w1 reaches the loss along two paths; each path's rows are its four factors, then its product,
    which is about the whole route."""
    on = [r["on"] for r in rows(page)]
    for path in two_paths_json["gradients"]["w1"]["paths"]:
        factors = [factor_keys(f["label"]) for f in path["factors"]]
        route = set().union(*factors)
        expected = [*factors, route]
        starts = [i for i in range(len(on)) if on[i : i + len(expected)] == expected]
        assert starts, f"no run of rows lights {expected}"


def test_the_values_behind_the_seed_are_the_lecture_s(page):
    """The lecture's forward pass (seed document): z = 1.151, O1 = σ(1.151) ≈ 0.759, z = 0.04518 (O1 carried
    as 0.759), O2 = σ(0.04518) ≈ 0.51129. The page judges against the values to 30 digits."""
    values = [r["value"] for r in rows(interactive(SEED)) if r["value"]]
    sigma = lambda z: 1 / (1 + mpmath.exp(-z))  # noqa: E731
    with mpmath.workdps(60):
        expected = [mpmath.mpf("1.151"), sigma(mpmath.mpf("1.151")), mpmath.mpf("0.04518"), sigma(mpmath.mpf("0.04518"))]
        for got, want in zip(values[:4], expected, strict=True):
            assert abs(mpmath.mpf(got) - want) <= abs(want) * mpmath.mpf(10) ** -29, (got, want)
    assert values[0] == "1.151" and values[2] == "0.04518"  # exact values stay exact
    assert values[3].startswith("0.51129")


def two_paths_loss(w1) -> mpmath.mpf:
    """two_paths by hand: x = (0.05, 0.1), target 0.01, sigmoid everywhere, L = ½(y − O31)²."""
    s = lambda z: 1 / (1 + mpmath.exp(-z))  # noqa: E731
    x1, x2 = mpmath.mpf("0.05"), mpmath.mpf("0.1")
    o11 = s(w1 * x1 + mpmath.mpf("0.2") * x2 + mpmath.mpf("0.35"))
    o12 = s(mpmath.mpf("0.25") * x1 + mpmath.mpf("0.3") * x2 + mpmath.mpf("0.35"))
    o21 = s(mpmath.mpf("0.4") * o11 + mpmath.mpf("0.45") * o12 + mpmath.mpf("0.6"))
    o22 = s(mpmath.mpf("0.5") * o11 + mpmath.mpf("0.55") * o12 + mpmath.mpf("0.6"))
    o31 = s(mpmath.mpf("0.6") * o21 + mpmath.mpf("0.65") * o22 + mpmath.mpf("0.1"))
    return (mpmath.mpf("0.01") - o31) ** 2 / 2


def test_the_gradient_a_student_is_asked_for_is_the_finite_difference(page):
    """∂L/∂w1 (the sum of the two paths' products) against a central difference at 80 digits."""
    with mpmath.workdps(80):
        h = mpmath.mpf(10) ** -30
        w1 = mpmath.mpf("0.15")
        fd = (two_paths_loss(w1 + h) - two_paths_loss(w1 - h)) / (2 * h)
        asked = [mpmath.mpf(r["value"]) for r in rows(page) if r["value"]]
        assert any(abs(v - fd) <= abs(fd) * mpmath.mpf(10) ** -28 for v in asked)


def test_every_hidden_value_is_the_one_the_line_shows(page):
    """A result the page can ask for is the number the line prints, to more digits: the line's number
    is that value rounded to the notes' 5 significant digits (or the value itself when it has fewer)."""
    checked = 0
    for m in re.finditer(r'<span class="value" data-value="([^"]*)">(.*?)</span>', page, re.S):
        shown = re.sub(r"<[^>]+>", "", m.group(2)).replace("\u2212", "-").replace("\u2248", "").replace("=", "").strip()
        if "\u00d7" in shown:
            continue  # 1.2 × 10^−7: not in these notes
        value = Decimal(m.group(1))
        digits = len(m.group(1).lstrip("-").replace(".", "").lstrip("0"))
        place = Decimal(1).scaleb(value.adjusted() - 4)
        expected = value if digits <= 5 else value.quantize(place, ROUND_HALF_UP)
        assert Decimal(shown) == expected, (shown, m.group(1))
        checked += 1
    assert checked >= 20


def test_one_inline_script_allowed_by_its_hash_and_nothing_loaded(page):
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page).group(1)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    assert len(scripts) == 1 and scripts[0][0] == "", "one inline script, no src"
    digest = base64.b64encode(hashlib.sha256(scripts[0][1].encode("utf-8")).digest()).decode("ascii")
    assert f"script-src 'sha256-{digest}'" in csp
    assert "default-src 'none'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1]
    for attr in re.findall(r'\s(?:src|href)="([^"]*)"', page):
        assert attr.startswith(("data:", "#")), attr
    assert "<svg" in page.split('id="panel"')[1], "the network is inline, so the script can light it"


def prose(page: str) -> str:
    """The words of the notes' <main>: every tag, formula and whitespace run taken out."""
    main_part = re.search(r"<main[^>]*>(.*)</main>", page, re.S).group(1)
    main_part = re.sub(r"<math\b.*?</math>", " ", main_part, flags=re.S)
    main_part = re.sub(r"<[^>]+>", " ", main_part)
    return re.sub(r"\s+", " ", html.unescape(main_part)).strip()


def test_without_the_script_it_is_the_ordinary_notes(page):
    """The same words in the same order as the ordinary page; the panel starts hidden."""
    ordinary = derive.explain(str(TWO_PATHS), fmt="html", pictures=True).text
    assert prose(page) == prose(ordinary)
    assert re.search(r'<aside id="panel" hidden', page)


def test_interactive_is_refused_for_other_formats(tmp_path):
    r = CliRunner().invoke(main, [str(TWO_PATHS), "-f", "md", "--interactive", "-o", str(tmp_path / "x.md")])
    assert r.exit_code == 2 and "--interactive" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "x.md").exists()


# ---- in Chromium -------------------------------------------------------------------------------------

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is in the test extras")


@pytest.fixture(scope="module")
def proxy():
    """A proxy that records every request and answers each with an error (tests/browser.py)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.seen = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def chrome(proxy, javascript: bool = True):
    if not (CHROMIUM.exists() and DRIVER.exists()):
        pytest.skip("needs the Debian packages chromium and chromium-driver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,900", "--hide-scrollbars",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run",
                 f"--proxy-server=http://127.0.0.1:{proxy.server_address[1]}",
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    return webdriver.Chrome(service=Service(str(DRIVER)), options=options)


@pytest.fixture(scope="module")
def browser(page, proxy, tmp_path_factory):
    path = tmp_path_factory.mktemp("interactive") / "two_paths.html"
    path.write_text(page, encoding="utf-8")
    driver = chrome(proxy)
    driver.get(path.as_uri())
    yield driver
    driver.quit()


LIT = """return [...document.querySelectorAll('#panel svg .lit')].map(e => e.dataset.name ||
  (e.dataset.source ? e.dataset.source + '>' + e.dataset.target : 'label:' + e.dataset.owner));"""
CURRENT = "const s = window.derive.steps()[window.derive.current()]; return s.outerHTML.slice(0, 400);"


def lit(driver) -> set[str]:
    return {k for k in driver.execute_script(LIT) if not k.startswith("label:")}


@pytest.mark.slow
def test_arrow_keys_step_through_every_step_lighting_its_edges(browser, page, two_paths_json):
    from selenium.webdriver.common.keys import Keys

    body = browser.find_element("tag name", "body")
    count = browser.execute_script("return window.derive.steps().length")
    assert count > 40, "two_paths' derivation has dozens of steps"
    browser.execute_script("window.derive.show(0)")
    seen_lit = []
    for k in range(count):
        assert browser.execute_script("return window.derive.current()") == k
        hidden_after = browser.execute_script(
            "const s = window.derive.steps(); return s.slice(window.derive.current() + 1).every(e => e.offsetParent === null)"
        )
        shown_before = browser.execute_script(
            "const s = window.derive.steps(); return s.slice(0, window.derive.current() + 1).every(e => e.offsetParent !== null)"
        )
        assert hidden_after and shown_before, f"step {k + 1}: later steps hidden, earlier ones shown"
        seen_lit.append(lit(browser))
        body.send_keys(Keys.ARROW_RIGHT)
    assert browser.execute_script("return window.derive.current()") == count - 1, "→ stops at the last step"
    # Path 1 of w1 is lit factor by factor: the loss edge, then O21→O31, O11→O21 and w1's edge x1→O11.
    path = two_paths_json["gradients"]["w1"]["paths"][0]
    expected = [factor_keys(f["label"]) for f in path["factors"]]
    assert any(seen_lit[i : i + 4] == expected for i in range(len(seen_lit))), "each factor lights its edge alone"
    body.send_keys(Keys.ARROW_LEFT)
    assert browser.execute_script("return window.derive.current()") == count - 2
    # "Show all" shows every step at once, and lights nothing; → steps again from where it was.
    browser.find_element("id", "all").click()
    assert browser.execute_script("return window.derive.steps().every(e => e.offsetParent !== null)")
    assert lit(browser) == set() and browser.find_element("id", "all").text == "Step through"
    body.send_keys(Keys.ARROW_RIGHT)
    assert browser.execute_script("return window.derive.current()") == count - 1
    assert browser.find_element("id", "all").text == "Show all"
    body.send_keys(Keys.HOME)
    assert browser.execute_script("return window.derive.current()") == 0
    body.send_keys(Keys.END)
    assert browser.execute_script("return window.derive.current()") == count - 1
    # A reload (derive watch after a save) comes back to the same step.
    browser.execute_script("window.derive.show(7)")
    browser.refresh()
    assert browser.execute_script("return window.derive.current()") == 7


@pytest.mark.slow
def test_a_focused_row_lights_its_edge(browser):
    """Keyboard focus on the factor ∂O31/∂O21 lights the edge O21→O31 and its two neurons."""
    browser.execute_script("window.derive.show(window.derive.steps().length - 1)")
    target = factor_keys("dO31/dO21")
    found = browser.execute_script(
        "const want = arguments[0]; const r = [...document.querySelectorAll('.row[data-on]')]"
        ".find(e => e.dataset.on.split(' ').sort().join(' ') === want); if (!r) return false; r.focus(); return true;",
        " ".join(sorted(target)),
    )
    assert found
    assert lit(browser) == target
    assert browser.find_element("id", "lit").text == "Lit: O21 \u2192 O31", "said in words too"
    assert browser.switch_to.active_element.get_attribute("data-on") is not None


def true_values(page: str) -> list[str]:
    return [r["value"] for r in rows(page) if r["value"]]


def answers(truth: str) -> list[str]:
    """Answers a student might give for a true value: rounded to 4 and 2 significant digits (right),
    cut off after 5 digits when that differs from rounding (truncated), 1 digit (too few), the wrong
    sign, the decimal point off by one place, and a value 3% off."""
    x = mpmath.mpf(truth)
    if x == 0:
        return ["0", "0.1"]
    out = [mpmath.nstr(x, 4), mpmath.nstr(x, 2), mpmath.nstr(x, 1), mpmath.nstr(-x, 4), mpmath.nstr(10 * x, 4),
           mpmath.nstr(x * mpmath.mpf("1.03"), 4)]
    d = Decimal(truth)
    place = Decimal(1).scaleb(d.adjusted() - 4)  # the fifth significant digit
    cut, near = d.quantize(place, ROUND_DOWN), d.quantize(place, ROUND_HALF_UP)
    if cut != near:
        out.append(str(cut))
    return out


@pytest.mark.slow
def test_the_page_judges_as_derive_check_does(browser, page):
    """Every value the page can ask for, each with a handful of answers: the page's verdict is
    derive check's (judge_number with at least 2 significant digits) on the same text."""
    policy = Policy(digits=2)
    status = {"right": "right", "truncated": "truncated", "too few digits": "too few digits", "wrong": "wrong"}
    checked = 0
    for truth in true_values(page):
        with mpmath.workdps(60):
            exact = Num(mp=mpmath.mpf(truth))
        for text in answers(truth):
            js = browser.execute_script("return window.derive.judge(arguments[0], arguments[1])", text, truth)
            py = judge_number(text, exact, None, [], policy).status
            assert status[js["status"]] == py, (text, truth, js, py)
            checked += 1
    assert checked > 100


@pytest.mark.slow
def test_the_hints_name_the_slip(browser):
    """A miss says what is off without giving the value away: the sign, a factor of 2, the decimal
    point (10 times 0.3775 is 3.775), or closeness; a right answer just says so."""
    said = lambda text, truth: browser.execute_script(  # noqa: E731
        "const t = arguments[1], r = window.derive.judge(arguments[0], t); return [r.status, r.cause || '', r.shift || 0]",
        text, truth)
    assert said("-0.3775", "0.3775") == ["wrong", "sign", 0]
    assert said("0.755", "0.3775") == ["wrong", "twice", 0]
    assert said("0.1888", "0.3775") == ["wrong", "half", 0]
    assert said("3.775", "0.3775") == ["wrong", "point", 1]
    assert said("0.03775", "0.3775") == ["wrong", "point", -1]
    assert said("0.38", "0.3775") == ["right", "", 0]  # 0.3775 rounds half up to 0.38
    assert said("0.37", "0.3775") == ["truncated", "", 0]
    assert said("0.3", "0.3775") == ["too few digits", "", 0]
    assert said("0.3700", "0.3775") == ["wrong", "close", 0]


@pytest.mark.slow
def test_your_turn_hides_a_result_and_judges_what_is_typed(browser):
    """O11 ≈ 0.59327: 0.6 has too few digits, −0.5933 is the wrong sign (and says so), 0.5933 is right
    and the result comes back."""
    browser.execute_script("window.derive.show(0)")
    box = browser.find_element("id", "your-turn")
    if not box.is_selected():
        box.click()
    row = None
    for _ in range(40):  # step on to the first row with a value to ask
        row = browser.execute_script("const s = window.derive.steps()[window.derive.current()]; return s.classList.contains('asking') ? s : null")
        if row is not None:
            break
        browser.find_element("id", "next").click()
    assert row is not None, "your turn asks for a result"
    value = row.find_element("css selector", ".value")
    assert not value.is_displayed(), "the result is hidden while it is asked"
    truth = value.get_attribute("data-value")
    field = row.find_element("css selector", ".ask input")
    said = row.find_element("css selector", ".said")
    tries = [mpmath.nstr(mpmath.mpf(truth), 1), mpmath.nstr(-mpmath.mpf(truth), 4), mpmath.nstr(mpmath.mpf(truth), 4)]
    verdicts = []
    for text in tries:
        field.clear()
        field.send_keys(text + "\n")
        verdicts.append((said.get_attribute("data-status"), said.text))
        if verdicts[-1][0] == "right":
            break
    assert [v[0] for v in verdicts] == ["too few digits", "wrong", "right"], verdicts
    assert "sign" in verdicts[1][1], "a hint says what is off"
    assert value.is_displayed(), "a right answer shows the result"
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTEFACTS / "interactive_two_paths.png"))
    box.click()


@pytest.mark.slow
def test_no_request_leaves_the_page(browser, proxy):
    """Everything above ran without a single request past the page itself and its data: URIs."""
    sent = [
        json.loads(entry["message"])["message"]["params"]["request"]["url"]
        for entry in browser.get_log("performance")
        if json.loads(entry["message"])["message"]["method"] == "Network.requestWillBeSent"
    ]
    assert all(u.startswith(("file://", "data:")) for u in sent), sent
    assert [r for r in proxy.seen if _host(r) not in BROWSER_HOSTS] == []


@pytest.mark.slow
def test_with_javascript_off_every_step_is_shown_and_the_panel_hidden(page, proxy, tmp_path):
    path = tmp_path / "two_paths.html"
    path.write_text(page, encoding="utf-8")
    driver = chrome(proxy, javascript=False)
    try:
        driver.get(path.as_uri())
        assert not driver.find_element("id", "panel").is_displayed()
        rows_shown = driver.execute_script("return [...document.querySelectorAll('.row')].every(e => e.offsetParent !== null)")
        assert rows_shown
        assert driver.find_element("css selector", "img.network-in-flow").is_displayed()
    finally:
        driver.quit()

