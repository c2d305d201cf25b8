from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from catalog.models import Country, Entry, RegionalOffice, SdgGoal, SdgTarget, SupportKind, Theme
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
    # When its suggestions (the `suggested` matches) were last recomputed by the ranker.
    suggestions_refreshed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Sent with the first step of the web form: a double click on "create" finds the need the
    # first click made instead of making a second one.
    creation_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = NeedQuerySet.as_manager()
    # Who changed what and when, shown to staff on each need (django-simple-history).
    history = History(
        m2m_fields=[countries, themes, sdg_targets, support_kinds],
        excluded_fields=["updated_at", "suggestions_refreshed_at"],
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


class MatchQuerySet(models.QuerySet["Match"]):
    def suggested(self) -> "MatchQuerySet":
        return self.filter(status=Match.Status.SUGGESTED)

    def followed(self) -> "MatchQuerySet":
        """Matches someone acted on: past "suggested"."""
        return self.exclude(status=Match.Status.SUGGESTED)

    def engaged(self) -> "MatchQuerySet":
        """Matches that hold the need as matched: agreed, in implementation or completed."""
        return self.filter(status__in=Match.ENGAGED)


@dataclass(frozen=True)
class FactorLine:
    """One line of a match's explanation, read from its stored breakdown."""

    name: str
    label: str
    value: float
    weight: float
    contribution: float
    reasons: tuple[str, ...]


FACTOR_LABELS = {
    "text": _("Words of the need"),
    "taxonomy": _("SDG targets and themes"),
    "support": _("Support sought"),
    "context": _("Region, language and country group"),
    "south_south": _("South-South"),
    "availability": _("Availability and freshness"),
    "evidence": _("Evidence"),
    "feedback": _("Feedback on similar matches"),
}


class Match(models.Model):
    """A catalogue entry suggested for a need, and what people made of it.

    The ranker creates and refreshes `suggested` rows (matching/services.py
    `need_suggestions_refresh`); from there people move the match through its life cycle
    (`TRANSITIONS` in matching/services.py), each step recording who and when. `version` grows
    with every step: a step names the version its author saw, so that two people acting on the
    same match at once cannot overwrite each other.
    """

    class Status(models.TextChoices):
        SUGGESTED = "suggested", _("Suggested")
        SHORTLISTED = "shortlisted", _("Shortlisted")
        CONTACTED = "contacted", _("Contacted")
        AGREED = "agreed", _("Agreed")
        IN_IMPLEMENTATION = "in-implementation", _("In implementation")
        COMPLETED = "completed", _("Completed")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class DeclineReason(models.TextChoices):
        NOT_RELEVANT = "not-relevant", _("Not relevant to the need")
        NOT_AVAILABLE = "not-available", _("Not available")
        NOT_AFFORDABLE = "not-affordable", _("Not affordable")
        ALREADY_MET = "already-met", _("The need is already met")
        OTHER = "other", _("Other")

    ENGAGED = (Status.AGREED, Status.IN_IMPLEMENTATION, Status.COMPLETED)

    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="matches")
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="matches")
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SUGGESTED
    )
    score = models.FloatField(_("score"), help_text=_("The ranker's score, from 0 to 1."))
    # RankedEntry.as_json(): the factors with their values, weights, contributions and reasons,
    # the matched words and the flags, as they were when the score was computed.
    breakdown = models.JSONField(_("breakdown"), default=dict, blank=True)
    ranked_at = models.DateTimeField(_("ranked at"))

    shortlisted_at = models.DateTimeField(null=True, blank=True)
    shortlisted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    contacted_at = models.DateTimeField(null=True, blank=True)
    contacted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    agreed_at = models.DateTimeField(null=True, blank=True)
    agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    implementation_started_at = models.DateTimeField(null=True, blank=True)
    implementation_started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    declined_at = models.DateTimeField(null=True, blank=True)
    declined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decline_reason = models.CharField(
        _("reason"), max_length=20, choices=DeclineReason.choices, blank=True
    )
    decline_comment = models.TextField(_("comment"), blank=True)
    withdraw_comment = models.TextField(_("why it was withdrawn"), blank=True)

    # The outcome, recorded at completion (and read by the reports).
    results = models.TextField(_("results"), blank=True)
    beneficiaries = models.TextField(
        _("beneficiaries"), blank=True, help_text=_("Who benefited, and how many.")
    )
    lessons_learned = models.TextField(_("lessons learned"), blank=True)

    # Set when the need's officers were told about this strong match (one digest a day).
    strong_notified_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MatchQuerySet.as_manager()
    # The steps people took, with who took them. Suggestions come and go with each refresh in
    # bulk writes, which record no history: it holds people's decisions, not the ranker's output.
    history = History(
        excluded_fields=["breakdown", "ranked_at", "strong_notified_at", "version", "updated_at"]
    )

    class Meta:
        ordering = ["-score", "pk"]
        verbose_name_plural = _("matches")
        indexes = [
            # A need's page: its matches, best first.
            models.Index(fields=["need", "-score"], name="match_need_score"),
            # Reverse matching and an organization's follow-up: the matches of an entry.
            models.Index(fields=["entry", "status"], name="match_entry_status"),
            # The strong-match digest: unnotified rows by score (score >= threshold).
            models.Index(
                fields=["-score"],
                condition=Q(strong_notified_at__isnull=True, status="suggested"),
                name="match_strong_unnotified",
            ),
        ]
        constraints = [
            # The refresh upserts by (need, entry); a need meets an entry at most once.
            models.UniqueConstraint(fields=["need", "entry"], name="match_unique_need_entry"),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(decline_reason=""),
                name="match_declined_has_reason",
                violation_error_message=_("A declined match must say why."),
            ),
            models.CheckConstraint(
                condition=~Q(status="completed") | ~Q(results=""),
                name="match_completed_has_results",
                violation_error_message=_("A completed match must record its results."),
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=1),
                name="match_score_between_0_and_1",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.need} ↔ {self.entry}"

    @property
    def is_closed(self) -> bool:
        return self.status in (self.Status.COMPLETED, self.Status.DECLINED, self.Status.WITHDRAWN)

    def factor_lines(self) -> list[FactorLine]:
        """The breakdown's factors, labelled, largest contribution first."""
        # Reasons are stored as codes and parameters, put into words in the active language.
        from matching.ranking.reasons import render_all

        lines = []
        for factor in self.breakdown.get("factors", []) if isinstance(self.breakdown, dict) else []:
            name = str(factor.get("name", ""))
            lines.append(
                FactorLine(
                    name=name,
                    label=str(FACTOR_LABELS.get(name, name)),
                    value=float(factor.get("value", 0.0)),
                    weight=float(factor.get("weight", 0.0)),
                    contribution=float(factor.get("contribution", 0.0)),
                    reasons=tuple(render_all(factor.get("reasons", ()))),
                )
            )
        return sorted(lines, key=lambda line: -line.contribution)

    @property
    def matched_words(self) -> list[str]:
        return list(self.breakdown.get("matched_words", [])) if self.breakdown else []

    @property
    def flags(self) -> list[str]:
        return list(self.breakdown.get("flags", [])) if self.breakdown else []

    @property
    def is_triangular(self) -> bool:
        return "triangular" in self.flags


class RankingWeights(models.Model):
    """How much each factor counts in a match's score: one row, tuned by programme staff.

    A factor's contribution is its weight times its value over the sum of the weights, so only
    the proportions matter: doubling every weight changes nothing. The defaults are
    `matching.ranking.weights.DEFAULT_WEIGHTS` (written out here: this module cannot import the
    ranker, which imports it; a test keeps the two equal), where each factor is explained.
    """

    SINGLETON_PK = 1
    FACTORS = (
        "text",
        "taxonomy",
        "support",
        "context",
        "south_south",
        "availability",
        "evidence",
        "feedback",
    )

    text = models.FloatField(
        _("text relevance"),
        default=0.30,
        validators=[MinValueValidator(0)],
        help_text=_("Words shared by the need and the entry (BM25)."),
    )
    taxonomy = models.FloatField(
        _("SDG targets and themes"),
        default=0.55,
        validators=[MinValueValidator(0)],
        help_text=_("Shared SDG targets (most), goals and themes."),
    )
    support = models.FloatField(
        _("support fit"),
        default=0.05,
        validators=[MinValueValidator(0)],
        help_text=_("The kinds of support sought against what the entry offers."),
    )
    context = models.FloatField(
        _("context"),
        default=0.04,
        validators=[MinValueValidator(0)],
        help_text=_("Same region, shared language, similar country group."),
    )
    south_south = models.FloatField(
        _("South-South"),
        default=0.02,
        validators=[MinValueValidator(0)],
        help_text=_("Southern providers first; triangular ones flagged."),
    )
    availability = models.FloatField(
        _("availability and freshness"),
        default=0.02,
        validators=[MinValueValidator(0)],
        help_text=_("Open opportunities, upcoming events, recent confirmation."),
    )
    evidence = models.FloatField(
        _("evidence"),
        default=0.02,
        validators=[MinValueValidator(0)],
        help_text=_("Verified entries and entries with completed matches."),
    )
    feedback = models.FloatField(
        _("feedback"),
        default=0.30,
        validators=[MinValueValidator(0)],
        help_text=_("Declines as “not relevant” for similar needs count against."),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("ranking weights")
        verbose_name_plural = _("ranking weights")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="ranking_weights_single_row"),
            models.CheckConstraint(
                condition=Q(text__gte=0)
                & Q(taxonomy__gte=0)
                & Q(support__gte=0)
                & Q(context__gte=0)
                & Q(south_south__gte=0)
                & Q(availability__gte=0)
                & Q(evidence__gte=0)
                & Q(feedback__gte=0),
                name="ranking_weights_not_negative",
                violation_error_message=_("A weight cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return str(_("Ranking weights"))

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The only row: there is nothing to choose.
        self.pk = self.SINGLETON_PK
        super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> "RankingWeights":
        """The one row, created with the default weights the first time it is asked for."""
        weights, _created = cls.objects.get_or_create(pk=cls.SINGLETON_PK)
        return weights

    def as_dict(self) -> dict[str, float]:
        return {name: float(getattr(self, name)) for name in self.FACTORS}

    def clean(self) -> None:
        if self.pk is None:
            self.pk = self.SINGLETON_PK
        if not any(value > 0 for value in self.as_dict().values() if value is not None):
            raise ValidationError(_("At least one weight must be above zero."))
