"""JSON config files: read into a dict with one-line errors naming the file, written atomically."""

import json

from clue_tf.errors import ConfigError
from clue_tf.io.outputs import atomic_write


def read_json_config(path: str) -> dict:
    """A JSON object from a config file, or a ConfigError naming the file."""
    try:
        with open(path, encoding="utf-8") as f:
            values = json.load(f)
    except OSError as e:
        raise ConfigError(f"{path}: cannot read config ({e.strerror})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: not a JSON config ({e})") from None
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: not a JSON object")
    return values


def write_json_config(values: dict, path: str) -> None:
    """Writes a config as indented UTF-8 JSON (atomically)."""
    with atomic_write(path) as f:
        json.dump(values, f, indent=2, ensure_ascii=False)
        f.write("\n")
