"""Plotly figures of training: loss and accuracy curves of one or several runs, and sweep results."""

import math

import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from dashboard import glossary

_COLOURS = qualitative.Plotly
# One run's training and validation curves differ in colour, not only in dash.
TRAIN_COLOUR = "#1f77b4"
VALIDATION_COLOUR = "#ff7f0e"
# Plotly's hover toolbar sits over the chart titles; dragging still zooms and a double click resets.
PLOTLY_CONFIG = {"displayModeBar": False}
# Pixels of a Vega-Lite curves chart, legend included; the plot itself gets about two thirds.
CURVES_HEIGHT = 420


def curves_figure(history, step_history=None, epochs=None):
    """Loss and accuracy of one run: training in blue, validation in orange, against epochs.

    Args:
        history: per-epoch lists under "loss", "accuracy", "val_loss", "val_accuracy" and
            optionally "epoch_fraction" (1.0 for a whole epoch).
        step_history: while a run trains, equal-length lists "position" (epochs done as a float),
            "loss" and "accuracy", one entry per chunk of steps; the training curve then grows
            within each epoch instead of once per epoch.
        epochs: the epochs planned, so the axis spans the whole run from the start.
    """
    figure = _two_panels()
    ends = epoch_ends(history)
    steps = step_history if step_history and step_history.get("position") else None
    train_name = (glossary.tr("training (average so far in each epoch)", "训练集（每轮内的累计平均）") if steps
                  else glossary.tr("training (average over each epoch)", "训练集（每轮的平均）"))
    parts = (
        ("", TRAIN_COLOUR, "solid", train_name),
        ("val_", VALIDATION_COLOUR, "dash", glossary.tr("validation (end of each epoch)", "验证集（每轮结束时）")),
    )
    for column, metric in ((1, "loss"), (2, "accuracy")):
        for prefix, colour, dash, name in parts:
            live = steps is not None and prefix == ""
            x_values = steps["position"] if live else ends
            y_values = steps[metric] if live else history.get(prefix + metric, [])
            figure.add_trace(
                go.Scatter(
                    x=x_values, y=y_values, mode="lines" if live else "lines+markers", name=name,
                    legendgroup=name, showlegend=column == 1, line={"color": colour, "dash": dash, "width": 2.5},
                    marker={"size": 8}, hovertemplate=f"%{{y:.4f}} · {_epoch_word()} %{{x:.2f}}<extra>{name}</extra>",
                ),
                row=1, col=column,
            )
    done = max([*ends, *(steps["position"] if steps else [])], default=1)
    # A long run's axis grows with it, so its first epochs are not squeezed into a corner.
    return _finish_curves(figure, min(epochs, max(5, math.ceil(done) + 1)) if epochs else done)


def comparison_curves_specs(histories):
    """Vega-Lite specs of the runs' loss and accuracy, one chart each, for st.vega_lite_chart.

    Vega-Lite, which every Streamlit page loads anyway, draws these at once, where the first
    Plotly chart of a new tab costs the browser seconds of script. One run: training in blue,
    validation in orange. Several runs: one colour per run, training solid, validation dashed.

    Args:
        histories: a dict mapping a short legend label to a run's per-epoch history dict.

    Returns:
        (loss_spec, accuracy_spec).
    """
    training = glossary.tr("training (average over each epoch)", "训练集（每轮的平均）")
    validation = glossary.tr("validation (end of each epoch)", "验证集（每轮结束时）")
    rows = [{"run": label, "split": name, "metric": metric, "epoch": epoch, "value": value}
            for label, history in histories.items()
            for prefix, name in (("", training), ("val_", validation))
            for metric in ("loss", "accuracy")
            for epoch, value in zip(epoch_ends(history), history.get(prefix + metric, []))]
    longest = max(math.ceil(max(epoch_ends(history), default=1)) for history in histories.values())
    splits = {"domain": [training, validation]}
    if len(histories) == 1:
        colour = {"field": "split", "scale": splits | {"range": [TRAIN_COLOUR, VALIDATION_COLOUR]}}
    else:
        colour = {"field": "run", "scale": {"domain": list(histories), "range": _COLOURS}}
    dash = {"field": "split", "scale": splits | {"range": [[1, 0], [6, 4]]}}
    specs = []
    for metric, title, value_format in (("loss", glossary.tr("Loss (lower is better)", "损失（越低越好）"), ".4f"),
                                        ("accuracy", glossary.tr("Accuracy (higher is better)", "准确率（越高越好）"), ".2%")):
        # Both charts carry the legend, so each reads on its own when a phone stacks them.
        legend = {"orient": "bottom", "direction": "vertical", "labelLimit": 400, "symbolType": "stroke",
                  "symbolStrokeWidth": 2.5}
        specs.append({
            "title": title,
            "data": {"values": [row for row in rows if row["metric"] == metric]},
            "mark": {"type": "line", "point": {"size": 50}, "strokeWidth": 2.5},
            "encoding": {
                "x": {"field": "epoch", "type": "quantitative", "title": glossary.tr("epochs trained", "已训练的轮数"),
                      "scale": {"domain": [0, longest]}, "axis": {"tickMinStep": 1}},
                "y": {"field": "value", "type": "quantitative", "title": None, "scale": {"zero": False},
                      "axis": {"format": ".0%"} if metric == "accuracy" else {}},
                "color": colour | {"type": "nominal", "title": None, "legend": legend},
                # The page's caption says which lines are solid and dashed: a second legend beside the
                # first was cut off on a phone, and Vega-Lite draws no dash sample in it.
                "strokeDash": dash | {"type": "nominal", "title": None, "legend": None},
                "tooltip": [{"field": "run", "title": glossary.tr("run", "运行")},
                            {"field": "split", "title": glossary.tr("images", "图像")},
                            {"field": "epoch", "title": _epoch_word(), "format": ".2f"},
                            {"field": "value", "title": title, "format": value_format}],
            },
        })
    return specs


def epoch_ends(history):
    """Returns where each recorded epoch ended, in epochs: 1, 2, … and e.g. 2.4 for a cut-short one."""
    fractions = history.get("epoch_fraction") or [1.0] * len(history.get("loss", []))
    ends, total = [], 0.0
    for fraction in fractions:
        total += fraction
        ends.append(round(total, 4))
    return ends


def _two_panels():
    return make_subplots(rows=1, cols=2, horizontal_spacing=0.1, subplot_titles=(
        glossary.tr("Loss (lower is better)", "损失（越低越好）"),
        glossary.tr("Accuracy (higher is better)", "准确率（越高越好）"),
    ))


def _epoch_word():
    return glossary.tr("epoch", "轮")


def _finish_curves(figure, epochs):
    """Sets the epoch axis from 0 to `epochs` with whole-epoch ticks, and puts the legend below."""
    epochs = max(1, math.ceil(epochs))
    figure.update_xaxes(title_text=glossary.tr("epochs trained", "已训练的轮数"), range=[0, epochs * 1.02],
                        dtick=1 if epochs <= 10 else None, rangemode="tozero")
    figure.update_yaxes(tickformat=".0%", row=1, col=2)
    figure.update_layout(height=380, margin={"t": 40, "b": 10, "l": 10, "r": 10},
                         legend={"orientation": "h", "yanchor": "top", "y": -0.22, "x": 0})
    return figure


def sweep_figure(rows, field_label, all_values):
    """Test accuracy and training time against the swept value, side by side.

    The swept values are categories in the order given, so the axis shows exactly the values
    tried from the first point on, and its ticks do not move as the other points arrive.

    Args:
        rows: dicts with "value", "test_accuracy" and "train_seconds" for the values done so far.
        field_label: the swept setting's human name, for the axis title.
        all_values: every value of the sweep, in axis order.
    """
    ticks = [format_value(value) for value in all_values]
    values = [format_value(row["value"]) for row in rows]
    figure = make_subplots(rows=1, cols=2, horizontal_spacing=0.12, subplot_titles=(
        glossary.tr("Test accuracy", "测试准确率"), glossary.tr("Training time (s)", "训练时间（秒）")))
    for column, key, text in ((1, "test_accuracy", "%{y:.2%}"), (2, "train_seconds", "%{y:.1f} s")):
        figure.add_trace(go.Scatter(x=values, y=[row[key] for row in rows], mode="lines+markers",
                                    marker={"size": 9}, line={"color": TRAIN_COLOUR},
                                    hovertemplate=f"{field_label} %{{x}}: {text}<extra></extra>"),
                         row=1, col=column)
    figure.update_xaxes(title_text=field_label, type="category", categoryorder="array", categoryarray=ticks,
                        range=[-0.5, len(ticks) - 0.5])
    figure.update_yaxes(tickformat=".1%", row=1, col=1)
    figure.update_yaxes(rangemode="tozero", row=1, col=2)
    figure.update_layout(height=360, showlegend=False, margin={"t": 40, "b": 10, "l": 10, "r": 10})
    return figure


def format_value(value):
    """Returns a setting's value as an axis label: 0.001 stays 0.001, 128 stays 128."""
    return f"{value:g}" if isinstance(value, float) else str(value)
