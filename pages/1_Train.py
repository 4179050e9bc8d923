"""Train page: choose the settings, train in the background and watch the curves grow."""

import streamlit as st

from dashboard import glossary, navigation, state, train_settings, train_view

tr = glossary.tr
navigation.require_app_frame()
state.remember_owner()
st.title(tr("Train a network", "训练一个网络"))
st.caption(tr("Flatten the 28×28 image into 784 numbers → hidden Dense layers → Dense(10, softmax).",
              "把 28×28 的图像展平成 784 个数 → 隐藏全连接层 → Dense(10, softmax)。"))

# Settings on the left, and on the right what pressing Train brings: progress, curves, results.
# The controls are not in a form, so the size, the estimate and the code follow them at once.
st.html(train_view.PHONE_LAYOUT_CSS)
settings_column, training_column = st.columns([2, 3], gap="large")
with settings_column, st.container(key=train_view.SETTINGS_BOX_KEY):
    train_view.preset_picker()
    config = train_settings.controls()
    train_settings.link_note()
    if config is not None:
        train_view.preset_note(config)
with training_column:
    train_view.backend_notice()
    if config is not None:
        train_view.show_plan(config)
        train, retrain = train_view.train_buttons()
        if train or retrain:
            train_view.start_training(config, retrain=retrain)
    train_view.show_training(config)

if config is not None:
    train_view.code_view(config)
glossary.explain("flatten", "dense", "relu", "softmax")
glossary.explain("epoch", "batch_size", "adam", "cross_entropy", "validation", "test")
