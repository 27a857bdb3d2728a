"""The one-click summary: best cell per task, published CLUE scores beside ours, the zip."""

import json
import zipfile

from clue_tf.tasks.baselines import published_scores, summarize


def make_cell(root, task, cell, accuracy, predict_name):
    folder = root / task / cell
    folder.mkdir(parents=True)
    (folder / "eval_results.json").write_text(json.dumps({"eval_accuracy": accuracy}))
    (folder / predict_name).write_text(f'{{"id": 0, "label": "{cell}"}}\n')


def test_table_shows_best_cells_beside_published_scores(tmp_path):
    make_cell(tmp_path, "afqmc", "ep3_bs32_lr1e-4", 0.61, "afqmc_predict.json")
    make_cell(tmp_path, "afqmc", "ep5_bs32_lr1e-4", 0.66, "afqmc_predict.json")
    make_cell(tmp_path, "tnews", "ep5_bs32_lr1e-4", 0.50, "tnews11_predict.json")
    table = summarize(str(tmp_path), "/models/RoBERTa-tiny-clue/")
    assert "| afqmc | 66.00 | 69.52 | ep5_bs32_lr1e-4 |" in table
    assert "| tnews | 50.00 | 54.57 | ep5_bs32_lr1e-4 |" in table
    assert "published (roberta-tiny-clue)" in table
    with zipfile.ZipFile(tmp_path / "submission" / "submission.zip") as z:
        assert sorted(z.namelist()) == ["afqmc_predict.json", "tnews11_predict.json"]
        assert "ep5" in z.read("afqmc_predict.json").decode()


def test_unknown_models_and_pair_models():
    assert published_scores("/models/my-own-bundle") == (None, {})
    name, scores = published_scores("roberta-tiny-pair")
    assert name == "roberta-tiny-pair" and scores == {"afqmc": 69.93}
    assert published_scores("chinese_L-12_H-768_A-12")[1]["cmnli"] == 79.69
