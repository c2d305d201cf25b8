from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import ActionLocation, helpers
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin import staff_user
from accounts.models import User
from catalog.admin import m2m_options
from exchange.errors import ApplicationError
from matching.models import Match, Need, NeedReview, RankingWeights
from matching.services import need_close, need_open, need_submit, need_validate
from matching.tasks import enqueue_need_refresh, refresh_open_needs

BOTH_LOCATIONS = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]


# Set by the workflow actions (matching/services.py), never typed in.
WORKFLOW_FIELDS = (
    "status",
    "created_by",
    "submitted_at",
    "submitted_by",
    "validated_at",
    "validated_by",
    "opened_at",
    "matched_at",
    "closed_at",
    "closed_by",
    "closed_reason",
    "source",
    "external_id",
    "created_at",
    "updated_at",
)


class CloseNeedsForm(forms.Form):
    reason = forms.CharField(
        label=_("Why are these needs being closed?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Kept with each need, e.g. “met by a national programme” or “duplicate”."),
    )


class NeedReviewInline(admin.TabularInline[NeedReview, Need]):
    """Screening decisions, read-only: they are made on the screening page (or by the actions
    below), never typed in."""

    model = NeedReview
    extra = 0
    can_delete = False
    fields = (
        "created_at",
        "by",
        "decision",
        "fits_national_priorities",
        "ldc_sids_priority",
        "is_clear",
        "comment",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Need)
class NeedAdmin(admin.ModelAdmin[Need]):
    inlines = [NeedReviewInline]
    list_display = [
        "title",
        "status",
        "priority",
        "regional_office",
        "country_list",
        "origin",
        "needed_by",
        "created_at",
    ]
    list_select_related = ["regional_office"]
    list_filter = [
        "status",
        "regional_office",
        "priority",
        "origin",
        "time_frame",
        "language",
        "themes",
        "support_kinds",
        "source",
    ]
    search_fields = ["title", "origin_reference", "=external_id"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["countries", "sdg_targets"]
    readonly_fields = WORKFLOW_FIELDS
    fieldsets = [
        (None, {"fields": ["title", "description", "language"]}),
        (
            _("Where and what"),
            {"fields": ["countries", "themes", "sdg_goals", "sdg_targets", "support_kinds"]},
        ),
        (
            _("Urgency and origin"),
            {
                "fields": [
                    ("priority", "time_frame", "needed_by"),
                    "regional_office",
                    ("origin", "origin_reference"),
                ]
            },
        ),
        (_("Workflow"), {"fields": WORKFLOW_FIELDS}),
    ]
    actions = ["submit", "validate", "open", "close"]

    def formfield_for_manytomany(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelMultipleChoiceField | None:
        return super().formfield_for_manytomany(
            db_field, request, **{**m2m_options(db_field.name), **kwargs}
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Need]:
        return super().get_queryset(request).prefetch_related("countries")

    def get_inlines(self, request: HttpRequest, obj: Need | None) -> list[type[Any]]:
        # A new need has no screening yet; without the inline its form posts no formset.
        return list(self.inlines) if obj is not None else []

    @admin.display(description=_("countries"))
    def country_list(self, obj: Need) -> str:
        return ", ".join(country.iso3 for country in obj.countries.all())

    def save_model(self, request: HttpRequest, obj: Need, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = staff_user(request)
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # A need changed while open is ranked again (its countries, targets... are saved here).
        if form.instance.status in (Need.Status.OPEN, Need.Status.MATCHED):
            enqueue_need_refresh(form.instance.pk)

    def _apply(
        self,
        request: HttpRequest,
        queryset: QuerySet[Need],
        step: Callable[[Need, User], Need],
        done: Callable[[int], str],
    ) -> None:
        """Run `step` on each need; report how many it changed and why the others were not."""
        by = staff_user(request)
        count = 0
        for need in queryset.order_by("pk"):
            try:
                step(need, by)
            except ApplicationError as exc:
                self.message_user(request, f"{need.title}: {exc.message}", messages.WARNING)
            else:
                count += 1
        if count:
            self.message_user(request, done(count), messages.SUCCESS)

    @admin.action(
        description=_("Submit"),
        description_plural=_("Submit selected needs"),
        permissions=["change"],
        location=BOTH_LOCATIONS,
    )
    def submit(self, request: HttpRequest, queryset: QuerySet[Need]) -> None:
        self._apply(
            request,
            queryset,
            lambda need, by: need_submit(need=need, by=by),
            lambda n: ngettext("Submitted %d need.", "Submitted %d needs.", n) % n,
        )

    @admin.action(
        description=_("Validate"),
        description_plural=_("Validate selected needs"),
        permissions=["change"],
        location=BOTH_LOCATIONS,
    )
    def validate(self, request: HttpRequest, queryset: QuerySet[Need]) -> None:
        self._apply(
            request,
            queryset,
            lambda need, by: need_validate(need=need, by=by),
            lambda n: ngettext("Validated %d need.", "Validated %d needs.", n) % n,
        )

    @admin.action(
        description=_("Open to matching"),
        description_plural=_("Open selected needs to matching"),
        permissions=["change"],
        location=BOTH_LOCATIONS,
    )
    def open(self, request: HttpRequest, queryset: QuerySet[Need]) -> None:
        self._apply(
            request,
            queryset,
            lambda need, by: need_open(need=need, by=by),
            lambda n: ngettext("Opened %d need.", "Opened %d needs.", n) % n,
        )

    @admin.action(
        description=_("Close"),
        description_plural=_("Close selected needs…"),
        permissions=["change"],
    )
    def close(self, request: HttpRequest, queryset: QuerySet[Need]) -> TemplateResponse | None:
        """Asks for the reason on an intermediate page, like the built-in delete action."""
        form = CloseNeedsForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            self._apply(
                request,
                queryset,
                lambda need, by: need_close(need=need, by=by, reason=reason),
                lambda n: ngettext("Closed %d need.", "Closed %d needs.", n) % n,
            )
            return None
        return TemplateResponse(
            request,
            "admin/matching/need/close_selected.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Close needs"),
                "opts": self.opts,
                "needs": queryset,
                "form": form,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )


@admin.register(Match)
class MatchAdmin(admin.ModelAdmin[Match]):
    """Matches, read-only: the ranker suggests them and people move them along on the need's
    page (matching/services.py), where every step is checked and recorded."""

    list_display = ["need", "entry", "status", "score", "ranked_at", "updated_at"]
    list_select_related = ["need", "entry"]
    list_filter = ["status", "decline_reason", "need__regional_office"]
    search_fields = ["need__title", "entry__title"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RankingWeightsForm(forms.ModelForm[RankingWeights]):
    class Meta:
        model = RankingWeights
        fields = list(RankingWeights.FACTORS)


@admin.register(RankingWeights)
class RankingWeightsAdmin(admin.ModelAdmin[RankingWeights]):
    """The ranker's weights, one row. Only their proportions matter; the next refresh of each
    need's suggestions uses them (matching/ranking/weights.py explains each factor)."""

    form = RankingWeightsForm
    list_display = ["__str__", *RankingWeights.FACTORS, "updated_by", "updated_at"]
    readonly_fields = ["updated_by", "updated_at"]
    fieldsets = [
        (
            None,
            {
                "fields": list(RankingWeights.FACTORS),
                "description": _(
                    "How much each factor counts in a match's score. Each weight is zero or "
                    "more and at least one is above zero; only their proportions matter. "
                    "Suggestions use the new weights when they are next refreshed."
                ),
            },
        ),
        (_("Last change"), {"fields": ["updated_by", "updated_at"]}),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not RankingWeights.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: RankingWeights, form: Any, change: bool
    ) -> None:
        obj.updated_by = staff_user(request)
        super().save_model(request, obj, form, change)
        # New weights re-rank every open need's suggestions, in the background.
        transaction.on_commit(refresh_open_needs.delay, robust=True)
        self.message_user(
            request,
            _("The suggestions of the open needs are being ranked again with these weights."),
        )
