"""Tests of the bilingual explanations and the language switch."""

import pytest

from app_helpers import open_page, use_fresh_store
from dashboard.glossary import TERMS

REQUIRED_TERMS = {"flatten", "dense", "relu", "softmax", "adam", "cross_entropy", "epoch", "batch_size",
                  "validation", "test"}


def test_every_required_term_is_explained_in_both_languages():
    assert REQUIRED_TERMS <= set(TERMS)
    for name in REQUIRED_TERMS:
        for code in ("en", "zh"):
            title, text = TERMS[name][code]
            assert title and 20 < len(text) < 260, (name, code)
    assert "784" in TERMS["flatten"]["en"][1] and "784" in TERMS["flatten"]["zh"][1]


@pytest.fixture
def fresh_store(monkeypatch, tmp_path):
    use_fresh_store(monkeypatch, tmp_path / "runs")


def test_language_switch_changes_the_explanations_and_survives_a_page_change(fresh_store):
    app = open_page("pages/1_Train.py")
    assert explanations(app).label == "What is Flatten · Dense layer · ReLU · Softmax?"
    app.sidebar.radio(key="language_switch").set_value("zh").run()
    assert explanations(app).label.startswith("什么是 Flatten（展平）")
    assert any("784 个数" in item.value for item in explanations(app).markdown)
    app.switch_page("pages/0_Home.py").run()
    app.switch_page("pages/1_Train.py").run()
    assert explanations(app).label.startswith("什么是")


def explanations(app):
    """Returns the first box of explanations on the page (the Train page shows its settings first)."""
    return next(expander for expander in app.expander if expander.label.startswith(("What is", "什么是")))


def test_a_link_with_lang_zh_opens_in_chinese_and_the_choice_goes_in_the_link():
    from streamlit.testing.v1 import AppTest

    from conftest import REPO_ROOT

    linked = AppTest.from_file(str(REPO_ROOT / "streamlit_app.py"), default_timeout=120)
    linked.query_params["lang"] = "zh"
    linked.run()
    assert not linked.exception
    assert linked.title[0].value == "训练你的第一个神经网络"

    app = AppTest.from_file(str(REPO_ROOT / "streamlit_app.py"), default_timeout=120).run()
    assert app.title[0].value == "Train your first neural network" and "lang" not in app.query_params
    app.radio(key="language_switch").set_value("zh").run()
    assert app.query_params["lang"] == "zh", "a reload of this address stays in Chinese"
