"""school.yml texts in tests: read as walkbot reads a file, what it says is wrong, a good file with a few lines changed."""
from __future__ import annotations

import pytest

from bot.domain.school import SchoolConfig, parse_school_config, read_school_yaml
from bot.errors import InputError


def parse(text: str) -> SchoolConfig:
    return parse_school_config(read_school_yaml(text))


def problems(text: str) -> str:
    """What walkbot says is wrong with the file (it must refuse it)."""
    with pytest.raises(InputError) as caught:
        parse(text)
    return str(caught.value)


def changed(text: str, *swaps: tuple[str, str]) -> str:
    """`text` with each (old, new) swapped; each old must be there exactly once."""
    for old, new in swaps:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text
