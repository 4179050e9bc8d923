"""Home page of the MNIST dashboard: what it does, whether the data is there, and where to start."""

import streamlit as st

from dashboard import state, widgets
from dashboard.glossary import tr
from mnist_core.config import TrainConfig
from mnist_core.data import is_prepared, resolve_data_dir
from mnist_core.estimate import estimate_train_seconds

# Emoji favicons are drawn by the browser itself; a ":material/…:" one is fetched from Google's servers.
st.set_page_config(page_title="MNIST dashboard", page_icon="🔢", layout="wide")
widgets.sidebar()

st.title("Train your first neural network")
st.markdown(
    """
Handwritten digits in, a digit out. This dashboard trains a small **multilayer perceptron** on
**MNIST** (70,000 images of 28×28 pixels) right here, in seconds:

1. **Train** — choose the hidden size, the number of epochs and the batch size, press *Train*
   and watch the loss and accuracy curves grow.
2. **Results** — read the test accuracy, see which digits get confused, compare runs.
3. **Draw** — draw a digit with the mouse and see what your own network thinks.
"""
)

left, right = st.columns(2)
with left:
    st.subheader("Dataset")
    # Visitors are not shown the server's folders; `--client.showErrorDetails full` shows them.
    data_dir = f"`{resolve_data_dir()}`" if state.developer_mode() else tr("the server's data folder", "服务器的数据文件夹")
    if is_prepared("mnist"):
        st.success(tr(f"MNIST found in {data_dir}.", f"已在{data_dir}中找到 MNIST。"))
    else:
        st.warning(tr(
            f"MNIST is not in {data_dir} yet. With internet access it is downloaded on the first "
            "training (about 11 MB). Offline, set `TFDS_DATA_DIR` to a folder that holds a prepared "
            "tfds `mnist` dataset and restart the app.",
            f"{data_dir}中还没有 MNIST。联网时，第一次训练会自动下载（约 11 MB）。离线时，请把 `TFDS_DATA_DIR` "
            "设为存有已准备好的 tfds `mnist` 数据集的文件夹，然后重启应用。",
        ))
with right:
    st.subheader("Stored runs")
    runs, _ = state.list_runs()
    if runs:
        best = max(runs, key=lambda run: run.test_accuracy)
        where = f" in `{state.get_store().root}`" if state.developer_mode() else ""
        st.markdown(tr(f"**{len(runs)}** runs stored{where}.", f"已存储 **{len(runs)}** 个运行{where}。"))
        st.markdown(f"Best so far: **{best.test_accuracy:.2%}** test accuracy — {best.config.describe()}.")
    else:
        st.markdown("No runs yet. Every training you finish is kept here, across restarts.")

st.subheader("Quickest start")
seed_config = TrainConfig()
st.markdown(
    f"The tutorial notebook's network — {seed_config.describe()}, Adam — reaches about 96.7% test "
    "accuracy."
)
# The estimate follows this machine's past runs, so it is not a promise made on another machine.
seed_seconds = estimate_train_seconds(seed_config, runs, data_loaded=bool(runs))
st.page_link(
    widgets.TRAIN_PAGE,
    label=tr(f"Train the seed network (about {seed_seconds:.0f} s on this machine)",
             f"训练种子网络（在这台机器上约 {seed_seconds:.0f} 秒）"),
    icon=":material/rocket_launch:",
)
