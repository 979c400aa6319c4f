"""Fixtures of the alerting unit tests: story updates and subscription mappings, built
with ``tests.support.records``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from shared.records import StoryUpdate
from tests.support.records import make_sub_dict, make_update

UpdateFactory = Callable[..., StoryUpdate]


@pytest.fixture
def update() -> UpdateFactory:
    return make_update


@pytest.fixture
def sub_dict() -> Callable[..., dict[str, Any]]:
    return make_sub_dict
