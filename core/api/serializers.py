"""Serializer bases shared by every app's API."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from rest_framework import serializers


class BlankChoicesModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose read-only choice fields keep `allow_blank` when their model field
    may be "" (DRF drops it for read-only fields), so the OpenAPI document admits the "" the API
    answers (drf-spectacular adds its BlankEnum)."""

    def include_extra_kwargs(
        self, kwargs: MutableMapping[str, Any], extra_kwargs: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        blank = bool(kwargs.get("allow_blank")) and "choices" in kwargs
        kwargs = super().include_extra_kwargs(kwargs, extra_kwargs)
        if blank:
            kwargs["allow_blank"] = True
        return kwargs
