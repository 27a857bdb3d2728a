"""fit's per-epoch dev metrics: DevEvaluation's val_loss and val_accuracy equal Keras's own
evaluate on the same model and batches, and the callbacks after it (and the history) see them."""

import keras
import numpy as np

from clue_tf.models.bert.config import BertConfig
from clue_tf.models.bert.family import BERT
from clue_tf.tasks.classifier import DevEvaluation
from clue_tf.tasks.classifier_data import evaluation_dataset, make_dataset
from tests.tasks.test_evaluation_batches import random_features

CONFIG = BertConfig(vocab_size=21128, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                    intermediate_size=64, max_position_embeddings=64, type_vocab_size=2)


def classifier():
    keras.utils.set_random_seed(5)
    model = BERT.build(CONFIG, ("classifier",), 15, first_token_only=True)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), metrics=["accuracy"],
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def test_dev_metrics_equal_keras_evaluate():
    model = classifier()
    dev, _ = evaluation_dataset(random_features(150, 40, seed=1), 32, True, 40)
    logs = {}
    DevEvaluation(lambda batches: model.predict(batches, verbose=0), dev).on_epoch_end(0, logs)
    expected = model.evaluate(dev, return_dict=True, verbose=0)
    assert abs(logs["val_loss"] - expected["loss"]) < 1e-5
    assert abs(logs["val_accuracy"] - expected["accuracy"]) < 1e-6  # Keras's is a float32 mean
    assert 0 < expected["accuracy"] < 1  # neither all right nor all wrong: the comparison means something


def test_later_callbacks_and_the_history_see_them():
    model = classifier()
    train = make_dataset(random_features(96, 40), 32, True, True, 1, 40)
    dev, _ = evaluation_dataset(random_features(70, 40, seed=2), 32, True, 40)
    seen = []
    record = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(logs["val_accuracy"]))
    history = model.fit(train, epochs=2, steps_per_epoch=3, verbose=0,
                        callbacks=[DevEvaluation(lambda batches: model.predict(batches, verbose=0), dev), record])
    assert seen == history.history["val_accuracy"] and len(seen) == 2
    assert abs(history.history["val_loss"][-1] - model.evaluate(dev, return_dict=True, verbose=0)["loss"]) < 1e-5
