from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from catalog.models import Country, RegionalOffice, SdgGoal, SdgTarget, SupportKind, Theme
from catalog.models.entries import CONTENT_LANGUAGES
from exchange.history import History


class NeedQuerySet(models.QuerySet["Need"]):
    def open(self) -> "NeedQuerySet":
        return self.filter(status=Need.Status.OPEN)

    def for_office(self, office: RegionalOffice) -> "NeedQuerySet":
        return self.filter(regional_office=office)


class Need(models.Model):
    """A capacity-building need stated for one or more countries by a regional office."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        VALIDATED = "validated", _("Validated")
        OPEN = "open", _("Open")
        MATCHED = "matched", _("Matched")
        CLOSED = "closed", _("Closed")

    class Priority(models.TextChoices):
        HIGH = "high", _("High")
        MEDIUM = "medium", _("Medium")
        LOW = "low", _("Low")

    class TimeFrame(models.TextChoices):
        SHORT = "short", _("Within a year")
        MEDIUM = "medium", _("One to three years")
        LONG = "long", _("More than three years")

    class Origin(models.TextChoices):
        TNA = "tna", _("National Technology Needs Assessment")
        NDC = "ndc", _("Nationally Determined Contribution")
        NAP = "nap", _("National Adaptation Plan")
        NATIONAL_COMMUNICATION = "national-communication", _("National communication")
        NBSAP = "nbsap", _("National Biodiversity Strategy and Action Plan")
        REGIONAL_CONSULTATION = "regional-consultation", _("Regional office consultation")
        GOVERNMENT_REQUEST = "government-request", _("Government request")
        OTHER = "other", _("Other")

    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"))
    language = models.CharField(_("language"), max_length=5, choices=CONTENT_LANGUAGES)
    countries = models.ManyToManyField(Country, related_name="needs", verbose_name=_("countries"))
    themes = models.ManyToManyField(Theme, related_name="needs", blank=True)
    sdg_goals = models.ManyToManyField(SdgGoal, related_name="needs", blank=True)
    sdg_targets = models.ManyToManyField(SdgTarget, related_name="needs", blank=True)
    support_kinds = models.ManyToManyField(
        SupportKind, related_name="needs", verbose_name=_("support sought")
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.MEDIUM
    )
    time_frame = models.CharField(
        _("time frame"), max_length=10, choices=TimeFrame.choices, default=TimeFrame.MEDIUM
    )
    needed_by = models.DateField(_("needed by"), null=True, blank=True)
    regional_office = models.ForeignKey(
        RegionalOffice, on_delete=models.PROTECT, related_name="needs"
    )
    origin = models.CharField(_("origin"), max_length=30, choices=Origin.choices)
    origin_reference = models.CharField(
        _("origin reference"), max_length=300, blank=True, help_text=_("Document title or link.")
    )

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    source = models.ForeignKey(
        "partners.PartnerSource",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="needs",
    )
    external_id = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    validated_at = models.DateTimeField(null=True, blank=True)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    opened_at = models.DateTimeField(null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    matched_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_reason = models.TextField(blank=True)
    # Sent with the first step of the web form: a double click on "create" finds the need the
    # first click made instead of making a second one.
    creation_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = NeedQuerySet.as_manager()
    # Who changed what and when, shown to staff on each need (django-simple-history).
    history = History(
        m2m_fields=[countries, themes, sdg_targets, support_kinds], excluded_fields=["updated_at"]
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # Regional office dashboards: needs of one office by status.
            models.Index(fields=["regional_office", "status"], name="need_office_status"),
        ]
        constraints = [
            # Imports and demo content look needs up by (source, external_id).
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="need_unique_source_external_id",
                violation_error_message=_(
                    "Another need from this source already has this external id."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | ~Q(closed_reason=""),
                name="need_closed_has_reason",
                violation_error_message=_("A closed need must say why it was closed."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT


class NeedReview(models.Model):
    """One screening decision of programme staff on a submitted need, with the answers to the
    screening criteria; a returned need goes back to draft and its officers read the comment."""

    class Decision(models.TextChoices):
        VALIDATED = "validated", _("Validated")
        RETURNED = "returned", _("Returned with comments")

    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="reviews")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices)
    comment = models.TextField(_("comment"), blank=True)
    # The screening criteria shown on the form; None when the decision was taken elsewhere
    # (e.g. the admin's bulk action), which asks no questions.
    fits_national_priorities = models.BooleanField(
        _("fits national priorities"), null=True, blank=True
    )
    ldc_sids_priority = models.BooleanField(_("LDC/LLDC/SIDS priority"), null=True, blank=True)
    is_clear = models.BooleanField(_("clearly stated"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(decision="returned") | ~Q(comment=""),
                name="need_review_returned_has_comment",
                violation_error_message=_("A returned need must say what to change."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.need} · {self.get_decision_display()}"
