"""Sweep page: train one setting over several values and compare accuracy and time."""

import streamlit as st

from dashboard import glossary, navigation, state, sweep_view
from mnist_core.config import TrainConfig
from mnist_core.sweep import SWEEPABLE, parse_values, sweep_configs

navigation.require_app_frame()
state.remember_owner()
tr = glossary.tr
st.title(tr("Sweep one setting", "扫描一个设置"))
st.caption(tr(
    "Change one thing at a time and keep the rest fixed: that is how you learn what a setting does. "
    "Values trained before come back from the run store at once.",
    "一次只改一个设置、其余保持不变：这样才能看出这个设置的作用。以前训练过的取值会立即从已保存的运行中取回。",
))

with st.form("sweep_settings"):
    field = st.selectbox(tr("Setting to vary", "要改变的设置"), list(SWEEPABLE), key="sweep_field",
                         format_func=sweep_view.choice_label,
                         help=tr("The one setting that changes between the runs.", "各次运行之间唯一不同的设置。"))
    values_text = st.text_input(
        tr("Values (comma-separated)", "取值（用逗号分隔）"), key="sweep_values",
        placeholder=", ".join(str(value) for value in SWEEPABLE[st.session_state.get("sweep_field", "hidden_size")]),
        help=tr("Leave empty for the suggested values of the chosen setting.", "留空则使用所选设置的建议取值。"),
    )
    epochs = st.slider(tr("Epochs for every run", "每次运行的轮数"), 1, 20, 3, key="sweep_epochs",
                       help=tr("Ignored when the swept setting is the number of epochs.", "当扫描的设置就是轮数时忽略此项。"))
    submitted = st.form_submit_button(tr("Run sweep", "开始扫描"), type="primary")

if submitted:
    try:
        configs = sweep_configs(TrainConfig(epochs=epochs), field, parse_values(field, values_text))
    except ValueError as error:
        st.error(tr(f"These values cannot be swept: {error}", f"这些取值无法扫描：{error}"))
        st.stop()
    sweep_view.start_sweep(field, configs)

if sweep_view.current_sweep() is None:
    st.info(tr("Choose a setting and press **Run sweep**. Try hidden size 8, 32, 128, 512 for 3 epochs.",
               "选择一个设置并按 **开始扫描**。可以试试隐藏层大小 8、32、128、512，各训练 3 轮。"))
    st.stop()
sweep_view.sweep_panel()
