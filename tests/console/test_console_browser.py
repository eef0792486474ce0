"""The console in a real headless Chromium, over the end state of `dev simulate --failing`.

The story the console exists for: a release engineer whose Release failed opens the
console and finds why (the violated rule's title and its solution) from the start page
in at most three clicks. The same tests take the screenshots in docs/console.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import chromium
from console_support import ServedConsole
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from konflux.controllers import constants as c

RULE_CODE = "release.labels.required_labels"
RULE_TITLE = "Required labels"
RULE_SOLUTION = "Add the label with a LABEL instruction in the Containerfile."


def login(driver: Any, served: ServedConsole, user: str = "admin") -> None:
    """The login form, as a person uses it: paste the token, press the button."""
    driver.get(served.url + "/")
    assert "/login" in driver.current_url
    driver.find_element(By.ID, "token").send_keys(served.tokens[user])
    driver.find_element(By.CSS_SELECTOR, "form.login button").click()
    WebDriverWait(driver, 10).until(lambda d: "/login" not in d.current_url)


def shot(driver: Any, directory: Path, name: str) -> None:
    path = directory / f"{name}.png"
    # The whole page, not only the window: the report is below the fold.
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, max(900, min(int(height) + 40, 4000)))
    assert driver.save_screenshot(str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    driver.set_window_size(1280, 1000)


def main_text(driver: Any) -> str:
    return driver.find_element(By.ID, "main").text


def test_dev_simulate_console_serves_the_flow_while_it_runs(simulated):
    assert not simulated.result.released
    served_ok = [body for status, body in simulated.during if status == 200]
    assert served_ok, simulated.during[:3]
    assert any("demo-app" in body for body in served_ok)
    kinds = {e["object"]["kind"] for e in simulated.dump}
    assert {"Application", "Snapshot", "Release", "PipelineRun", "TaskRun"} <= kinds


@pytest.fixture(scope="module")
def logged_in(browser, failing_world):
    browser.delete_all_cookies()
    login(browser, failing_world)
    return browser


def test_failing_release_is_found_from_the_start_page_in_three_clicks(
    logged_in, failing_world, screenshots
):
    driver, clicks = logged_in, 0
    driver.get(failing_world.url + "/")
    shot(driver, screenshots, "1-start")
    # The start page says which application's release failed.
    failed_app = driver.find_element(
        By.XPATH, "//ul[@class='apps']/li[.//span[contains(@class,'bad')]]/a"
    )
    assert failed_app.text == "demo-app"
    failed_app.click()
    clicks += 1
    shot(driver, screenshots, "2-application")
    failed_release = driver.find_element(
        By.XPATH, "//table[@class='releases']//tr[.//span[contains(@class,'bad')]]//a"
    )
    failed_release.click()
    clicks += 1
    text = main_text(driver)
    assert "Release processing failed on managed pipelineRun" in text
    assert RULE_TITLE in text and RULE_SOLUTION in text
    assert 'The required label "vendor" is missing' in text
    assert clicks <= 3
    shot(driver, screenshots, "3-release")


def test_reports_of_test_runs_and_snapshots_are_one_click_further(
    logged_in, failing_world, screenshots
):
    driver = logged_in
    (snapshot,) = [e["object"] for e in failing_world.dump if e["object"]["kind"] == "Snapshot"]
    driver.get(f"{failing_world.url}/ns/demo-tenant/snapshots/{snapshot['metadata']['name']}")
    assert "TestFail" in main_text(driver)
    shot(driver, screenshots, "4-snapshot")
    driver.find_element(By.PARTIAL_LINK_TEXT, "-conforma").click()
    text = main_text(driver)
    assert RULE_TITLE in text and RULE_SOLUTION in text
    assert "result REPORT_JSON" in text
    shot(driver, screenshots, "5-test-pipelinerun")


def test_policy_page_and_rule_browser_search(logged_in, failing_world, screenshots):
    driver = logged_in
    driver.get(failing_world.url + "/ns/demo-managed/policies/demo-policy")
    text = main_text(driver)
    assert RULE_CODE in text and "required_labels" in text  # the rule and its rule data
    shot(driver, screenshots, "6-policy")
    driver.get(failing_world.url + "/rules")
    box = driver.find_element(By.NAME, "q")
    box.send_keys("provenance")
    box.submit()
    WebDriverWait(driver, 10).until(lambda d: "q=provenance" in d.current_url)
    codes = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".rule .code")]
    assert any("provenance" in code for code in codes) and RULE_CODE not in codes
    shot(driver, screenshots, "7-rules")


def test_namespace_page_is_one_click_from_the_start_page(logged_in, failing_world, screenshots):
    driver = logged_in
    driver.get(failing_world.url + "/")
    driver.find_element(By.LINK_TEXT, "demo-tenant").click()
    WebDriverWait(driver, 10).until(lambda d: d.current_url.endswith("/ns/demo-tenant"))
    text = main_text(driver)
    assert "Namespace demo-tenant" in text
    assert "demo-app" in text and "to-production" in text  # its Application and ReleasePlan
    apps = driver.find_elements(
        By.CSS_SELECTOR, "section a[href='/ns/demo-tenant/applications/demo-app']"
    )
    assert apps
    shot(driver, screenshots, "8-namespace")


def test_pages_update_live_without_a_reload(logged_in, failing_world):
    driver = logged_in
    driver.get(failing_world.url + "/ns/demo-tenant/applications/demo-app")
    driver.execute_script("window.__same_page = true")

    async def new_release(cluster):
        await cluster.client.create(
            c.RELEASE,
            {
                "apiVersion": c.RELEASE.api_version,
                "kind": c.RELEASE.kind,
                "metadata": {"name": "manual-retry", "namespace": "demo-tenant"},
                "spec": {"snapshot": "any", "releasePlan": "to-production"},
            },
        )

    failing_world.call(new_release)
    WebDriverWait(driver, 15).until(lambda d: "manual-retry" in main_text(d))
    assert driver.execute_script("return window.__same_page") is True


def test_pages_read_without_javascript(failing_world, tmp_path, screenshots):
    driver = chromium(tmp_path / "profile", javascript=False)
    try:
        login(driver, failing_world)
        (release,) = [
            e["object"]["metadata"]["name"]
            for e in failing_world.dump
            if e["object"]["kind"] == "Release"
        ]
        driver.get(f"{failing_world.url}/ns/demo-tenant/releases/{release}")
        text = main_text(driver)
        assert RULE_TITLE in text and RULE_SOLUTION in text
        assert not driver.find_element(By.ID, "live").is_displayed()  # the script never ran
        driver.get(failing_world.url + "/login")
        shot(driver, screenshots, "0-login")
    finally:
        driver.quit()
