"""Models on the Hugging Face Hub (`hf://ORG/NAME[@REVISION]`) through huggingface_hub: its
cache (shared with transformers), revisions, HF_ENDPOINT mirrors, HF_TOKEN, HF_HUB_OFFLINE
and resumable transfers; only the files one format needs are fetched."""

import fnmatch
import logging
import os
from typing import Optional

from clue_tf.checkpoints import hf
from clue_tf.checkpoints.downloads import offline
from clue_tf.errors import CheckpointError

logger = logging.getLogger(__name__)

PREFIX = "hf://"
# Small files every format may need: configs (bert_config.json beside TF1 weights), vocab,
# transformers' tokenizer files.
SIDE_FILES = ("*config*.json", "vocab*.txt", "tokenizer.json", "special_tokens_map.json")
# One weight format, HF's order of preference, then a TF1 checkpoint (released TF1 folders).
WEIGHT_CHOICES = (
    (hf.SAFETENSORS_NAME,),
    (hf.SAFETENSORS_INDEX_NAME, "model-*-of-*.safetensors"),
    (hf.PYTORCH_NAME,),
    (hf.TF_H5_NAME,),
    ("*.index", "*.data-*-of-*"),
)


def parse(value: str) -> tuple[str, Optional[str]]:
    """`hf://ORG/NAME@REV` -> ("ORG/NAME", "REV"); no revision -> None (the default branch)."""
    body = value[len(PREFIX):] if value.startswith(PREFIX) else value
    repo_id, _, revision = body.partition("@")
    if repo_id.count("/") > 1 or not repo_id.strip("/"):
        raise CheckpointError(f"{value}: not hf://ORG/NAME[@REVISION]")
    return repo_id, revision or None


def files_to_fetch(repo_files: list[str], where: str) -> list[str]:
    """The top-level files of a repo that make one model folder: side files and one weight format."""
    top = [f for f in repo_files if "/" not in f]

    def matching(patterns) -> list[str]:
        return sorted({f for f in top for p in patterns if fnmatch.fnmatch(f, p)})

    for choice in WEIGHT_CHOICES:
        if all(matching([p]) for p in choice):
            weights = matching(choice)
            break
    else:
        raise CheckpointError(f"{where}: no weights clue-tf reads (model.safetensors, pytorch_model.bin, "
                              f"tf_model.h5, a TF1 checkpoint) among {', '.join(top[:8]) or 'no files'}")
    side = [f for f in matching(SIDE_FILES) if not f.startswith("generation_")]
    return side + [w for w in weights if w not in side]


def _hub_settings() -> dict:
    """Endpoint and cache read when called (not when huggingface_hub was imported)."""
    settings = {}
    if os.environ.get("HF_ENDPOINT"):
        settings["endpoint"] = os.environ["HF_ENDPOINT"].rstrip("/")
    if os.environ.get("HF_HUB_CACHE"):
        settings["cache_dir"] = os.environ["HF_HUB_CACHE"]
    elif os.environ.get("HF_HOME"):
        settings["cache_dir"] = os.path.join(os.environ["HF_HOME"], "hub")
    return settings


def _cached(repo_id: str, revision: Optional[str], settings: dict, why: str) -> str:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return snapshot_download(repo_id, revision=revision, local_files_only=True,
                                 cache_dir=settings.get("cache_dir"))
    except (LocalEntryNotFoundError, FileNotFoundError, OSError, ValueError):
        name = f"hf://{repo_id}" + (f"@{revision}" if revision else "")
        raise CheckpointError(f"{name}: {why} and not in the Hub cache; run once online (or `hf download "
                              f"{repo_id}`), or download the model folder and give --bundle_dir=<that folder>") from None


def hub_folder(repo_id: str, revision: Optional[str] = None) -> str:
    """The local snapshot folder of `repo_id` at `revision`, holding one weight format."""
    from huggingface_hub import HfApi, hf_hub_download
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError, RevisionNotFoundError

    settings = _hub_settings()
    name = f"hf://{repo_id}" + (f"@{revision}" if revision else "")
    if offline():
        return _cached(repo_id, revision, settings, "offline (HF_HUB_OFFLINE=1)")
    try:
        info = HfApi(endpoint=settings.get("endpoint")).model_info(repo_id, revision=revision)
    except GatedRepoError:
        raise CheckpointError(f"{name}: a gated model; accept its terms on the Hub and set HF_TOKEN") from None
    except RevisionNotFoundError:
        raise CheckpointError(f"{name}: the model has no revision {revision!r}") from None
    except RepositoryNotFoundError:
        raise CheckpointError(f"{name}: no such model on the Hub (a private one needs HF_TOKEN)") from None
    except Exception as e:  # no connection, proxy, server error: the cache may still serve
        logger.warning("%s: cannot reach the Hub (%s); looking in the cache", name, type(e).__name__)
        return _cached(repo_id, revision, settings, f"the Hub is unreachable ({type(e).__name__})")
    files = files_to_fetch([s.rfilename for s in info.siblings or []], name)
    logger.info("%s: fetching %s", name, ", ".join(files))
    path = None
    for filename in files:
        path = hf_hub_download(repo_id, filename, revision=revision, **settings)
    return os.path.dirname(path)
