"""Browser tests of the navigation: a link to any page works as the first request a fresh server gets.

Streamlit 1.67 serves the files in pages/ as file-based pages, without the entrypoint, when a fresh
server's first request is a deep link (see dashboard/navigation.py); only a test that opens the
link first, on a server of its own, shows whether the page still comes with its tab title,
navigation and sidebar. Each test saves a screenshot of its last state in tests/artifacts/.
"""

import pytest

from e2e_server import wait_for_idle

pytestmark = pytest.mark.e2e

SIDEBAR = "[data-testid='stSidebar']"
NAVIGATION = "[data-testid='stSidebarNav']"
NAMES = {"en": ["Home", "Train", "Results", "Draw", "Sweep"], "zh": ["首页", "训练", "结果", "画数字", "扫参"]}
ACTIVE_RUN = {"en": "Active run", "zh": "当前运行"}
# (link, the page's own heading, the language the link asks for, how the browser tab's title starts).
DEEP_LINKS = [
    ("Train?hidden_size=64&epochs=3", "Train a network", "en", "Train · MNIST dashboard"),
    ("Results?lang=zh", "结果", "zh", "结果 · MNIST 仪表盘"),
    ("Draw", "✏️ Draw a digit", "en", "Draw · MNIST dashboard"),
    ("Sweep?lang=zh", "扫描一个设置", "zh", "扫参 · MNIST 仪表盘"),
    ("?lang=zh", "训练你的第一个神经网络", "zh", "MNIST 仪表盘"),
]


def open_link(page, base_url, link):
    """Opens `link` of the app and waits until its script has run and a heading shows."""
    page.goto(f"{base_url}/{link}")
    wait_for_idle(page)
    page.locator("h1").first.wait_for()


def assert_in_the_app_frame(page, link, heading, language, tab_title):
    """Checks the page's heading, tab title, navigation, sidebar and address after opening `link`."""
    assert page.locator("h1").first.inner_text().strip() == heading
    assert page.title() == tab_title
    navigation = page.locator(NAVIGATION)
    # The icons are aria-hidden, so a link's accessible name is its label alone.
    for name in NAMES[language]:
        navigation.get_by_role("link", name=name, exact=True).wait_for()
    assert navigation.get_by_role("link").count() == len(NAMES[language])
    sidebar = page.locator(SIDEBAR)
    sidebar.get_by_text(ACTIVE_RUN[language], exact=True).wait_for()
    assert sidebar.get_by_role("radio", name="中文").is_checked() == (language == "zh")
    assert page.url.endswith(f"/{link}"), f"the address lost the link's page or query string: {page.url}"
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.get_by_role("dialog").count() == 0, page.get_by_role("dialog").first.inner_text()


@pytest.mark.parametrize("link, heading, language, tab_title", DEEP_LINKS, ids=[link for link, *_ in DEEP_LINKS])
def test_a_link_opened_first_on_a_fresh_server_shows_its_page_in_the_app(
        fresh_server, new_page, link, heading, language, tab_title):
    page = new_page()
    open_link(page, fresh_server.base_url, link)
    assert_in_the_app_frame(page, link, heading, language, tab_title)
    if link.startswith("Train"):
        # The settings in the link reach the page, not only the address bar.
        for key, value in (("hidden_size", "64"), ("epochs", "3")):
            assert page.locator(f".st-key-{key} [data-testid='stSliderThumbValue']").inner_text() == value

    # The next visitor of the same server gets the same frame, whichever page they open.
    later = new_page()
    open_link(later, fresh_server.base_url, "Draw?lang=zh")
    assert_in_the_app_frame(later, "Draw?lang=zh", "✏️ 写一个数字", "zh", "画数字 · MNIST 仪表盘")


def test_the_navigation_switches_pages_and_keeps_the_language(fresh_server, page):
    open_link(page, fresh_server.base_url, "Sweep?lang=zh")
    page.locator(NAVIGATION).get_by_role("link", name="训练", exact=True).click()
    wait_for_idle(page)
    page.get_by_role("heading", name="训练一个网络", exact=True).wait_for()
    assert_in_the_app_frame(page, "Train?lang=zh", "训练一个网络", "zh", "训练 · MNIST 仪表盘")
    page.locator(NAVIGATION).get_by_role("link", name="首页", exact=True).click()
    wait_for_idle(page)
    page.get_by_role("heading", name="训练你的第一个神经网络", exact=True).wait_for()
    assert_in_the_app_frame(page, "?lang=zh", "训练你的第一个神经网络", "zh", "MNIST 仪表盘")
