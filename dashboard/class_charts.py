"""Vega-Lite specs of a run's test results per class: accuracy per class and the confusion matrix.

Results opens on these two charts. Vega-Lite, which Streamlit loads for every chart anyway, draws
them at once, where Plotly would first cost the browser seconds of script.
"""

import numpy as np

from dashboard import glossary

BAR_COLOUR = "#1f77b4"
WEAKEST_COLOUR = "#d62728"
SELECTED_CELL_COLOUR = "#ff7f0e"
# The name of the confusion matrix's point selection; st.vega_lite_chart reports a click under it.
CELL_SELECTION = "cell"


def per_class_spec(per_class_accuracy, class_names, overall_accuracy=None):
    """A bar chart of test accuracy per true class, the weakest class in red, each value on its bar.

    The axis starts at 0, so bar heights compare honestly; the value printed on each bar and the
    red weakest bar show the few-percent differences a zoomed axis would exaggerate.

    Args:
        per_class_accuracy: ten shares of each class's test images classified correctly.
        class_names: the ten class names, in label order.
        overall_accuracy: when given, drawn as a dotted line so classes below average stand out.
    """
    accuracy = np.asarray(per_class_accuracy, dtype=float)
    names = [str(name) for name in class_names]
    rows = [{"class": name, "accuracy": float(value), "label": f"{value:.1%}",
             "colour": WEAKEST_COLOUR if index == accuracy.argmin() else BAR_COLOUR}
            for index, (name, value) in enumerate(zip(names, accuracy))]
    true_class = glossary.tr("true class", "真实类别")
    test_accuracy = glossary.tr("test accuracy", "测试准确率")
    x_axis = {"field": "class", "type": "nominal", "title": true_class, "sort": names, "axis": {"labelAngle": 0}}
    y_axis = {"field": "accuracy", "type": "quantitative", "title": test_accuracy,
              "scale": {"domain": [0, 1]}, "axis": {"format": ".0%"}}
    layers = [
        {"mark": {"type": "bar"},
         "encoding": {"x": x_axis, "y": y_axis, "color": {"field": "colour", "type": "nominal", "scale": None},
                      "tooltip": [{"field": "class", "title": true_class},
                                  {"field": "accuracy", "title": test_accuracy, "format": ".2%"}]}},
        # Written upwards inside the top of each bar, in white, as the bars are tall.
        {"mark": {"type": "text", "angle": 270, "align": "right", "baseline": "middle", "dx": -6, "color": "white",
                  "fontSize": 12, "tooltip": None},
         "encoding": {"x": x_axis, "y": y_axis, "text": {"field": "label"}}},
    ]
    if overall_accuracy is not None:
        # Across the whole chart, as the layer has no x.
        layers.append({"mark": {"type": "rule", "strokeDash": [2, 3], "color": "#555555", "strokeWidth": 1.5,
                                "tooltip": None},
                       "encoding": {"y": {"datum": float(overall_accuracy), "type": "quantitative"}}})
    return {
        "data": {"values": rows},
        "height": 380,
        "layer": layers,
    }


def confusion_spec(confusion, class_names):
    """The confusion matrix as a heatmap (rows true classes, columns predictions) whose cells can be clicked.

    Each cell prints its count; the shade follows log(1 + count), so the few mistakes still show
    beside the thousand correct images on the diagonal. A click selects the cell (outlined in
    orange) under the point selection `CELL_SELECTION`; a double click clears it.
    """
    confusion = np.asarray(confusion)
    names = [str(name) for name in class_names]
    largest = float(np.log1p(confusion.max())) or 1.0
    rows = [{"true": true_name, "predicted": predicted_name, "images": int(confusion[row, column]),
             # Dark cells get white numbers.
             "dark": bool(np.log1p(confusion[row, column]) > 0.6 * largest)}
            for row, true_name in enumerate(names) for column, predicted_name in enumerate(names)]
    true_title, predicted_title = glossary.tr("true", "真实"), glossary.tr("predicted", "预测")
    images_title = glossary.tr("images", "图像数")
    selected = {"param": CELL_SELECTION, "empty": False}
    return {
        "data": {"values": rows},
        "height": 400,
        "encoding": {
            "x": {"field": "predicted", "type": "ordinal", "sort": names, "title": predicted_title,
                  "axis": {"orient": "top", "labelAngle": 0}},
            "y": {"field": "true", "type": "ordinal", "sort": names, "title": true_title},
        },
        "layer": [
            {"params": [{"name": CELL_SELECTION,
                         "select": {"type": "point", "fields": ["true", "predicted"], "toggle": False}}],
             "mark": {"type": "rect", "cursor": "pointer"},
             "encoding": {
                 "color": {"field": "images", "type": "quantitative", "title": images_title,
                           "scale": {"type": "symlog", "scheme": "blues"}, "legend": None},
                 "stroke": {"condition": selected | {"value": SELECTED_CELL_COLOUR}, "value": None},
                 "strokeWidth": {"condition": selected | {"value": 4}, "value": 0},
                 "tooltip": [{"field": "true", "title": true_title}, {"field": "predicted", "title": predicted_title},
                             {"field": "images",
                              "title": images_title + glossary.tr(" (click to see them)", "（点击查看）")}],
             }},
            {"mark": {"type": "text", "fontSize": 12, "tooltip": None},
             "encoding": {"text": {"field": "images", "type": "quantitative", "title": images_title},
                          "color": {"condition": {"test": "datum.dark", "value": "white"}, "value": "black"}}},
        ],
    }


def selected_cell(event, class_names):
    """Returns (true_class, predicted_class) of the cell clicked in the confusion chart, or None.

    Args:
        event: what st.vega_lite_chart returns with on_select: under "selection", the point
            selection `CELL_SELECTION` lists the selected cells' fields.
        class_names: the names on the chart's axes, in label order.
    """
    names = [str(name) for name in class_names]
    for point in (event or {}).get("selection", {}).get(CELL_SELECTION) or []:
        true_name, predicted_name = str(point.get("true")), str(point.get("predicted"))
        if true_name in names and predicted_name in names:
            return names.index(true_name), names.index(predicted_name)
    return None
