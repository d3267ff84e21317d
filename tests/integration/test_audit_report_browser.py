"""The HTML fleet report at fleet scale, in a real browser: 500 clusters through the real `fleet audit` (ARM emulator,
Resource Graph paging, the CLI), loaded from file:// in Debian's headless Chromium, asserted on the DOM after the
page's script ran. A screenshot is kept under test-artifacts/ in the repository root (gitignored)."""

from __future__ import annotations

import json
import random
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from fleet import cli
from fleet.findings import describe
from tests.fakes.arm import ArmEmulator, secure_cluster_properties, secure_flux_properties

# Subscription ids are UUIDs (the CLI refuses anything else before asking for a credential).
SUB_PROD = "00000000-0000-0000-0000-0000000000f1"
SUB_NONPROD = "00000000-0000-0000-0000-0000000000f2"

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
WIDTH = 1400

pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason="the HTML report is tested in headless Chromium: needs /usr/bin/chromium and /usr/bin/chromedriver"
    " (./install does it as root on Debian: apt-get install -y chromium chromium-driver)",
)

# The branch name is echoed in GITOPS' "follows branch" message: untrusted text that tries to close the script block.
HOSTILE_BRANCH = "x</script><script>window.pwned=1</script><b>bold"
Weakness = Callable[[dict[str, Any], dict[str, Any]], None]


def _local_accounts(c: dict[str, Any], f: dict[str, Any]) -> None:
    c["disableLocalAccounts"] = False


def _public_api(c: dict[str, Any], f: dict[str, Any]) -> None:
    c["apiServerAccessProfile"] = {"enablePrivateCluster": False, "disableRunCommand": False}


def _kubenet(c: dict[str, Any], f: dict[str, Any]) -> None:
    c["networkProfile"] = {"networkPlugin": "kubenet"}


def _no_defender(c: dict[str, Any], f: dict[str, Any]) -> None:
    c["securityProfile"].pop("defender")


def _no_kms(c: dict[str, Any], f: dict[str, Any]) -> None:
    c["securityProfile"].pop("azureKeyVaultKms")


def _no_azure_policy(c: dict[str, Any], f: dict[str, Any]) -> None:
    c["addonProfiles"]["azurepolicy"] = {"enabled": False}


def _node_public_ip(c: dict[str, Any], f: dict[str, Any]) -> None:
    for pool in c["agentPoolProfiles"]:
        pool["enableNodePublicIP"] = True


def _branch(c: dict[str, Any], f: dict[str, Any]) -> None:
    f["gitRepository"]["repositoryRef"] = {"branch": "main"}


def _hostile_branch(c: dict[str, Any], f: dict[str, Any]) -> None:
    f["gitRepository"]["repositoryRef"] = {"branch": HOSTILE_BRANCH}


def _no_prune(c: dict[str, Any], f: dict[str, Any]) -> None:
    for kustomization in f["kustomizations"].values():
        kustomization["prune"] = False


def _http(c: dict[str, Any], f: dict[str, Any]) -> None:
    f["gitRepository"]["url"] = "http://github.com/contoso/aks-fleet-gitops"


WEAKNESSES: list[Weakness] = [
    _local_accounts,
    _public_api,
    _kubenet,
    _no_defender,
    _no_kms,
    _no_azure_policy,
    _node_public_ip,
    _branch,
    _no_prune,
    _http,
]


@dataclass
class Fleet:
    html: Path
    data: dict[str, Any]  # the same run's --json report
    tags: dict[str, str | None]  # cluster name -> its environment tag as seeded (None: untagged)

    def cluster(self, name: str) -> dict[str, Any]:
        return next(c for c in self.data["clusters"] if c["name"] == name)


def _seed(arm: ArmEmulator, count: int) -> dict[str, str | None]:
    """A realistic fleet: mostly secure, some clusters weakened in up to four ways, tagged across environments,
    with a few untagged or wrongly tagged. Seeded, so every run is the same fleet."""
    rng = random.Random(20261202)
    tags: dict[str, str | None] = {}

    def add(name: str, tag: str | None, weaknesses: list[Weakness], *, flux: bool = True, v1: bool = False) -> None:
        cluster, flux_props = secure_cluster_properties(), secure_flux_properties()
        for weaken in weaknesses:
            weaken(cluster, flux_props)
        subscription = SUB_PROD if tag == "prod" else SUB_NONPROD
        cid = arm.add_cluster(
            subscription,
            f"rg-{name.rsplit('-', 1)[0]}",
            name,
            properties=cluster,
            tags={"environment": tag} if tag is not None else {"team": "payments"},
        )
        if flux:
            arm.add_extension(cid)
            arm.add_flux_configuration(cid, properties=flux_props)
        if v1:
            arm.add_source_control_configuration(cid, "legacy")
        tags[name] = tag

    # Known landmarks: the worst prod cluster, a dev cluster with more failures than most prod ones, a cluster
    # without an environment tag, one with a tag the baseline does not know, and one with hostile text.
    add("aks-prod-worst", "prod", WEAKNESSES)
    add("aks-dev-noisy", "dev", WEAKNESSES, v1=True)
    add("aks-untagged-team-x", None, [_local_accounts])
    add("aks-mistagged-0001", "Production", [])
    add("aks-prod-hostile", "prod", [_hostile_branch])
    environments = ["prod"] * 8 + ["staging"] * 4 + ["dev"] * 6 + [None, "sandbox"]
    for i in range(count - len(tags)):
        tag = rng.choice(environments)
        label = tag if tag in ("prod", "staging", "dev") else "misc"
        weaknesses = rng.sample(WEAKNESSES, rng.choice([0, 0, 0, 1, 1, 2, 3, 4]))
        add(f"aks-{label}-{i:04d}", tag, weaknesses, flux=rng.random() > 0.03, v1=rng.random() < 0.02)
    return tags


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Fleet:
    out = tmp_path_factory.mktemp("report")
    with ArmEmulator() as arm, pytest.MonkeyPatch.context() as mp:
        tags = _seed(arm, 500)
        from fleet.audit import cli as audit_cli

        mp.setattr(audit_cli, "_azure_context", lambda cloud: arm.azure_context())
        result = CliRunner().invoke(
            cli.app,
            [
                "audit",
                "--subscription",
                SUB_PROD,
                "--subscription",
                SUB_NONPROD,
                "--json",
                str(out / "audit.json"),
                "--html",
                str(out / "audit.html"),
            ],
            env={"COLUMNS": "200"},
        )
    assert result.exit_code == 1, result.output
    data = json.loads((out / "audit.json").read_text())
    assert data["summary"]["clusters"] == 500
    return Fleet(out / "audit.html", data, tags)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    # The network here is closed: nothing in the browser may try to reach out (updates, sync, QUIC probes).
    for argument in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        f"--window-size={WIDTH},1000",
    ):
        options.add_argument(argument)
    # An explicit driver path: Selenium Manager (which would download a driver) is not consulted ("Skipping Selenium
    # Manager; path to … driver specified in Service class": selenium 4.51.0 webdriver/common/driver_finder.py).
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture()
def page(fleet: Fleet, browser: Any) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    # The layout viewport exactly 1400 CSS px wide, whatever the window decorations take: the DevTools protocol's
    # Emulation.setDeviceMetricsOverride sets window.innerWidth (CefSharp's DevTools API docs, Emulation domain).
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": WIDTH, "height": 1000, "deviceScaleFactor": 1, "mobile": False}
    )
    browser.get(fleet.html.as_uri())
    # The load event follows the parsing and the running of the page's inline script, so the DOM is final then.
    WebDriverWait(browser, 60).until(lambda d: d.execute_script("return document.readyState") == "complete")
    assert browser.execute_script("return document.documentElement.dataset.ready") == "true", "the script ran"
    return browser


def _visible_rows(driver: Any) -> list[str]:
    """Names of the cluster rows the browser lays out (offsetParent is null for a hidden element)."""
    return list(
        driver.execute_script(
            "return Array.from(document.querySelectorAll('details.cluster'))"
            ".filter(e => e.offsetParent !== null).map(e => e.querySelector('.name').textContent)"
        )
    )


def _set_filter(driver: Any, element_id: str, value: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    element = driver.find_element(By.ID, element_id)
    if element.tag_name == "select":
        Select(element).select_by_value(value)
    else:
        element.clear()
        element.send_keys(value)


def _clear(driver: Any) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.ID, "f-clear").click()


def _screenshot(driver: Any, tmp_path: Path, name: str) -> Path:
    shot = tmp_path / name
    assert driver.save_screenshot(str(shot)), "the browser took the screenshot"
    ARTIFACTS.mkdir(exist_ok=True)
    kept = ARTIFACTS / name
    shutil.copyfile(shot, kept)
    print(f"screenshot: {kept}")
    return kept


def test_first_rows_are_the_worst_prod_clusters(page: Any, fleet: Fleet, tmp_path: Path) -> None:
    rows = _visible_rows(page)
    assert len(rows) == 500
    prod_failing = {c["name"] for c in fleet.data["clusters"] if c["environment"] == "prod" and c["failed"]}
    assert 0 < len(prod_failing) < 500
    assert set(rows[: len(prod_failing)]) == prod_failing, "every prod cluster with a mandatory failure comes first"
    assert rows[0] == "aks-prod-worst"
    assert rows.index("aks-dev-noisy") >= len(prod_failing), "a noisy dev cluster never outranks a failing prod one"
    clean = [c["name"] for c in fleet.data["clusters"] if not c["failed"] and not c["warned"]]
    assert set(rows[-len(clean) :]) == set(clean), "clusters without findings come last"
    _screenshot(page, tmp_path, "audit-report-500.png")


def test_filters_change_the_visible_rows(page: Any, fleet: Fleet) -> None:
    clusters = fleet.data["clusters"]
    shown = lambda: page.find_element("id", "shown").text  # noqa: E731

    _set_filter(page, "f-env", "dev")
    assert sorted(_visible_rows(page)) == sorted(n for n, tag in fleet.tags.items() if tag == "dev")
    assert shown() == f"{len(_visible_rows(page))} of 500 clusters shown"

    _clear(page)
    _set_filter(page, "f-env", "unknown")
    unknown = sorted(n for n, tag in fleet.tags.items() if tag not in ("dev", "staging", "prod"))
    assert len(unknown) > 2 and sorted(_visible_rows(page)) == unknown

    _clear(page)
    _set_filter(page, "f-rule", "AKS-001")
    with_rule = sorted(c["name"] for c in clusters if c["cells"]["AKS-001"]["status"] in ("fail", "warn"))
    assert 1 < len(with_rule) < 500 and sorted(_visible_rows(page)) == with_rule
    _set_filter(page, "f-env", "prod")
    both = sorted(n for n in with_rule if fleet.tags[n] == "prod")
    assert 0 < len(both) < len(with_rule) and sorted(_visible_rows(page)) == both

    _clear(page)
    severity = {r["id"]: r["severity"] for r in fleet.data["rules"]}
    _set_filter(page, "f-sev", "low")
    low = sorted(
        c["name"]
        for c in clusters
        if any(cell["status"] in ("fail", "warn") and severity[rule] == "low" for rule, cell in c["cells"].items())
    )
    assert sorted(_visible_rows(page)) == low and len(low) < 500

    _clear(page)
    _set_filter(page, "f-text", SUB_NONPROD.upper())  # case does not matter
    assert sorted(_visible_rows(page)) == sorted(c["name"] for c in clusters if c["subscription"] == SUB_NONPROD)
    _set_filter(page, "f-text", "aks-untagged-team-x")
    assert _visible_rows(page) == ["aks-untagged-team-x"]
    _set_filter(page, "f-text", "no such cluster anywhere")
    assert _visible_rows(page) == [] and page.find_element("id", "none").is_displayed()

    _clear(page)
    assert len(_visible_rows(page)) == 500


def test_rule_totals_count_the_failing_clusters_and_filter_on_click(page: Any, fleet: Fleet) -> None:
    failing = sum(1 for c in fleet.data["clusters"] if c["cells"]["AKS-001"]["status"] == "fail")
    warned = sum(1 for c in fleet.data["clusters"] if c["cells"]["AKS-001"]["status"] == "warn")
    row = page.find_element("css selector", "#rule-totals tr[data-rule='AKS-001']")
    assert row.find_element("css selector", ".mandatory-total").text == str(failing)
    assert row.find_element("css selector", ".advisory-total").text == str(warned)
    row.find_element("css selector", "button").click()
    assert len(_visible_rows(page)) == failing + warned


def test_header_stays_at_the_top_and_the_page_fits_1400px(page: Any, tmp_path: Path) -> None:
    assert page.execute_script("return window.innerWidth") == WIDTH
    page.execute_script("window.scrollTo(0, document.scrollingElement.scrollHeight / 2)")
    assert page.execute_script("return window.scrollY") > 2000
    assert page.execute_script("return document.getElementById('top').getBoundingClientRect().top") == 0
    assert page.execute_script("return document.elementFromPoint(700, 5).closest('#top') !== null")
    assert page.execute_script("return document.scrollingElement.scrollWidth") <= WIDTH
    # Still no horizontal overflow with every cluster's findings open.
    page.execute_script("document.querySelectorAll('details.cluster').forEach(d => d.open = true)")
    assert page.execute_script("return document.scrollingElement.scrollWidth") <= WIDTH
    _screenshot(page, tmp_path, "audit-report-500-scrolled.png")


def test_legend_remediation_and_unknown_environment(page: Any, fleet: Fleet, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    legend = page.find_element(By.ID, "legend")
    assert legend.is_displayed()
    for word in ("mandatory", "advisory", "critical", "low", "unknown (judged as prod)"):
        assert word in legend.text
    first = page.find_element(By.ID, "c1")
    first.find_element(By.TAG_NAME, "summary").click()
    finding = first.find_element(By.CSS_SELECTOR, ".finding")
    rule = finding.get_attribute("data-rule")
    assert finding.is_displayed() and rule in fleet.cluster("aks-prod-worst")["failed"]
    assert finding.find_element(By.CSS_SELECTOR, ".remediation").text == describe(rule).remediation
    _screenshot(page, tmp_path, "audit-report-500-open.png")

    for name, tag_line in (("aks-untagged-team-x", "no environment tag"), ("aks-mistagged-0001", "tag: Production")):
        row = page.find_element(By.XPATH, f"//details[.//span[@class='name' and text()='{name}']]")
        assert row.find_element(By.CSS_SELECTOR, ".env").text == "unknown (judged as prod)"
        assert tag_line in row.text
    assert fleet.cluster("aks-untagged-team-x")["environment"] == "prod", "and the audit did judge it as prod"


def test_untrusted_text_stays_text_and_nothing_is_fetched(page: Any) -> None:
    assert page.execute_script("return window.pwned") is None
    hostile = page.execute_script(
        "return Array.from(document.querySelectorAll('.finding li')).map(e => e.textContent)"
        ".filter(t => t.includes(arguments[0]))",
        HOSTILE_BRANCH,
    )
    assert hostile, "the hostile branch name is shown as text"
    assert page.execute_script("return performance.getEntriesByType('resource').length") == 0
