"""Compact text columns: same values, less memory; profiles built on them hold the same values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from reference import as_objects, random_case

from linkage.memory import compact_text, release_unused_memory
from linkage.profiles import build_profiles


def test_text_columns_become_arrow_strings_with_the_same_values() -> None:
    frame = pd.DataFrame(
        {
            "name": ["Acme", None, "华为 公司", np.nan],
            "code": ["a", "b", "c", "d"],
            "mixed": ["1", 2, None, "x"],
            "broken": ["ok", "s\udc80", None, "x"],  # a lone surrogate is not UTF-8
            "count": [1, 2, 3, 4],
            "flag": [True, False, True, False],
        },
        index=pd.RangeIndex(10, 14),
    )
    out = compact_text(frame, ["name", "mixed", "broken", "count", "flag"])
    assert out["name"].dtype == pd.ArrowDtype(pa.string())
    assert out["name"].to_numpy(dtype=object, na_value=None).tolist() == [
        "Acme",
        None,
        "华为 公司",
        None,
    ]
    for kept in ("code", "mixed", "broken"):  # not chosen, or not all text
        assert out[kept].dtype == object
        pd.testing.assert_series_equal(out[kept], frame[kept])
    pd.testing.assert_series_equal(out["count"], frame["count"])
    assert list(out.columns) == list(frame.columns) and out.index.equals(frame.index)
    assert compact_text(frame)["code"].dtype == pd.ArrowDtype(pa.string())


def test_profiles_of_compact_features_equal_those_of_object_features() -> None:
    built = 0
    for seed in range(60):
        args, kwargs = random_case(seed)
        features, rest = args[0], args[1:]
        try:
            want = build_profiles(features, *rest, **kwargs)
        except Exception:  # invalid cases are the reference test's business
            continue
        got = build_profiles(compact_text(features), *rest, **kwargs)
        pd.testing.assert_frame_equal(as_objects(got), as_objects(want))
        built += 1
    assert built > 20
    release_unused_memory()  # runs anywhere (a no-op trim without glibc)
