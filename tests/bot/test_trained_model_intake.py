"""The service understands with the trained model that settings point at."""

from __future__ import annotations

from pathlib import Path

import pytest

from models import Case
from nlu import ModelError
from nlu.training import train
from tests.bot.conftest import ClientFactory, Resident

# A deliberately odd deployment: it files noise under 教育文体 and lamps under 卫生计生, which
# the built-in keywords never would, so the answer shows which model was used.
NOISE = [
    "晚上工地噪音很大",
    "楼上装修噪音太吵",
    "广场舞音响噪音扰民",
    "半夜施工打桩很吵",
    "酒吧噪音到凌晨",
]
LAMPS = ["路灯坏了很黑", "小区路灯不亮", "路口路灯一直灭着", "路灯杆歪了", "人行道路灯闪烁"]


@pytest.fixture(scope="module")
def odd_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    examples = [(text, "教育文体") for text in NOISE] + [(text, "卫生计生") for text in LAMPS]
    path = tmp_path_factory.mktemp("model") / "odd.npz"
    train(examples * 3).save(path)
    return path


async def test_a_trained_model_decides_the_category(
    make_client: ClientFactory, odd_model: Path
) -> None:
    client = await make_client(nlu_model=odd_model)
    await Resident(client, "o-1").say("开鲁新村晚上工地施工噪音很大，吵得睡不着")
    case = await Case.get()
    assert case.category.startswith("教育文体/")


async def test_a_broken_model_stops_the_start(make_client: ClientFactory, tmp_path: Path) -> None:
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a model")
    with pytest.raises(ModelError):
        await make_client(nlu_model=broken)
