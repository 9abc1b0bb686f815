"""The web console in a real browser: headless Chromium (Debian's chromium and
chromium-driver) driven by Selenium against a real gosc server with the demo inventory.

No sleeps: every wait is Selenium's explicit wait on a condition of the page.  With
GOSC_UI_SCREENSHOTS=1 the tests write PNGs of the main pages into docs/ui/.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import CLONER_USER, LIMITED_PASSWORD
from tests.support.server import ADMIN, ADMIN_PASSWORD, GoscServer
from tests.support.specs import customize_body, fixed_ip, instant_clone_body, linux_spec
from tests.support.vijson import ViClient

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "ui"
GCM = ("VirtualMachineGuestCustomizationManager", "GuestCustomizationManager")
WAIT = 60  # seconds before a wait gives up (a failure), never a speed requirement


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--ignore-certificate-errors"):
        options.add_argument(arg)
    options.add_argument("--window-size=1280,900")
    driver = webdriver.Chrome(options=options, service=Service(executable_path="/usr/bin/chromedriver"))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def state() -> dict[str, str]:
    """What one test leaves for the next (the clone made while the tasks page watched)."""
    return {}


def wait(driver: WebDriver) -> WebDriverWait[WebDriver]:
    # A live row is replaced when its task changes: an element found just before is stale.
    return WebDriverWait(driver, WAIT, ignored_exceptions=[StaleElementReferenceException])


def shot(driver: WebDriver, name: str) -> None:
    if os.environ.get("GOSC_UI_SCREENSHOTS"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(SHOTS / f"{name}.png"))


def log_in(driver: WebDriver, url: str, user: str, password: str) -> None:
    driver.get(f"{url}/ui/")
    wait(driver).until(EC.presence_of_element_located((By.ID, "userName")))
    driver.find_element(By.ID, "userName").send_keys(user)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login").click()
    wait(driver).until(EC.text_to_be_present_in_element((By.ID, "who"), user))


def log_out(driver: WebDriver) -> None:
    driver.find_element(By.ID, "logout").click()
    wait(driver).until(EC.presence_of_element_located((By.ID, "userName")))


def row_state(driver: WebDriver, task_id: str) -> str:
    try:
        return str(driver.find_element(By.CSS_SELECTOR, f"#task-{task_id} td.state").text)
    except NoSuchElementException:
        return ""


def test_log_in_and_find_demo_ubuntu_in_the_tree(server: GoscServer, browser: WebDriver) -> None:
    browser.get(f"{server.url}/ui/inventory")
    wait(browser).until(EC.url_contains("/ui/login"))  # no session: the login page
    shot(browser, "login")
    log_in(browser, server.url, ADMIN, ADMIN_PASSWORD)
    dc = browser.find_element(By.XPATH, "//li[@class='datacenter'][details/summary[contains(., 'DC0')]]")
    vm = dc.find_element(By.XPATH, ".//li[@class='vm']/a[text()='demo-ubuntu']/..")
    assert "poweredOn" in vm.text and "tools running" in vm.text
    shot(browser, "inventory")


def test_tasks_appear_and_succeed_live_while_the_page_is_open(
    server: GoscServer, vi: ViClient, browser: WebDriver, state: dict[str, str]
) -> None:
    browser.get(f"{server.url}/ui/tasks")
    wait(browser).until(EC.text_to_be_present_in_element_attribute((By.ID, "live-status"), "data-live", "yes"))
    browser.execute_script("window.goscNoReload = 'same page';")  # gone if the page reloads

    src = vi.find("DC0/vm/demo-ubuntu")
    clone_task = vi.call("VirtualMachine", src["value"], "InstantClone_Task", instant_clone_body("ui-clone"))
    wait(browser).until(lambda d: row_state(d, clone_task["value"]) == "success")
    clone = vi.wait_task(clone_task)["result"]
    state["clone"] = clone["value"]

    customize_task = vi.call(*GCM, "CustomizeGuest_Task", customize_body(clone, linux_spec("web01")))
    wait(browser).until(lambda d: row_state(d, customize_task["value"]) == "success")
    assert vi.wait_task(customize_task)["state"] == "success"
    row = browser.find_element(By.ID, f"task-{customize_task['value']}")
    assert "ui-clone" in row.text and "vm.GuestCustomizationManager.customize" in row.text
    assert browser.execute_script("return window.goscNoReload;") == "same page"
    shot(browser, "tasks")


def test_the_clones_customization_shows_the_hostname_and_network_diffs(
    server: GoscServer, browser: WebDriver, state: dict[str, str]
) -> None:
    browser.get(f"{server.url}/ui/vm/{state['clone']}")
    wait(browser).until(EC.presence_of_element_located((By.ID, "records")))
    assert "web01" in browser.find_element(By.ID, "vm-facts").text
    browser.find_element(By.CSS_SELECTOR, "#records a").click()
    wait(browser).until(EC.text_to_be_present_in_element((By.ID, "record-status"), "succeeded"))

    hostname = browser.find_element(By.CSS_SELECTOR, "section.file[data-path='/etc/hostname']")
    changed = hostname.find_element(By.CSS_SELECTOR, "tr.changed")
    assert changed.find_element(By.CSS_SELECTOR, "td.new").text == "web01"
    assert changed.find_element(By.CSS_SELECTOR, "td.old").text not in ("", "web01")
    netplan = browser.find_element(By.CSS_SELECTOR, "section.file[data-path='/etc/netplan/99-netcfg-vmware.yaml']")
    assert "192.168.10.21/24" in netplan.text
    assert "web01" in browser.find_element(By.ID, "custcfg").text
    assert "CustomizationLinuxPrep" in browser.find_element(By.ID, "spec").text
    browser.execute_script("arguments[0].scrollIntoView();", hostname)
    shot(browser, "customization")


def test_preview_shows_an_invalid_ip_with_its_path_then_runs_a_good_spec(
    server: GoscServer, vi: ViClient, browser: WebDriver, state: dict[str, str]
) -> None:
    browser.get(f"{server.url}/ui/vm/{state['clone']}/preview")
    box = wait(browser).until(EC.presence_of_element_located((By.ID, "spec")))
    bad = linux_spec("web02", nics=[fixed_ip("192.168.10.300")])
    browser.execute_script("arguments[0].value = arguments[1];", box, json.dumps(bad, indent=1))
    browser.find_element(By.ID, "check").click()
    problems = wait(browser).until(EC.presence_of_element_located((By.ID, "problems")))
    assert "spec.nicSettingMap[0].adapter.ip.ipAddress" in problems.text
    assert "192.168.10.300" in problems.text
    assert not browser.find_elements(By.ID, "run")  # nothing to run while the spec has problems
    shot(browser, "preview-problems")

    good = linux_spec("web02", nics=[fixed_ip("192.168.10.22", gateway="192.168.10.1")])
    box = browser.find_element(By.ID, "spec")
    browser.execute_script("arguments[0].value = arguments[1];", box, json.dumps(good, indent=1))
    browser.find_element(By.ID, "check").click()
    hostname = wait(browser).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, "section.file[data-path='/etc/hostname']"))
    )
    assert hostname.find_element(By.CSS_SELECTOR, "tr.changed td.old").text == "web01"
    assert hostname.find_element(By.CSS_SELECTOR, "tr.changed td.new").text == "web02"
    assert vi.get("VirtualMachine", state["clone"], "guest")["hostName"] == "web01"  # the preview changed nothing
    browser.execute_script("arguments[0].scrollIntoView();", hostname)
    shot(browser, "preview-diff")

    browser.find_element(By.ID, "guestPassword").send_keys("VMware1!")
    browser.find_element(By.ID, "run").click()
    wait(browser).until(EC.url_contains("/ui/tasks"))
    task_id = browser.current_url.rsplit("#task-", 1)[1]
    wait(browser).until(lambda d: row_state(d, task_id) == "success")
    assert vi.get("VirtualMachine", state["clone"], "guest")["hostName"] == "web02"


def test_the_event_log_filters_by_entity_and_type(server: GoscServer, browser: WebDriver) -> None:
    browser.get(f"{server.url}/ui/events")
    browser.find_element(By.ID, "entity").send_keys("ui-clone")
    browser.find_element(By.CSS_SELECTOR, "#type option[value='CustomizationSucceeded']").click()
    browser.find_element(By.ID, "filter").click()
    wait(browser).until(EC.url_contains("type=CustomizationSucceeded"))
    rows = browser.find_elements(By.CSS_SELECTOR, "#events tbody tr")
    assert len(rows) == 2 and all("CustomizationSucceeded" in r.text and "ui-clone" in r.text for r in rows)
    shot(browser, "events")


def test_a_user_without_privileges_on_a_vm_does_not_see_it_then_logs_out(
    server: GoscServer, vi: ViClient, browser: WebDriver
) -> None:
    hidden = vi.find("DC0/vm/demo-ubuntu")["value"]
    browser.get(f"{server.url}/ui/inventory")
    log_out(browser)
    log_in(browser, server.url, CLONER_USER, LIMITED_PASSWORD)  # NoAccess on demo-ubuntu (tests/conftest.py)
    tree = browser.find_element(By.ID, "tree")
    assert tree.find_elements(By.LINK_TEXT, "demo-debian")
    assert not tree.find_elements(By.LINK_TEXT, "demo-ubuntu")
    assert "demo-ubuntu" not in browser.page_source
    browser.get(f"{server.url}/ui/vm/{hidden}")  # not there for this user, as its API read is not
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "No such virtual machine" in main, main
    log_out(browser)
    browser.get(f"{server.url}/ui/inventory")
    wait(browser).until(EC.url_contains("/ui/login"))
