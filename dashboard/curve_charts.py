"""Vega-Lite specs of training: loss and accuracy curves of one or several runs, and sweep results."""

import math

from dashboard import glossary

# One colour per compared run: Plotly's ten qualitative colours, written out so this module needs no Plotly.
_COLOURS = ["#636EFA", "#EF553B", "#00CC96", "#AB63FA", "#FFA15A", "#19D3F3", "#FF6692", "#B6E880", "#FF97FF",
            "#FECB52"]
# One run's training and validation curves differ in colour, not only in dash.
TRAIN_COLOUR = "#1f77b4"
VALIDATION_COLOUR = "#ff7f0e"
# Pixels of a Vega-Lite curves chart, legend included; the plot itself gets about two thirds.
CURVES_HEIGHT = 420


def curves_specs(history, step_history=None, epochs=None):
    """Vega-Lite specs of one run's loss and accuracy: training in blue, validation in orange.

    While the run trains, only the data rows change from one redraw to the next, never the spec:
    Streamlit then swaps the rows of the chart already drawn instead of drawing a new one, so the
    live curves grow without a flicker. The epoch axis's end is one of those rows, as a mark
    nobody sees.

    Args:
        history: per-epoch lists under "loss", "accuracy", "val_loss", "val_accuracy" and
            optionally "epoch_fraction" (1.0 for a whole epoch).
        step_history: while a run trains, equal-length lists "position" (epochs done as a float),
            "loss" and "accuracy", one entry per chunk of steps; the training curve then grows
            within each epoch instead of once per epoch.
        epochs: the epochs planned, so the axis spans the whole run from the start; given only
            while the run trains, which also names the training curve for the steps it will get.

    Returns:
        (loss_spec, accuracy_spec).
    """
    ends = epoch_ends(history)
    steps = step_history if step_history and step_history.get("position") else None
    live = steps is not None or epochs is not None
    # Short names, as the legend gets half the training column; the page's caption says more.
    training = (glossary.tr("training (average so far)", "训练集（本轮至此的平均）") if live
                else glossary.tr("training (epoch average)", "训练集（每轮平均）"))
    validation = glossary.tr("validation (end of epoch)", "验证集（每轮结束时）")
    done = max([*ends, *(steps["position"] if steps else [])], default=1)
    # A long run's axis grows with it, so its first epochs are not squeezed into a corner.
    axis_end = max(1, math.ceil(min(epochs, max(5, math.ceil(done) + 1)) if epochs else done))
    specs = []
    for metric, title, value_format in _metrics():
        if steps:
            train_rows = [_row(training, position, value, False)
                          for position, value in zip(steps["position"], steps[metric])]
        else:
            train_rows = [_row(training, end, value, True) for end, value in zip(ends, history.get(metric, []))]
        validation_rows = [_row(validation, end, value, True)
                           for end, value in zip(ends, history.get("val_" + metric, []))]
        rows = train_rows + validation_rows + [{"kind": "axis_end", "epoch": axis_end}]
        specs.append(_curve_spec(rows, title, value_format, metric, [training, validation]))
    return specs


def _row(split, epoch, value, marked):
    return {"kind": "curve", "split": split, "epoch": epoch, "value": value, "marked": marked}


def _metrics():
    return (("loss", glossary.tr("Loss (lower is better)", "损失（越低越好）"), ".4f"),
            ("accuracy", glossary.tr("Accuracy (higher is better)", "准确率（越高越好）"), ".2%"))


def _curve_spec(rows, title, value_format, metric, splits):
    """One metric's chart: a line per split, dots where a value was measured at an epoch's end."""
    colour = {"field": "split", "type": "nominal", "title": None,
              "scale": {"domain": splits, "range": [TRAIN_COLOUR, VALIDATION_COLOUR]},
              "legend": {"orient": "bottom", "direction": "vertical", "labelLimit": 400, "symbolType": "stroke",
                         "symbolStrokeWidth": 2.5}}
    dash = {"field": "split", "type": "nominal", "legend": None, "scale": {"domain": splits, "range": [[1, 0], [6, 4]]}}
    y_axis = {"field": "value", "type": "quantitative", "title": None, "scale": {"zero": False},
              "axis": {"format": ".0%"} if metric == "accuracy" else {}}
    tooltip = [{"field": "split", "title": glossary.tr("images", "图像")},
               {"field": "epoch", "title": _epoch_word(), "format": ".2f"},
               {"field": "value", "title": title, "format": value_format}]
    curve = {"filter": "datum.kind == 'curve'"}
    return {
        "title": title,
        "data": {"values": rows},
        "encoding": {"x": {"field": "epoch", "type": "quantitative",
                           "title": glossary.tr("epochs trained", "已训练的轮数"),
                           "scale": {"nice": False, "zero": True}, "axis": {"tickMinStep": 1}}},
        "layer": [
            {"transform": [curve], "mark": {"type": "line", "strokeWidth": 2.5},
             "encoding": {"y": y_axis, "color": colour, "strokeDash": dash, "tooltip": tooltip}},
            {"transform": [curve, {"filter": "datum.marked"}], "mark": {"type": "point", "filled": True, "size": 50},
             "encoding": {"y": y_axis, "color": colour | {"legend": None}, "tooltip": tooltip}},
            # The axis's end: an invisible rule, so it can move without the spec changing.
            {"transform": [{"filter": "datum.kind == 'axis_end'"}],
             "mark": {"type": "rule", "opacity": 0, "tooltip": None}},
        ],
    }


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


def _epoch_word():
    return glossary.tr("epoch", "轮")


def sweep_specs(rows, field_label, all_values):
    """Vega-Lite specs of test accuracy and of training time against the swept value.

    The swept values are categories in the order given, so the axis shows exactly the values
    tried from the first point on, and its ticks do not move as the other points arrive. Each
    point carries its figure, so nothing needs a hover.

    Args:
        rows: dicts with "value", "test_accuracy" and "train_seconds" for the values done so far.
        field_label: the swept setting's human name, for the axis title.
        all_values: every value of the sweep, in axis order.

    Returns:
        (accuracy_spec, time_spec).
    """
    ticks = [format_value(value) for value in all_values]
    data = [{"value": format_value(row["value"]), "test_accuracy": row["test_accuracy"],
             "train_seconds": row["train_seconds"]} for row in rows]
    specs = []
    for key, title, value_format, zero in (
            ("test_accuracy", glossary.tr("Test accuracy", "测试准确率"), ".2%", False),
            ("train_seconds", glossary.tr("Training time (s)", "训练时间（秒）"), ".1f", True)):
        y_axis = {"field": key, "type": "quantitative", "title": None, "scale": {"zero": zero},
                  "axis": {"format": ".1%"} if key == "test_accuracy" else {}}
        specs.append({
            "title": title,
            "data": {"values": data},
            "encoding": {
                "x": {"field": "value", "type": "ordinal", "title": field_label, "sort": ticks,
                      "scale": {"domain": ticks}, "axis": {"labelAngle": 0}},
                "y": y_axis,
                "tooltip": [{"field": "value", "title": field_label},
                            {"field": key, "title": title, "format": value_format}],
            },
            "layer": [
                {"mark": {"type": "line", "point": {"size": 70, "filled": True}, "color": TRAIN_COLOUR,
                          "strokeWidth": 2.5}},
                {"mark": {"type": "text", "dy": -12, "fontSize": 12},
                 "encoding": {"text": {"field": key, "type": "quantitative", "format": value_format}}},
            ],
        })
    return specs


def format_value(value):
    """Returns a setting's value as an axis label: 0.001 stays 0.001, 128 stays 128."""
    return f"{value:g}" if isinstance(value, float) else str(value)
