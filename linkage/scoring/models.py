"""Models saved as JSON, read back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from linkage.scoring.fellegi_sunter import FellegiSunter
from linkage.scoring.supervised import SupervisedModel


def load_model(path: str | Path) -> FellegiSunter | SupervisedModel:
    """Load a model saved with ``save`` (either kind)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return model_from_dict(data)


def model_from_dict(data: dict[str, Any]) -> FellegiSunter | SupervisedModel:
    """Rebuild either kind of model from its JSON form."""
    if data.get("model") == "supervised":
        return SupervisedModel.from_dict(data)
    return FellegiSunter.from_dict(data)
