"""Presets: named starting configurations, each with the lesson it teaches a student."""

import dataclasses

from mnist_core.config import TrainConfig

# The test accuracy that the Keras MLP example reports for MNIST, which "Best MLP" must reach.
KERAS_MLP_TEST_ACCURACY = 0.984
# The training time "Best MLP" must stay under on the project's 2-core machine.
BEST_MLP_MAX_TRAIN_SECONDS = 120


@dataclasses.dataclass(frozen=True)
class Preset:
    """A named configuration and the one-sentence lesson it teaches, in English and Chinese."""

    name: str  # Label shown in the dashboard, unique among the presets.
    config: TrainConfig  # The settings the preset fills in.
    teaches: str  # What training it shows a student, in one English sentence.
    teaches_zh: str  # The same sentence in Chinese, the seed notebook's second language.
    name_zh: str = ""  # The label in Chinese.


PRESETS = (
    Preset(
        name="Seed notebook",
        name_zh="种子笔记本",
        config=TrainConfig(),
        teaches=(
            "The seed notebook's own network, two hidden layers of 50 units trained for 5 epochs, "
            "is the baseline every other experiment is measured against."
        ),
        teaches_zh=(
            "种子笔记本里的原始网络（两层隐藏层，每层 50 个神经元，"
            "训练 5 轮）是衡量其他所有实验的基准。"
        ),
    ),
    Preset(
        name="Tiny",
        name_zh="最小",
        config=TrainConfig(hidden_size=16, hidden_layers=1),
        teaches=(
            "A single hidden layer of only 16 units still reads more than nine digits in ten correctly, "
            "which shows how little capacity MNIST needs and what too little of it costs."
        ),
        teaches_zh=(
            "只有一层 16 个神经元的隐藏层也能认对九成以上的数字，"
            "说明 MNIST 需要的容量很小，也能看出容量太小要付出多少准确率。"
        ),
    ),
    Preset(
        name="Wide",
        name_zh="加宽",
        config=TrainConfig(hidden_size=256),
        teaches=(
            "Widening both hidden layers to 256 units buys about one more point of accuracy "
            "for six times the weights and a slower training."
        ),
        teaches_zh=(
            "把两层隐藏层加宽到每层 256 个神经元，准确率大约提高一个百分点，"
            "但权重数量是原来的六倍多，训练也更慢。"
        ),
    ),
    # Found by a search with train_run on real MNIST: 2×512 networks level off near 98.3% whatever
    # the optimizer, batch size or dropout, while 768 units with dropout 0.4 level off near 98.5%.
    # bench/bench_best_mlp.py measured 98.57%, 98.45% and 98.44% for seeds 0, 1 and 2, in 64-69 s
    # of training on an idle 2-core machine. It needs about 130 CPU-seconds, so a busy machine
    # (load average 4 and up) stretches the wall time past 100 s.
    Preset(
        name="Best MLP",
        name_zh="最佳 MLP",
        config=TrainConfig(
            hidden_size=768, epochs=16, batch_size=256, optimizer="rmsprop", learning_rate=0.001, dropout=0.4
        ),
        teaches=(
            "Wider layers with heavy dropout against overfitting, trained for more epochs, reach the 98.4% "
            "test accuracy of the Keras MLP example, about as far as a plain MLP goes on MNIST."
        ),
        teaches_zh=(
            "更宽的隐藏层加上较强的 dropout 来防止过拟合，再多训练几轮，"
            "就能达到 Keras MLP 示例的 98.4% 测试准确率，"
            "这差不多是普通 MLP 在 MNIST 上的极限。"
        ),
    ),
)


def preset_by_name(name):
    """Returns the preset called `name`.

    Raises:
        ValueError: when no preset has that name; the message lists the names there are.
    """
    for preset in PRESETS:
        if preset.name == name:
            return preset
    names = ", ".join(preset.name for preset in PRESETS)
    raise ValueError(f"Unknown preset {name!r}; choose one of {names}.")


def matching_preset(config):
    """Returns the preset whose configuration equals `config` in every field, or None."""
    return next((preset for preset in PRESETS if preset.config == config), None)
