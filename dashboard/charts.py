"""Plotly figures of Draw's probabilities and 28×28 images, and of Results' first-layer weights."""

import numpy as np
import plotly.express as px
import plotly.graph_objects as go

from dashboard import glossary


def probabilities_figure(probabilities, class_names, value_labels=None):
    """A bar chart of the ten class probabilities, the top one highlighted, each value printed on its bar.

    Args:
        probabilities: ten probabilities that add up to 1.
        class_names: the ten class names, in label order.
        value_labels: the text printed above each bar; one decimal percentages by default.
    """
    probabilities = np.asarray(probabilities, dtype=float)
    labels = value_labels or [f"{value:.1%}" for value in probabilities]
    colours = ["#d62728" if index == probabilities.argmax() else "#1f77b4" for index in range(len(probabilities))]
    figure = go.Figure(
        go.Bar(x=[str(name) for name in class_names], y=probabilities, marker_color=colours,
               text=labels, textposition="outside", cliponaxis=False, textfont={"size": 11},
               hovertemplate="%{x}: %{y:.1%}<extra></extra>")
    )
    # The headroom above 100% keeps the top bar's value inside the chart.
    figure.update_layout(height=260, margin={"t": 10, "b": 10, "l": 10, "r": 10},
                         yaxis={"range": [0, 1.15], "tickformat": ".0%", "tickvals": [0, 0.25, 0.5, 0.75, 1]})
    figure.update_xaxes(type="category")
    return figure


def image_figure(image, title="", colorscale="gray", zero_centred=False):
    """A small image (28×28 or any 2-D array) drawn large with its pixel values on hover."""
    image = np.asarray(image, dtype=float)
    limit = float(np.abs(image).max()) or 1.0
    colour_range = {"zmin": -limit, "zmax": limit} if zero_centred else {"zmin": 0, "zmax": max(1.0, image.max())}
    figure = go.Figure(go.Heatmap(z=image, colorscale=colorscale, showscale=False, **colour_range,
                                  hovertemplate="row %{y}, col %{x}: %{z:.2f}<extra></extra>"))
    figure.update_layout(height=260, width=260, margin={"t": 30 if title else 5, "b": 5, "l": 5, "r": 5},
                         title={"text": title, "font": {"size": 13}})
    figure.update_yaxes(autorange="reversed", visible=False, scaleanchor="x")
    figure.update_xaxes(visible=False)
    return figure


def saliency_figure(pixel_map, title=""):
    """A 28×28 gradient × input map in red (towards the answer) and blue (away), white at zero.

    The values are small, often below 0.01, so the hover shows three significant digits.
    """
    figure = image_figure(pixel_map, title, colorscale="RdBu_r", zero_centred=True)
    figure.update_traces(hovertemplate="row %{y}, col %{x}: %{z:+.3g}<extra></extra>")
    return figure


def weights_mosaic(weights, columns=8):
    """Returns every unit's weights side by side in one 2-D array, each scaled to its own strongest weight.

    Args:
        weights: (units, rows, cols) first-layer weights, one 28×28 image per unit.
        columns: units per row of the mosaic.

    Returns:
        (mosaic, units): the mosaic, with values in [-1, 1] and a one-pixel NaN gap around each
        unit (drawn blank), and the unit number (from 1) of every mosaic pixel, 0 in the gaps.
    """
    weights = np.asarray(weights, dtype=float)
    count, rows, cols = weights.shape
    limits = np.abs(weights).reshape(count, -1).max(axis=1)
    scaled = weights / np.where(limits > 0, limits, 1.0)[:, np.newaxis, np.newaxis]
    grid_rows = -(-count // columns)
    mosaic = np.full((grid_rows * (rows + 1) + 1, columns * (cols + 1) + 1), np.nan)
    units = np.zeros(mosaic.shape, dtype=int)
    for index in range(count):
        top, left = 1 + (index // columns) * (rows + 1), 1 + (index % columns) * (cols + 1)
        mosaic[top:top + rows, left:left + cols] = scaled[index]
        units[top:top + rows, left:left + cols] = index + 1
    return mosaic, units


def weights_figure(weights, columns=8):
    """All first-layer units in one heatmap: red excites a unit, blue inhibits it, white is zero.

    One figure instead of one image per unit, so the browser draws a single chart; Plotly's own
    diverging colour scale centred on zero does the colouring, and the hover names the unit.
    """
    mosaic, units = weights_mosaic(weights, columns)
    figure = px.imshow(mosaic, color_continuous_scale="RdBu_r", color_continuous_midpoint=0, zmin=-1, zmax=1,
                       aspect="equal")
    figure.update_traces(customdata=units, hovertemplate=glossary.tr(
        "unit %{customdata}: %{z:+.2f} of its strongest weight<extra></extra>",
        "单元 %{customdata}：为其最强权重的 %{z:+.2f} 倍<extra></extra>"))
    figure.update_layout(coloraxis_showscale=False, margin={"t": 5, "b": 5, "l": 5, "r": 5},
                         height=int(mosaic.shape[0] * 560 / mosaic.shape[1]) + 10, plot_bgcolor="#bbbbbb")
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    return figure
