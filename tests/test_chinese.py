"""The Chinese interface: every page, run in "zh", shows no English word outside a short list of terms.

Each page runs in AppTest with the language set to Chinese. Every visible text is gathered from
its elements (titles, markdown, captions, alerts, widget labels, options and help, metrics,
expander labels, page links, table headers and cells, the titles, axis titles, legends, labels and
hover texts of Plotly and Vega-Lite charts, image captions) and searched for English words. Terms
deliberately kept in English, as Chinese courses keep them, are allowed; code listings are not scanned.
"""

import json
import re

import numpy as np
import pytest
from google.protobuf.message import Message
from streamlit.testing.v1 import AppTest

from app_helpers import use_fresh_store, vega_spec
from conftest import REPO_ROOT
from dashboard import draw_view, sweep_view
from dashboard.glossary import LANGUAGES, SWITCH_LABEL
from mnist_core.run_store import RunStore
from test_draw_page import canvas_data_url
from unlike_drawings import horizontal_line

# Terms kept in English in the Chinese interface: names of layers, functions, optimizers and
# datasets, which Chinese textbooks and Keras itself use as they are.
KEPT_IN_ENGLISH = {
    "relu", "tanh", "sigmoid", "elu", "softmax", "flatten", "dense", "adam", "sgd", "rmsprop", "keras",
    "tensorflow", "tfds", "mnist", "fashion", "epoch", "batch", "size", "one", "hot", "log", "max", "x",
    "epochs", "dropout", "mlp", "utc",
}
# Proto fields that hold text the page shows; "code_text" (the Keras listing) is left out on purpose.
TEXT_FIELDS = {"label", "body", "help", "options", "content", "placeholder", "caption", "value", "text"}
# The language switch names both languages on purpose, so that a reader of either finds it.
# So do the Sweep page's setting names, which must not change with the language (see sweep_view).
BOTH_LANGUAGES_ON_PURPOSE = {SWITCH_LABEL, *LANGUAGES.values(), *map(sweep_view.choice_label, sweep_view.FIELD_NAMES)}
PAGES = [
    "streamlit_app.py",
    "pages/3_Draw.py",
    "pages/1_Train.py",
    "pages/2_Results.py",
    "pages/4_Sweep.py",
]


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory, tiny_result):
    root = tmp_path_factory.mktemp("chinese_runs")
    RunStore(str(root)).save(tiny_result)
    return root


@pytest.fixture
def store_with_a_run(monkeypatch, runs_dir):
    use_fresh_store(monkeypatch, runs_dir)


def run_in_chinese(page, drawing=None):
    """Runs one page inside the app with Chinese chosen, and a drawing on Draw's canvas when given."""
    app = AppTest.from_file(str(REPO_ROOT / "streamlit_app.py"), default_timeout=120)
    app.session_state["language"] = "zh"
    if drawing is not None:
        app.session_state[f"{draw_view.CANVAS_KEY_PREFIX}0"] = {
            "drawing": {"raw": {"objects": []}, "data": canvas_data_url(drawing)}}
    if page != "streamlit_app.py":
        app.switch_page(page)
    app.run()
    assert not app.exception, [error.message for error in app.exception]
    return app


def visible_texts(node):
    """Returns every text an element tree shows, with where it came from."""
    texts = []
    proto = getattr(node, "proto", None)
    kind = getattr(node, "type", "")
    # Code listings stay in Python; a style-only or script-only st.html shows nothing.
    is_style = kind == "html" and proto.body.lstrip().startswith(("<style>", "<script>"))
    if proto is not None and kind != "code" and not is_style:
        texts += [(node.type, text) for text in _proto_texts(proto)]
        if node.type == "plotly_chart":
            texts += [(node.type, text) for text in _figure_texts(json.loads(proto.spec))]
        if node.type == "vega_lite_chart":
            texts += [(node.type, text) for text in vega_texts(vega_spec(node))]
        if kind == "dataframe":
            frame = node.value
            cells = [value for column in frame.columns for value in frame[column] if isinstance(value, str)]
            texts += [(node.type, str(text)) for text in [*frame.columns, *cells]]
    for child in getattr(node, "children", {}).values():
        texts += visible_texts(child)
    return texts


def _proto_texts(message):
    """Returns the strings in a proto message's text fields, looking into nested messages."""
    texts = []
    for field, value in message.ListFields():
        if field.type not in (field.TYPE_MESSAGE, field.TYPE_STRING):
            continue
        # A repeated field holds a sequence; a single one holds a string or a message.
        items = [value] if isinstance(value, (str, Message)) else list(value)
        if field.type == field.TYPE_MESSAGE:
            for item in items:
                texts += _proto_texts(item)
        elif field.type == field.TYPE_STRING and field.name in TEXT_FIELDS:
            texts += items
    return texts


def _figure_texts(figure):
    """Returns a Plotly figure's title, axis titles, annotations, trace names, bar texts and hover texts."""
    layout = figure.get("layout", {})
    texts = [layout.get("title", {}).get("text", "")]
    texts += [value.get("title", {}).get("text", "") for key, value in layout.items() if "axis" in key]
    texts += [annotation.get("text", "") for annotation in layout.get("annotations", [])]
    for trace in figure.get("data", []):
        texts += [trace.get("name", ""), trace.get("hovertemplate", "")]
        texts += [text for text in np.atleast_1d(trace.get("text", [])) if isinstance(text, str)]
    return texts


# Vega-Lite channels whose field values a chart prints: axis labels, legend labels, text marks, tooltips.
_SHOWN_CHANNELS = ("x", "y", "color", "text", "tooltip")


def vega_texts(spec):
    """Returns a Vega-Lite spec's titles (chart, axes, legends, tooltips), legend domains and shown labels.

    Every view of a layered spec is read; a channel's data values count when the chart prints
    them (a legend is not switched off and the colour is not a literal colour).
    """
    texts, fields = [], set()

    def walk(view, inherited):
        title = view.get("title")
        texts.extend([title] if isinstance(title, str) else [title.get("text", "")] if isinstance(title, dict) else [])
        encoding = inherited | view.get("encoding", {})
        for channel, definitions in encoding.items():
            for definition in definitions if isinstance(definitions, list) else [definitions]:
                if not isinstance(definition, dict):
                    continue
                texts.extend(text for text in (definition.get("title"), (definition.get("axis") or {}).get("title"),
                                                (definition.get("legend") or {}).get("title")) if isinstance(text, str))
                domain = (definition.get("scale") or {}).get("domain", [])
                texts.extend(value for value in domain if isinstance(value, str))
                literal_colour = channel == "color" and "scale" in definition and definition["scale"] is None
                if channel in _SHOWN_CHANNELS and "field" in definition and not literal_colour:
                    fields.add(definition["field"])
        for child in view.get("layer", []):
            walk(child, encoding)

    walk(spec, {})
    rows = spec.get("data", {}).get("values", [])
    texts += [row[field] for row in rows for field in fields if isinstance(row.get(field), str)]
    return texts


def english_words(text):
    """Returns the English words in a text, leaving out kept terms, code, file names and placeholders."""
    text = re.sub(r"`[^`]*`", " ", text)  # Inline code: run ids, file names.
    # A run's title ends in the last 4 hex digits of its random id, which can be letters ("abca").
    text = re.sub(r"· [0-9a-f]{4}\b", " ", text)
    text = re.sub(r"%\{[^}]*\}|<[^>]*>|:material/[a-z_]+:", " ", text)  # Plotly placeholders, tags, icons.
    text = re.sub(r"(?:\b[\w-]+)?\.(keras|json|png|csv|py)\b|\b[A-Z]+(_[A-Z]+)+\b", " ", text)  # Files, variables.
    words = re.findall(r"(?<![\w-])[A-Za-z]+(?![\w-])", text)
    hyphenated = re.findall(r"(?<![\w-])[A-Za-z]+(?:-[A-Za-z]+)+(?![\w-])", text)
    parts = words + [part for word in hyphenated for part in word.split("-")]
    return [word for word in parts if word.lower() not in KEPT_IN_ENGLISH]


def untranslated(app):
    """Returns (element type, text, English words) for each visible text that holds English."""
    found = []
    for kind, text in visible_texts(app._tree):
        if text in BOTH_LANGUAGES_ON_PURPOSE:
            continue
        words = english_words(text)
        if words:
            found.append((kind, text[:120], sorted(set(words))))
    return found


@pytest.mark.parametrize("page", PAGES)
def test_every_visible_text_of_the_page_is_in_chinese(store_with_a_run, page):
    app = run_in_chinese(page)
    assert app.title, "the page showed no title"
    assert untranslated(app) == []


def test_draw_in_chinese_after_a_stroke_that_is_no_digit(store_with_a_run):
    app = run_in_chinese("pages/3_Draw.py", drawing=horizontal_line(np.random.default_rng(0)))
    assert "网络识别为" in [metric.label for metric in app.main.metric]
    assert any("这看起来不像一个数字" in warning.value for warning in app.main.warning)
    kinds = {kind for kind, _ in visible_texts(app._tree)}
    assert {"metric", "warning", "plotly_chart", "dataframe", "image", "expander"} <= kinds, kinds
    assert untranslated(app) == []


def test_every_chart_spec_reads_in_chinese(monkeypatch):
    # Train's live and final curves and Sweep's chart need a training to appear on a page, so
    # their specs are scanned here, built as a Chinese page builds them.
    from dashboard import class_charts, curve_charts, glossary

    monkeypatch.setattr(glossary, "language", lambda: "zh")
    history = {"loss": [0.5, 0.3], "accuracy": [0.9, 0.95], "val_loss": [0.4, 0.35], "val_accuracy": [0.92, 0.94]}
    steps = {"position": [0.5, 1.0, 1.5], "loss": [0.6, 0.5, 0.4], "accuracy": [0.8, 0.9, 0.93]}
    names = [str(digit) for digit in range(10)]
    specs = [*curve_charts.curves_specs(history, steps, epochs=5), *curve_charts.curves_specs(history),
             *curve_charts.comparison_curves_specs({"1×16": history, "1×24": history}),
             *curve_charts.sweep_specs([{"value": 16, "test_accuracy": 0.9, "train_seconds": 2.0}], "隐藏层大小", [16, 32]),
             class_charts.per_class_spec(np.full(10, 0.9), names, 0.9), class_charts.confusion_spec(np.eye(10), names)]
    texts = [text for spec in specs for text in vega_texts(spec)]
    assert "损失（越低越好）" in texts and "已训练的轮数" in texts and "预测" in texts
    assert [(text, english_words(text)) for text in texts if english_words(text)] == []


def test_the_scan_finds_english(store_with_a_run):
    # Without the language set the same scan must object, or the tests above prove nothing.
    app = AppTest.from_file(str(REPO_ROOT / "streamlit_app.py"), default_timeout=120)
    app.run()
    words = {word for _, _, found in untranslated(app) for word in found}
    # The navigation's page names are not elements AppTest lists; the browser tests scan them.
    assert {"Train", "Active", "Draw"} <= words
    drawn = AppTest.from_file(str(REPO_ROOT / "streamlit_app.py"), default_timeout=120)
    drawn.session_state[f"{draw_view.CANVAS_KEY_PREFIX}0"] = {
        "drawing": {"raw": {"objects": []}, "data": canvas_data_url(horizontal_line(np.random.default_rng(0)))}}
    drawn.switch_page("pages/3_Draw.py").run()
    words = {word for _, _, found in untranslated(drawn) for word in found}
    # Table headers and cells, hover texts, image captions and the warning are all scanned.
    assert {"Reads", "Picked", "column", "Cropped", "unlike"} <= words
    assert english_words("测试 `run-id` model.keras 2×50 relu，学习率 0.001 · Language · 语言") == ["Language"]
    results = AppTest.from_file(str(REPO_ROOT / "streamlit_app.py"), default_timeout=120)
    results.switch_page("pages/2_Results.py").run()
    chart_words = {word for kind, text in visible_texts(results._tree) if kind == "vega_lite_chart"
                   for word in english_words(text)}
    # Chart titles, axis titles, legend labels and tooltip titles of the Vega-Lite charts.
    assert {"Loss", "Accuracy", "trained", "validation", "predicted", "true", "class", "images"} <= chart_words


def test_the_language_switch_is_labelled_in_both_languages_and_survives_page_switches(store_with_a_run):
    app = AppTest.from_file(str(REPO_ROOT / "streamlit_app.py"), default_timeout=120)
    app.run()
    switch = app.sidebar.radio(key="language_switch")
    assert "Language" in switch.label and "语言" in switch.label
    assert switch.options == ["English", "中文"]
    switch.set_value("zh").run()
    assert app.title[0].value == "训练你的第一个神经网络"
    app.switch_page("pages/3_Draw.py").run()
    assert app.title[0].value == "✏️ 写一个数字"
    assert app.sidebar.radio(key="language_switch").value == "zh"
    app.switch_page("pages/0_Home.py").run()
    assert app.title[0].value == "训练你的第一个神经网络"
