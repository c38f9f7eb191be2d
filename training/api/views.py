"""Training API: patrols, exercises and programmes the caller's country takes part in (or funds).

Read-only; plans are made in the portal's pages. Everything starts from the gate, so whoever
does not take part gets 404 as for a missing object.
"""

from collections.abc import Callable
from typing import Any

from django.db.models import Sum
from django.db.models.functions import Coalesce
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.common import FORBIDDEN, INVALID_PAGE, NOT_FOUND
from portal.models import APIScope
from training import selectors
from training.api.serializers import (
    ExerciseDetailOut,
    ExerciseFilterIn,
    ExerciseOut,
    ListFilterIn,
    PatrolDetailOut,
    PatrolOut,
    ProgrammeDetailOut,
    ProgrammeFilterIn,
    ProgrammeOut,
)
from training.models import Exercise, Patrol, Programme

READ = {"GET": APIScope.TRAINING_READ}


def _with_spent(programmes):
    return programmes.annotate(
        spent=Coalesce(Sum("spending__amount"), 0, output_field=Programme._meta.get_field("budget"))
    )


class _List(GenericAPIView):
    required_scopes = READ
    filter_backends = ()
    serializer_class: type[serializers.BaseSerializer]  # set by each list
    filter_in: type[serializers.Serializer] = ListFilterIn
    search: Callable[..., Any] | None = None

    def rows(self, request, filters):
        return self.search(request.user, **filters)  # type: ignore[misc]  # set where rows is not overridden

    def get(self, request):
        filters = self.filter_in(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(self.rows(request, filters.validated_data))
        return self.get_paginated_response(self.serializer_class(page, many=True).data)


class PatrolList(_List):
    """Joint patrols the caller's country takes part in."""

    serializer_class = PatrolOut
    queryset = Patrol.objects.none()  # for the schema only

    def rows(self, request, filters):
        return selectors.patrol_search(request.user, **filters).order_by("-starts_at", "-id")

    @extend_schema(
        operation_id="patrols_list",
        parameters=[ListFilterIn],
        responses={200: PatrolOut(many=True), **INVALID_PAGE, **FORBIDDEN},
    )
    def get(self, request):
        return super().get(request)


class PatrolDetail(APIView):
    required_scopes = READ

    @extend_schema(summary="One joint patrol", responses={200: PatrolDetailOut, **FORBIDDEN, **NOT_FOUND})
    def get(self, request, pk):
        patrol = selectors.patrol_get(request.user, pk)
        context = {"visible_incidents": lambda report: selectors.report_incidents(request.user, report)}
        return Response(PatrolDetailOut(patrol, context=context).data)


class ExerciseList(_List):
    """Exercises the caller's country hosts or takes part in."""

    serializer_class = ExerciseOut
    queryset = Exercise.objects.none()
    filter_in = ExerciseFilterIn

    def rows(self, request, filters):
        return (
            selectors.exercise_search(request.user, **filters)
            .prefetch_related("agencies")
            .order_by("-starts_at", "-id")
        )

    @extend_schema(
        operation_id="exercises_list",
        parameters=[ExerciseFilterIn],
        responses={200: ExerciseOut(many=True), **INVALID_PAGE, **FORBIDDEN},
    )
    def get(self, request):
        return super().get(request)


class ExerciseDetail(APIView):
    required_scopes = READ

    @extend_schema(
        summary="One exercise with its after-action report",
        responses={200: ExerciseDetailOut, **FORBIDDEN, **NOT_FOUND},
    )
    def get(self, request, pk):
        exercise = selectors.exercise_get(request.user, pk)
        context = {"corrective_actions": lambda exercise: selectors.corrective_actions_for(request.user, exercise)}
        return Response(ExerciseDetailOut(exercise, context=context).data)


class ProgrammeList(_List):
    """Capacity-building programmes the caller's country takes part in or funds."""

    serializer_class = ProgrammeOut
    queryset = Programme.objects.none()
    filter_in = ProgrammeFilterIn

    def rows(self, request, filters):
        return (
            _with_spent(selectors.programme_search(request.user, **filters))
            .prefetch_related("agencies")
            .order_by("-starts_on", "-id")
        )

    @extend_schema(
        operation_id="programmes_list",
        parameters=[ProgrammeFilterIn],
        responses={200: ProgrammeOut(many=True), **INVALID_PAGE, **FORBIDDEN},
    )
    def get(self, request):
        return super().get(request)


class ProgrammeDetail(APIView):
    required_scopes = READ

    @extend_schema(
        summary="One programme with its courses and indicators",
        responses={200: ProgrammeDetailOut, **FORBIDDEN, **NOT_FOUND},
    )
    def get(self, request, pk):
        programme = _with_spent(selectors.programmes_visible_to(request.user)).get_visible_or_404(request.user, pk=pk)
        return Response(ProgrammeDetailOut(programme).data)
