"""Request parameters more than one route reads, checked the same way at every door.

A store id is read as the dataset and the ping routes read it (``replay.parsing.parse_store_id``):
whitespace at its ends is trimmed, and an id no topic key could carry is a 422 naming the reason. So
``/api/stores/%20pad%20`` finds the store a ping for ``" pad "`` made.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator

from replay.parsing import parse_store_id
from streams.contract.messages import MAX_KEY_CHARACTERS


def _optional_store_id(text: str | None) -> str | None:
    return None if text is None else parse_store_id(text)


StoreId = Annotated[str, Path(min_length=1, max_length=MAX_KEY_CHARACTERS), AfterValidator(parse_store_id)]
StoreIdFilter = Annotated[
    str | None,
    Query(min_length=1, max_length=MAX_KEY_CHARACTERS, description="one store's only"),
    AfterValidator(_optional_store_id),
]
