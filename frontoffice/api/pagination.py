"""Page-number pagination for every API list: count, next, previous, results."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import pagination, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=N&page_size=M`` (default ``REST_FRAMEWORK["PAGE_SIZE"]``, max 200)."""

    page_size_query_param = "page_size"
    max_page_size = 200


def paginated_response(
    *,
    queryset: QuerySet[Any],
    serializer_class: type[serializers.BaseSerializer],
    request: Request,
    view: APIView,
) -> Response:
    """One page of ``queryset`` serialized with ``serializer_class`` (for plain APIViews)."""
    paginator = PageNumberPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    data = serializer_class(page, many=True, context={"request": request}).data
    return paginator.get_paginated_response(data)
