"""Tests for mnist_core.preprocess: canvases, scans and files become MNIST-like 28×28 inputs."""

import re

import numpy as np
import pytest
from PIL import Image, ImageDraw
from scipy import ndimage

import drawing_variants
from mnist_core.image_files import load_image_file
from mnist_core.preprocess import EMPTY_MESSAGE, preprocess_drawing

CANVAS = 280
SEVEN = [(60, 50), (220, 50), (120, 240)]
ONE = [(140, 40), (140, 240)]


def draw(points, width=18, canvas=CANVAS):
    """Draws a polyline in white on a black canvas, as the dashboard's white pen does."""
    picture = Image.new("L", (canvas, canvas), 0)
    ImageDraw.Draw(picture).line(points, fill=255, width=width, joint="curve")
    return np.asarray(picture)


def ink_box_sides(image, threshold=0.1):
    rows = np.flatnonzero(image.max(axis=1) > threshold)
    columns = np.flatnonzero(image.max(axis=0) > threshold)
    return rows[-1] - rows[0] + 1, columns[-1] - columns[0] + 1


def shifted(points, dx, dy, scale=1.0):
    return [(x * scale + dx, y * scale + dy) for x, y in points]


def test_output_is_28x28_float32_in_unit_range():
    result = preprocess_drawing(draw(SEVEN))
    assert result.image.shape == (28, 28)
    assert result.image.dtype == np.float32
    assert result.image.min() >= 0.0 and result.image.max() <= 1.0
    assert result.image.max() > 0.9
    assert not result.is_empty and result.message == ""


def test_steps_are_named_in_pipeline_order():
    canvas = draw(SEVEN)
    result = preprocess_drawing(canvas)
    assert list(result.steps) == ["ink", "cropped", "fitted", "centred"]
    assert result.steps["ink"].shape == canvas.shape
    assert max(result.steps["fitted"].shape) == 20
    np.testing.assert_array_equal(result.steps["centred"], result.image)


@pytest.mark.parametrize(
    "points",
    [SEVEN, ONE, shifted(SEVEN, 0, 0, 0.3), shifted(SEVEN, 180, 170, 0.3)],
    ids=["seven", "one", "small_seven_top_left", "small_seven_bottom_right"],
)
def test_centre_of_mass_is_at_the_centre(points):
    image = preprocess_drawing(draw(points, width=8)).image
    centre_row, centre_column = ndimage.center_of_mass(image)
    assert abs(centre_row - 14) <= 1 and abs(centre_column - 14) <= 1


@pytest.mark.parametrize("points", [SEVEN, ONE, shifted(SEVEN, 180, 170, 0.3)])
def test_ink_fits_a_20_pixel_box(points):
    rows, columns = ink_box_sides(preprocess_drawing(draw(points, width=8)).image)
    assert 19 <= max(rows, columns) <= 20


def test_alpha_only_canvas_matches_white_on_black():
    ink = draw(SEVEN)
    white_on_black = np.stack([ink, ink, ink, np.full_like(ink, 255)], axis=-1)
    black_on_transparent = np.stack([0 * ink, 0 * ink, 0 * ink, ink], axis=-1)
    expected = preprocess_drawing(white_on_black).image
    np.testing.assert_allclose(preprocess_drawing(black_on_transparent).image, expected, atol=1e-6)
    np.testing.assert_allclose(preprocess_drawing(ink).image, expected, atol=1e-6)


def test_dark_on_light_scan_is_inverted():
    ink = draw(SEVEN)
    expected = preprocess_drawing(ink).image
    black_on_white = np.stack([255 - ink] * 3, axis=-1)
    np.testing.assert_allclose(preprocess_drawing(black_on_white).image, expected, atol=1e-6)
    # Grey paper and grey pencil still give the same digit once the paper level is removed.
    pencil_on_grey = (200 - ink * (170 / 255)).astype(np.uint8)
    correlation = np.corrcoef(preprocess_drawing(pencil_on_grey).image.ravel(), expected.ravel())
    assert correlation[0, 1] > 0.98


def test_float_and_channel_layouts_agree():
    ink = draw(SEVEN)
    expected = preprocess_drawing(ink).image
    for layout in (ink[..., np.newaxis], ink.astype(np.float32) / 255, np.stack([ink] * 3, -1)):
        np.testing.assert_allclose(preprocess_drawing(layout).image, expected, atol=1e-5)


def test_real_mnist_digits_come_out_nearly_unchanged():
    images, _ = drawing_variants.load_mnist_arrays("test[:200]")
    correlations = [
        np.corrcoef(preprocess_drawing(image).image.ravel(), image.ravel() / 255.0)[0, 1]
        for image in images
    ]
    assert np.median(correlations) > 0.97
    assert np.percentile(correlations, 5) > 0.85


def test_fine_pen_is_thickened_to_mnist_width():
    bold = preprocess_drawing(draw(SEVEN, width=24)).image
    hairline = preprocess_drawing(draw(SEVEN, width=2)).image
    assert hairline.max() > 0.9
    assert 0.5 < hairline.sum() / bold.sum() < 1.2


def dot():
    canvas = np.zeros((CANVAS, CANVAS), np.uint8)
    rows, columns = np.ogrid[:CANVAS, :CANVAS]
    canvas[(rows - 140) ** 2 + (columns - 140) ** 2 <= 10**2] = 255
    return canvas


@pytest.mark.parametrize(
    "canvas",
    [
        np.zeros((CANVAS, CANVAS), np.uint8),
        np.zeros((CANVAS, CANVAS, 4), np.uint8),
        np.full((CANVAS, CANVAS, 3), 255, np.uint8),
        dot(),
        draw([(100, 100), (108, 104)], width=3),
        draw([(30, 30), (30, 31)], width=1) // 4,
    ],
    ids=["black", "transparent", "white_paper", "dot", "tiny_stroke", "faint_speck"],
)
@pytest.mark.parametrize("mnist_style", [True, False])
def test_empty_or_stray_marks_are_empty(canvas, mnist_style):
    result = preprocess_drawing(canvas, mnist_style=mnist_style)
    assert result.is_empty
    assert result.message == EMPTY_MESSAGE == "Nothing to recognise: draw a digit"
    assert result.image.shape == (28, 28) and not result.image.any()


@pytest.mark.parametrize("width", [3, 12])
def test_thin_tall_one_is_not_empty(width):
    result = preprocess_drawing(draw(ONE, width=width))
    assert not result.is_empty
    rows, columns = ink_box_sides(result.image)
    assert rows >= 19 and columns <= 8


def test_naive_style_only_resizes_the_canvas():
    corner_seven = draw(shifted(SEVEN, 180, 170, 0.3), width=8)
    result = preprocess_drawing(corner_seven, mnist_style=False)
    assert list(result.steps) == ["ink", "resized"]
    centre_row, centre_column = ndimage.center_of_mass(result.image)
    assert centre_row > 18 and centre_column > 18
    assert max(ink_box_sides(result.image)) <= 8


@pytest.mark.parametrize(
    "bad, fragment",
    [
        (np.zeros((280, 280, 2), np.uint8), "(280, 280, 2)"),
        (np.zeros(280, np.uint8), "(280,)"),
        (np.zeros((1, 280, 280, 4), np.uint8), "(1, 280, 280, 4)"),
        (np.zeros((5, 280), np.uint8), "(5, 280)"),
        (np.full((28, 28), "x"), "dtype <U1"),
        (np.zeros((28, 28), bool), "dtype bool"),
        (np.full((28, 28), 255.0), "0 to 1, got 255.0 to 255.0"),
        (np.full((28, 28), -1, np.int32), "0 to 255, got -1 to -1"),
        (np.full((28, 28), np.nan), "got nan to nan"),
    ],
)
def test_bad_inputs_raise_value_error_naming_them(bad, fragment):
    with pytest.raises(ValueError, match=re.escape(fragment)):
        preprocess_drawing(bad)


def test_load_png_with_alpha_round_trips(tmp_path):
    ink = draw(SEVEN)
    rgba = np.stack([0 * ink, 0 * ink, 0 * ink, ink], axis=-1)
    path = tmp_path / "canvas.png"
    Image.fromarray(rgba, "RGBA").save(path)
    loaded = load_image_file(path)
    np.testing.assert_array_equal(loaded, rgba)
    np.testing.assert_allclose(
        preprocess_drawing(loaded).image, preprocess_drawing(ink).image, atol=1e-6
    )


def test_load_jpeg_scan_gives_the_same_digit(tmp_path):
    ink = draw(SEVEN)
    gray_path, colour_path = tmp_path / "scan.jpg", tmp_path / "photo.jpeg"
    Image.fromarray(255 - ink, "L").save(gray_path, quality=90)
    Image.fromarray(np.stack([255 - ink] * 3, -1), "RGB").save(colour_path, quality=90)
    expected = preprocess_drawing(ink).image.ravel()
    for path, shape in ((gray_path, (CANVAS, CANVAS)), (colour_path, (CANVAS, CANVAS, 3))):
        loaded = load_image_file(path)
        assert loaded.shape == shape and loaded.dtype == np.uint8
        correlation = np.corrcoef(preprocess_drawing(loaded).image.ravel(), expected)[0, 1]
        assert correlation > 0.98


def test_load_missing_file_names_the_path(tmp_path):
    missing = tmp_path / "nowhere.png"
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        load_image_file(missing)


def test_load_garbage_file_is_not_an_image(tmp_path):
    garbage = tmp_path / "notes.png"
    garbage.write_bytes(b"this is not a picture at all")
    with pytest.raises(ValueError, match=re.escape(f"{garbage} is not a PNG or JPEG image")):
        load_image_file(garbage)
