"""What every training command takes (run_classifier, run_pretraining), in one shape, with
the checks they share; each command's settings extend it and its `check()`."""

import os
from dataclasses import dataclass
from typing import Optional

from clue_tf.errors import ClueTfError


@dataclass(kw_only=True)
class TrainingSettings:
    """Field names follow Google's flags (`bert_config_file` is any family's config file)."""

    output_dir: str
    bert_config_file: Optional[str] = None
    vocab_file: Optional[str] = None
    init_checkpoint: Optional[str] = None
    max_seq_length: int = 128
    do_train: bool = False
    do_eval: bool = False
    train_batch_size: int = 32
    eval_batch_size: int = 8
    learning_rate: float = 5e-5
    strategy: str = "one_device"
    mixed_precision: str = "float32"
    use_xla: bool = False  # each replica's training step compiled with jit_compile=True
    recompute_grad: bool = False  # transformer layers run again in the backward pass (less memory)
    optimizer: str = "adamw"  # Google's AdamWeightDecay; lamb, adamw_keras, lamb_keras
    seed: int = 12345
    allow_unused_weights: bool = False

    def check(self) -> None:
        """One error naming the flag for a value no run can use, before anything is built."""
        self.require_at_least(train_batch_size=1, eval_batch_size=1, max_seq_length=3)
        if self.do_train and not self.learning_rate > 0:
            raise ClueTfError(f"--learning_rate={self.learning_rate}: must be above 0")
        if os.path.isfile(self.output_dir):
            raise ClueTfError(f"--output_dir={self.output_dir}: is a file")

    def require_at_least(self, **lowest: int) -> None:
        for name, low in lowest.items():
            value = getattr(self, name)
            if value is not None and value < low:
                raise ClueTfError(f"--{name}={value}: must be at least {low}")
