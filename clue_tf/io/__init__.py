"""Files in and out: outputs.py (the output discipline), inputs.py (text and globs), json_config.py."""
