"""Drawings that are not digits, on a 280×280 canvas, for the likeness tests and bench.

Horizontal lines, random scribbles and capital letters, each drawn with the Draw page's 20-pixel
pen, white on black, as a student would draw them. Shared by `tests/test_likeness.py` and
`bench/bench_likeness.py`, so the rates the tests assert and the bench prints use the same shapes.
"""

import numpy as np
from PIL import Image, ImageDraw

CANVAS_SIZE = 280  # Side of the dashboard's drawing canvas in pixels.
PEN_WIDTH = 20  # The Draw page's pen.
# Capital letters as pen strokes on the 280×280 canvas, leaving out those that are also digits
# (O, I, S, Z, B, G) or a digit's twin turned (L, C, U, J, D, P, Q, R).
LETTER_STROKES = {
    "A": [[(60, 250), (140, 30), (220, 250)], [(95, 160), (185, 160)]],
    "E": [[(200, 30), (80, 30), (80, 250), (200, 250)], [(80, 140), (180, 140)]],
    "F": [[(200, 30), (80, 30), (80, 250)], [(80, 140), (180, 140)]],
    "H": [[(70, 30), (70, 250)], [(210, 30), (210, 250)], [(70, 140), (210, 140)]],
    "K": [[(80, 30), (80, 250)], [(210, 30), (80, 150), (210, 250)]],
    "M": [[(50, 250), (60, 30), (140, 180), (220, 30), (230, 250)]],
    "N": [[(70, 250), (70, 30), (210, 250), (210, 30)]],
    "T": [[(50, 40), (230, 40)], [(140, 40), (140, 250)]],
    "V": [[(60, 30), (140, 250), (220, 30)]],
    "W": [[(40, 30), (90, 250), (140, 90), (190, 250), (240, 30)]],
    "X": [[(60, 30), (220, 250)], [(220, 30), (60, 250)]],
    "Y": [[(60, 30), (140, 140), (220, 30)], [(140, 140), (140, 250)]],
}
UNLIKE_KINDS = ("horizontal_line", "scribble", "letter")


def draw_strokes(strokes, pen_width=PEN_WIDTH):
    """Draws polylines of (x, y) canvas points with a round pen; returns (280, 280) uint8."""
    canvas = Image.new("L", (CANVAS_SIZE, CANVAS_SIZE), 0)
    pen = ImageDraw.Draw(canvas)
    radius = pen_width / 2
    for stroke in strokes:
        pen.line(stroke, fill=255, width=pen_width, joint="curve")
        for x, y in (stroke[0], stroke[-1]):
            pen.ellipse((x - radius, y - radius, x + radius, y + radius), fill=255)
    return np.asarray(canvas)


def horizontal_line(rng):
    """A line across most of the canvas at any height, tilted by at most a few degrees."""
    left, right = int(rng.integers(10, 90)), int(rng.integers(190, 270))
    height, tilt = int(rng.integers(40, 240)), int(rng.integers(-12, 13))
    return draw_strokes([[(left, height), (right, height + tilt)]])


def scribble(rng):
    """One stroke zigzagging through 6 to 14 random points of the canvas' middle."""
    points = [tuple(int(value) for value in rng.integers(30, 250, 2)) for _ in range(rng.integers(6, 15))]
    return draw_strokes([points])


def letter(rng, name=None):
    """A capital letter from LETTER_STROKES, each point moved by up to 12 pixels as a hand would."""
    name = name or rng.choice(sorted(LETTER_STROKES))
    strokes = [[(x + int(rng.integers(-12, 13)), y + int(rng.integers(-12, 13))) for x, y in stroke]
               for stroke in LETTER_STROKES[name]]
    return draw_strokes(strokes)


def make_unlike(kind, count, seed=0):
    """Returns `count` canvases of one kind from UNLIKE_KINDS.

    Raises:
        ValueError: If `kind` is not one of UNLIKE_KINDS.
    """
    makers = {"horizontal_line": horizontal_line, "scribble": scribble, "letter": letter}
    if kind not in makers:
        raise ValueError(f"kind must be one of {', '.join(UNLIKE_KINDS)}, got {kind!r}.")
    rng = np.random.default_rng(seed)
    return [makers[kind](rng) for _ in range(count)]
