"""Every Python block in README.md runs as written, on the bundled sample.

The blocks name a model folder, a vocab and a SavedModel as a user's working folder would
hold them; the fixture makes those names from the sample config and vocab (random weights,
with the heads the blocks use), then each block runs in a fresh namespace there.
"""

import json
import re
import shutil

import pytest

from clue_tf.cli import run_command
from tests.helpers import PROJECT_ROOT

SAMPLE = PROJECT_ROOT / "sample"
BLOCKS = re.findall(r"```python\n(.*?)```", (PROJECT_ROOT / "README.md").read_text(encoding="utf-8"), re.S)


@pytest.fixture(scope="module")
def working_folder(tmp_path_factory):
    import keras

    from clue_tf.checkpoints.folders import write
    from clue_tf.models.bert.config import BertConfig
    from clue_tf.models.bert.family import BERT

    root = tmp_path_factory.mktemp("readme")
    keras.utils.set_random_seed(0)
    config = BertConfig.from_dict(json.loads((SAMPLE / "bert_config.json").read_text()))
    # a local folder of the registry name's path wins over the download
    write(str(root / "uer" / "chinese_roberta_L-4_H-256"), BERT.build(config, ("masked_lm",)), BERT, config,
          str(SAMPLE / "vocab.txt"))
    write(str(root / "tnews_bundle"), BERT.build(config, ("classifier",), 15), BERT, config, str(SAMPLE / "vocab.txt"))
    assert run_command("export_saved_model", [f"--bundle_dir={root / 'tnews_bundle'}", "--task_name=tnews",
                                              f"--export_dir={root / 'serving' / 'tnews' / '1'}",
                                              "--max_seq_length=32"]) == 0
    shutil.copyfile(SAMPLE / "vocab.txt", root / "vocab.txt")
    return root


def test_the_readme_has_python_blocks():
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("number", range(len(BLOCKS)), ids=lambda n: f"block{n + 1}")
def test_readme_python_block_runs_as_written(number, working_folder, monkeypatch, capsys):
    monkeypatch.chdir(working_folder)
    exec(compile(BLOCKS[number], f"README.md python block {number + 1}", "exec"), {"__name__": "readme"})
    assert capsys.readouterr().out.strip(), "each block prints what it shows"
