"""Fixtures for the understanding tests."""

from __future__ import annotations

import pytest

from nlu import Gazetteer

from .sample_grids import GUOQUAN, KONGJIANG, ZHENGTONG


@pytest.fixture(scope="session")
def gazetteer() -> Gazetteer:
    return Gazetteer([GUOQUAN, ZHENGTONG, KONGJIANG], district="杨浦区")
