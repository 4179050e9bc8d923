"""Browser tests of the Draw page's confidence note, the phone layout and the Chinese interface.

A real `streamlit run` server serves a run store holding one small trained network, and headless
Chromium draws on the canvas with the mouse, on a 1400×1000 desktop and a 390×844 phone. Each
test saves screenshots of what it checked in tests/artifacts/.
"""

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from browser_drawing import CANVAS_SELECTOR, draw_stroke, zero_points
from e2e_server import ARTIFACTS_DIR, ELEMENT_TIMEOUT, StreamlitServer, save_screenshot, wait_for_idle
from mnist_core.run_store import RunStore
from test_chinese import english_words

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1400, "height": 1000}
PHONE = {"width": 390, "height": 844}
MAIN = "[data-testid='stMain']"
SIDEBAR = "[data-testid='stSidebar']"
UNLIKE_TEXT = {"en": "This does not look like a digit", "zh": "这看起来不像一个数字"}
TITLES = {
    ("Home", "en"): "Train your first neural network", ("Home", "zh"): "训练你的第一个神经网络",
    ("Draw", "en"): "✏️ Draw a digit", ("Draw", "zh"): "✏️ 写一个数字",
}
# Waits on what the page shows instead of fixed pauses: the sidebar has slid fully in (or out), an
# element scrolled into view has stopped moving (its top the same in two animation frames).
SIDEBAR_IN_PLACE = f"() => document.querySelector(\"{SIDEBAR}\").getBoundingClientRect().left >= 0"
SIDEBAR_GONE = (f"() => {{ const box = document.querySelector(\"{SIDEBAR}\").getBoundingClientRect(); "
                "return box.right <= 0 || box.width === 0; }")
STOPPED_MOVING = """element => new Promise(resolve => {
  let last = null;
  const check = () => {
    const top = element.getBoundingClientRect().top;
    if (top === last) { resolve(top); } else { last = top; requestAnimationFrame(check); }
  };
  check();
})"""
# A finger needs this much room beside the canvas to scroll the page instead of drawing.
MIN_SCROLL_STRIP = 30


@pytest.fixture(scope="module")
def draw_server(tmp_path_factory, tiny_result):
    """A server whose store already holds one trained network, so Draw works at once."""
    runs_dir = tmp_path_factory.mktemp("draw_e2e_runs")
    RunStore(str(runs_dir)).save(tiny_result)
    server = StreamlitServer(runs_dir, ARTIFACTS_DIR / "streamlit-draw-phone-chinese.log").start()
    yield server
    server.stop()


@pytest.fixture
def open_page(browser, draw_server):
    """Returns a function opening an app path in a new browser context of a given viewport."""
    contexts = []

    def open_at(path, viewport):
        phone = viewport["width"] < 640
        context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone)
        context.set_default_timeout(ELEMENT_TIMEOUT * 1000)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{draw_server.base_url}/{path}")
        wait_for_idle(page)
        page.locator("h1").first.wait_for()
        return page

    yield open_at
    for context in contexts:
        context.close()


def choose_chinese(page):
    """Picks 中文 in the sidebar's language switch, opening the sidebar first on a phone."""
    phone = page.viewport_size["width"] < 640
    if phone:
        page.locator("[data-testid='stExpandSidebarButton']").click()
        page.locator(SIDEBAR).get_by_text("中文", exact=True).wait_for()
        page.wait_for_function(SIDEBAR_IN_PLACE)  # The sidebar slides in.
    page.locator(SIDEBAR).get_by_text("中文", exact=True).click()
    wait_for_idle(page)
    if phone:
        page.locator("[data-testid='stSidebarCollapseButton'] button").click()
        page.wait_for_function(SIDEBAR_GONE)


# The text an element shows, without the names of its Material icons (drawn from ligatures).
SHOWN_TEXT = """element => {
  const copy = element.cloneNode(true);
  copy.querySelectorAll("[data-testid='stIconMaterial'], [data-testid$='DynamicIcon']").forEach(icon => icon.remove());
  document.body.appendChild(copy);
  const text = copy.innerText;
  copy.remove();
  return text;
}"""


def draw_horizontal_line(page):
    side = page.locator(CANVAS_SELECTOR).first.bounding_box()["width"]
    draw_stroke(page, [(side * 0.1, side * 0.5), (side * 0.5, side * 0.51), (side * 0.9, side * 0.52)])
    wait_for_idle(page)


def answer_metric(page, language="en"):
    label = "The network reads" if language == "en" else "网络识别为"
    return page.locator(f"{MAIN} [data-testid='stMetric']").filter(has_text=label)


def assert_no_horizontal_overflow(page):
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"the page is {widths[0]} px wide in a {widths[1]} px window"


def test_a_horizontal_line_is_read_but_said_to_be_unlike_a_digit(open_page):
    page = open_page("Draw", DESKTOP)
    draw_horizontal_line(page)
    note = page.locator(MAIN).get_by_text(UNLIKE_TEXT["en"])
    note.wait_for()
    assert answer_metric(page).is_visible(), "the network still answers"
    alert = page.locator(f"{MAIN} [data-testid='stAlert']").filter(has_text=UNLIKE_TEXT["en"]).inner_text()
    assert "pixels tall" in alert and "softmax always picks some class" in alert
    # Each of the ten bars carries its value.
    bar_values = page.locator(f"{MAIN} .js-plotly-plot .bartext")
    bar_values.nth(9).wait_for()
    values = bar_values.all_text_contents()  # SVG text has no innerText.
    assert len(values) == 10 and all(value.strip().endswith("%") for value in values), values
    save_screenshot(page, "draw-desktop-en-line")


def draw_on_a_phone(open_page):
    """Opens Draw on a phone screen with the canvas scrolled to its middle; returns (page, canvas box)."""
    page = open_page("Draw", PHONE)
    canvas = page.locator(CANVAS_SELECTOR).first
    canvas.wait_for()
    canvas.evaluate("element => element.scrollIntoView({block: 'center'})")
    canvas.evaluate(STOPPED_MOVING)
    return page, canvas.bounding_box()


def test_on_a_phone_the_answer_is_in_view_right_after_a_stroke(open_page):
    page, box = draw_on_a_phone(open_page)
    assert box["width"] >= 0.6 * PHONE["width"], f"the canvas is only {box['width']:.0f} px wide"
    assert box["x"] >= MIN_SCROLL_STRIP and PHONE["width"] - (box["x"] + box["width"]) >= MIN_SCROLL_STRIP, box
    assert_no_horizontal_overflow(page)

    draw_stroke(page, [(x * box["width"] / 280, y * box["width"] / 280) for x, y in zero_points()])
    wait_for_idle(page)
    answer = answer_metric(page)
    answer.wait_for()
    answer_box = answer.bounding_box()
    assert 0 <= answer_box["y"] and answer_box["y"] + answer_box["height"] <= PHONE["height"], (
        f"the answer is at y={answer_box['y']:.0f}..{answer_box['y'] + answer_box['height']:.0f}, "
        f"outside the {PHONE['height']} px screen")
    assert answer.is_visible()
    save_screenshot(page, "draw-phone-en-answer")


def test_a_finger_beside_the_canvas_still_scrolls_the_page(open_page):
    page, box = draw_on_a_phone(open_page)
    scroller = "() => document.querySelector(\"[data-testid='stMain']\").scrollTop"
    before = page.evaluate(scroller)
    # A finger swipes upwards in the strip left of the canvas; Chromium's touch events go in through CDP.
    session = page.context.new_cdp_session(page)
    finger_x, start_y = box["x"] / 2, box["y"] + box["height"] / 2
    session.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": finger_x, "y": start_y}]})
    for step in range(1, 11):
        session.send("Input.dispatchTouchEvent",
                     {"type": "touchMove", "touchPoints": [{"x": finger_x, "y": start_y - 20 * step}]})
        page.wait_for_timeout(16)
    session.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    try:
        page.wait_for_function(f"({scroller})() > {before + 50}", timeout=5000)
    except PlaywrightTimeoutError:
        pass  # The assertion below says what went wrong.
    assert page.evaluate(scroller) > before + 50, "a swipe beside the canvas did not scroll the page"


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("viewport_name", ["desktop", "phone"])
@pytest.mark.parametrize("path", ["Home", "Draw"])
def test_home_and_draw_fit_the_screen_in_both_languages(open_page, path, viewport_name, language):
    viewport = DESKTOP if viewport_name == "desktop" else PHONE
    page = open_page("" if path == "Home" else path, viewport)
    if language == "zh":
        choose_chinese(page)
    assert page.locator("h1").first.inner_text().strip() == TITLES[path, language]
    if path == "Draw":
        draw_horizontal_line(page)
        page.locator(MAIN).get_by_text(UNLIKE_TEXT[language]).wait_for()
        page.locator(f"{MAIN} .js-plotly-plot .bartext").nth(9).wait_for()
    assert_no_horizontal_overflow(page)
    assert page.locator("[data-testid='stException']").count() == 0
    if language == "zh":
        assert not english_words(page.title()), page.title()
        shown = page.locator(MAIN).evaluate(SHOWN_TEXT) + "\n" + page.locator(SIDEBAR).evaluate(SHOWN_TEXT)
        lines = [line for line in shown.splitlines() if english_words(line) and "Language" not in line
                 and line.strip() != "English"]
        assert lines == [], lines
    save_screenshot(page, f"{path.lower()}-{viewport_name}-{language}")


def test_chinese_stays_chosen_across_page_switches(open_page):
    page = open_page("", DESKTOP)
    choose_chinese(page)
    page.locator(SIDEBAR).get_by_role("link", name="画数字", exact=True).click()
    wait_for_idle(page)
    assert page.locator("h1").first.inner_text().strip() == TITLES["Draw", "zh"]
    assert page.title().startswith("画数字")
    page.locator(SIDEBAR).get_by_role("link", name="首页", exact=True).click()
    wait_for_idle(page)
    assert page.locator("h1").first.inner_text().strip() == TITLES["Home", "zh"]
    assert page.locator(SIDEBAR).get_by_role("radio", name="中文").is_checked()


def shown_prompt(page):
    """Waits for the request to draw and returns the text of the main area's info alerts."""
    page.locator(MAIN).get_by_text("Draw a digit on the black canvas").wait_for()
    assert answer_metric(page).count() == 0, "a reading is still shown on an empty canvas"
    return page.locator(f"{MAIN} [data-testid='stAlert']").all_inner_texts()


def test_the_trash_icon_and_clear_give_the_same_message(open_page):
    page = open_page("Draw", DESKTOP)
    before = shown_prompt(page)
    draw_stroke(page, zero_points())
    wait_for_idle(page)
    answer_metric(page).wait_for()
    # The canvas' own toolbar names its trash icon "Reset canvas & history".
    page.locator("button[title='Reset canvas & history']").click()
    wait_for_idle(page)
    after_trash = shown_prompt(page)
    draw_stroke(page, zero_points())
    wait_for_idle(page)
    answer_metric(page).wait_for()
    page.get_by_role("button", name="Clear").click()
    wait_for_idle(page)
    assert shown_prompt(page) == after_trash == before
