"""Sweep page: train one setting over several values and compare accuracy and time."""

import streamlit as st

from dashboard import sweep_view, widgets
from mnist_core.config import TrainConfig
from mnist_core.sweep import SWEEPABLE, parse_values, sweep_configs

st.set_page_config(page_title="Sweep · MNIST dashboard", page_icon="🎛️", layout="wide")
widgets.sidebar()
st.title("Sweep one setting")
st.caption(
    "Change one thing at a time and keep the rest fixed: that is how you learn what a setting does. "
    "Values trained before come back from the run store at once."
)

with st.form("sweep_settings"):
    field = st.selectbox("Setting to vary", list(SWEEPABLE), key="sweep_field",
                         help="The one setting that changes between the runs.")
    values_text = st.text_input(
        "Values (comma-separated)", key="sweep_values",
        placeholder=", ".join(str(value) for value in SWEEPABLE["hidden_size"]),
        help="Leave empty for the suggested values of the chosen setting.",
    )
    epochs = st.slider("Epochs for every run", 1, 20, 3, key="sweep_epochs",
                       help="Ignored when the swept setting is the number of epochs.")
    submitted = st.form_submit_button("Run sweep", type="primary")

if submitted:
    try:
        configs = sweep_configs(TrainConfig(epochs=epochs), field, parse_values(field, values_text))
    except ValueError as error:
        st.error(f"These values cannot be swept: {error}")
        st.stop()
    sweep_view.start_sweep(field, configs)

if sweep_view.current_sweep() is None:
    st.info("Choose a setting and press **Run sweep**. Try hidden size 8, 32, 128, 512 for 3 epochs.")
    st.stop()
sweep_view.sweep_panel()
