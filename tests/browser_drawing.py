"""Drawing on the Draw page's canvas with Playwright's mouse, for the browser tests.

streamlit-drawable-canvas 0.13 renders three <canvas> elements in an open shadow root; the top
one, `canvas.upper-canvas`, takes the mouse. Playwright's CSS locators pierce open shadow roots,
so no frame or shadow handling is needed. Points are (x, y) in canvas pixels from its top-left
corner, on the 280×280 canvas of `pages/3_Draw.py`.
"""

import math

CANVAS_SELECTOR = "canvas.upper-canvas"
CANVAS_SIDE = 280  # The Draw page's canvas side in pixels.
# Mouse events between two points; Fabric.js smooths a free-drawn path through them.
STEPS_PER_SEGMENT = 4
# Whether the element on top at page point (x, y), looking into shadow roots, matches a selector.
_TOPMOST_MATCHES = """([x, y, selector]) => {
  let element = document.elementFromPoint(x, y);
  while (element && element.shadowRoot) {
    const inner = element.shadowRoot.elementFromPoint(x, y);
    if (!inner || inner === element) break;
    element = inner;
  }
  return Boolean(element && element.matches(selector));
}"""


def canvas_box(page, selector=CANVAS_SELECTOR):
    """Returns the canvas' page rectangle (x, y, width, height), once it is visible."""
    canvas = page.locator(selector).first
    canvas.wait_for(state="visible")
    return canvas.bounding_box()


def draw_stroke(page, points, selector=CANVAS_SELECTOR):
    """Draws one free-hand stroke through `points`, pressing at the first and releasing at the last.

    The canvas sends the drawing to Streamlit on mouse up, which reruns the page. Until the
    pointer is over the canvas, the component's toolbar card covers the canvas' top-right corner
    and would swallow a press there, so the pointer hovers the canvas first and the stroke starts
    once the canvas is on top at its first point.
    """
    if len(points) < 1:
        raise ValueError(f"A stroke needs at least one point, got {points!r}.")
    box = canvas_box(page, selector)
    left, top = box["x"], box["y"]
    page.mouse.move(left + box["width"] / 2, top + box["height"] / 2)
    first_x, first_y = points[0]
    page.wait_for_function(_TOPMOST_MATCHES, arg=[left + first_x, top + first_y, selector])
    page.mouse.move(left + first_x, top + first_y)
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(left + x, top + y, steps=STEPS_PER_SEGMENT)
    page.mouse.up()


def one_points(side=CANVAS_SIDE):
    """Returns a slightly slanted vertical stroke over the middle 70% of the canvas height."""
    return [(side * (0.52 - 0.04 * share), side * (0.15 + 0.7 * share)) for share in _shares(12)]


def zero_points(side=CANVAS_SIDE):
    """Returns a closed, upright oval filling most of the canvas, drawn anticlockwise from the top."""
    centre_x, centre_y = side / 2, side / 2
    radius_x, radius_y = side * 0.24, side * 0.33
    return [
        (centre_x - radius_x * math.sin(angle), centre_y - radius_y * math.cos(angle))
        for angle in (2 * math.pi * share * 1.05 for share in _shares(36))
    ]


def draw_one(page, selector=CANVAS_SELECTOR):
    """Draws a "1": one nearly vertical stroke."""
    draw_stroke(page, one_points(), selector)


def draw_zero(page, selector=CANVAS_SELECTOR):
    """Draws a "0": one closed loop, overlapping a little where it started."""
    draw_stroke(page, zero_points(), selector)


def _shares(count):
    """Returns `count` evenly spaced fractions from 0 to 1 inclusive."""
    return [index / (count - 1) for index in range(count)]
