"""Home page of the MNIST dashboard: what it does, whether the data is there, and where to start."""

import streamlit as st

from dashboard import navigation, state, widgets
from dashboard.glossary import tr
from mnist_core.config import TrainConfig
from mnist_core.data import is_prepared, resolve_data_dir
from mnist_core.estimate import estimate_train_seconds

navigation.require_app_frame()

st.title(tr("Train your first neural network", "训练你的第一个神经网络"))
st.markdown(tr(
    """
Handwritten digits in, a digit out. This dashboard trains a small **multilayer perceptron** on
**MNIST** (70,000 images of 28×28 pixels) right here, in seconds:

1. **Train** — choose the hidden size, the number of epochs and the batch size, press *Train*
   and watch the loss and accuracy curves grow.
2. **Results** — read the test accuracy, see which digits get confused, compare runs.
3. **Draw** — draw a digit with the mouse and see what your own network thinks.
""",
    """
输入手写数字，输出一个数字。这个仪表盘就在这里、几秒钟内，在 **MNIST**（70,000 张 28×28 像素的图像）上训练一个小型
**多层感知机**：

1. **训练** — 选择隐藏层大小、训练轮数和批大小，按下 *训练*，看着损失和准确率曲线一点点增长。
2. **结果** — 查看测试准确率，看看哪些数字容易混淆，比较不同的运行。
3. **画数字** — 用鼠标写一个数字，看看你自己的网络怎么认。
""",
))

left, right = st.columns(2)
with left:
    st.subheader(tr("Dataset", "数据集"))
    if is_prepared("mnist"):
        # Visitors are not shown the server's folders; `--client.showErrorDetails full` shows them.
        where = f" (`{resolve_data_dir()}`)" if state.developer_mode() else ""
        st.success(tr(f"MNIST is on this machine, ready to train on{where}.", f"本机已有 MNIST，可以直接训练{where}。"))
    else:
        st.warning(tr(
            "MNIST is not on this machine yet. With internet access it is downloaded on the first "
            "training (about 11 MB). Offline, set the TFDS_DATA_DIR environment variable to a folder that "
            "holds a prepared tfds mnist dataset and restart the app.",
            "本机还没有 MNIST。联网时，第一次训练会自动下载（约 11 MB）。离线时，请把环境变量 TFDS_DATA_DIR "
            "设为存有已准备好的 tfds mnist 数据集的文件夹，然后重启应用。"))
with right:
    st.subheader(tr("Stored runs", "已保存的运行"))
    runs, _ = state.list_runs()
    if runs:
        best = max(runs, key=lambda run: run.test_accuracy)
        where = f" (`{state.get_store().root}`)" if state.developer_mode() else ""
        stored = f"**{len(runs)}** run stored{where}." if len(runs) == 1 else f"**{len(runs)}** runs stored{where}."
        st.markdown(tr(stored, f"已保存 **{len(runs)}** 个运行{where}。"))
        st.markdown(tr(f"Best so far: **{best.test_accuracy:.2%}** test accuracy — {widgets.run_name(best)}.",
                       f"目前最好：测试准确率 **{best.test_accuracy:.2%}** — {widgets.run_name(best)}。"))
    else:
        st.markdown(tr("No runs yet. Every training you finish is kept here, across restarts.",
                       "还没有运行。你完成的每次训练都会保存在这里，重启后也不会丢失。"))

st.subheader(tr("Quickest start", "最快的开始"))
seed_config = TrainConfig()
st.markdown(tr(
    f"The tutorial notebook's network — {widgets.config_name(seed_config)}, Adam — reaches about 96.7% test accuracy.",
    f"教程笔记本中的网络——{widgets.config_name(seed_config)}，Adam——测试准确率约 96.7%。"))
# The estimate follows this machine's past runs, so it is not a promise made on another machine.
seed_seconds = estimate_train_seconds(seed_config, runs, data_loaded=bool(runs))
st.page_link(
    widgets.TRAIN_PAGE,
    label=tr(f"Train the seed network (about {seed_seconds:.0f} s on this machine)",
             f"训练种子网络（在这台机器上约 {seed_seconds:.0f} 秒）"),
    icon=":material/rocket_launch:",
)
