import datetime
from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from catalog.models import Country, RegionalOffice, SdgTarget, SupportKind, Theme
from catalog.models.entries import CONTENT_LANGUAGES
from matching.models import Match, Need
from matching.selectors import region_countries


class NeedForm(forms.ModelForm[Need]):
    """The fields a regional office states for a need; the workflow fields are set by services."""

    class Meta:
        model = Need
        fields = [
            "title",
            "description",
            "language",
            "countries",
            "themes",
            "sdg_goals",
            "sdg_targets",
            "support_kinds",
            "priority",
            "time_frame",
            "needed_by",
            "regional_office",
            "origin",
            "origin_reference",
        ]


# The guided form of regional office officers (matching/views.py), one form per step. The
# forms validate input; the services (matching/services.py) check the rules again.


class NeedWhatForm(forms.Form):
    """Step 1: what is needed."""

    title = forms.CharField(
        label=_("Title"),
        max_length=300,
        help_text=_("One line that says what capacity is needed, e.g. “Drought early warning”."),
    )
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("What the country wants to be able to do, for whom, and what exists today."),
    )
    language = forms.ChoiceField(label=_("Language of the text"), choices=CONTENT_LANGUAGES)
    regional_office = forms.ModelChoiceField(
        label=_("Regional office"),
        queryset=RegionalOffice.objects.all(),
        help_text=_("The office that states this need and answers for it."),
    )
    # Sent with the empty form: the service finds the need a first click made with it.
    creation_token = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, choose_office: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not choose_office:
            del self.fields["regional_office"]


def _country_label(country: Country) -> str:
    groups = country.groups
    return f"{country.name} ({', '.join(groups)})" if groups else str(country.name)


def _labelled_targets(targets: Iterable[SdgTarget]) -> list[tuple[int, str]]:
    return [(target.pk, f"{target.code} {target.title}") for target in targets]


class NeedWhereForm(forms.Form):
    """Step 2: for which countries, themes and SDG targets."""

    countries = forms.ModelMultipleChoiceField(
        label=_("Countries"),
        queryset=Country.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one country for this need.")},
    )
    themes = forms.ModelMultipleChoiceField(
        label=_("Themes"),
        queryset=Theme.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    sdg_targets = forms.ModelMultipleChoiceField(
        label=_("Suggested and chosen SDG targets"),
        queryset=SdgTarget.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    more_sdg_targets = forms.ModelMultipleChoiceField(
        label=_("Other SDG targets"),
        queryset=SdgTarget.objects.all(),
        widget=forms.SelectMultiple(attrs={"size": 10}),
        required=False,
        help_text=_("Hold Ctrl (or ⌘) to choose several."),
    )

    def __init__(
        self,
        *args: Any,
        office: RegionalOffice,
        suggested_targets: Iterable[SdgTarget] = (),
        suggested_themes: Iterable[Theme] = (),
        chosen_targets: Iterable[SdgTarget] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.office = office
        # Offered: the office's countries only, with their LDC/LLDC/SIDS status. Any country is
        # accepted by the field so that one posted from elsewhere gets the message of
        # clean_countries, not "invalid choice".
        self.fields["countries"].choices = [  # type: ignore[attr-defined]
            (country.pk, _country_label(country)) for country in region_countries(office=office)
        ]
        suggested = _("suggested")
        theme_ids = {theme.pk for theme in suggested_themes}
        self.fields["themes"].choices = [  # type: ignore[attr-defined]
            (theme.pk, f"{theme.name} ({suggested})" if theme.pk in theme_ids else theme.name)
            for theme in Theme.objects.all()
        ]
        suggested_ids = {target.pk for target in suggested_targets}
        shown = {target.pk: target for target in [*suggested_targets, *chosen_targets]}
        listed = sorted(shown.values(), key=lambda t: (t.goal_id, t.position))
        self.fields["sdg_targets"].choices = [  # type: ignore[attr-defined]
            (pk, f"{label} ({suggested})" if pk in suggested_ids else label)
            for pk, label in _labelled_targets(listed)
        ]
        others = SdgTarget.objects.exclude(pk__in=shown).select_related("goal")
        grouped: dict[str, list[tuple[int, str]]] = {}
        for target in others:
            grouped.setdefault(str(target.goal), []).append(
                (target.pk, f"{target.code} {target.title}")
            )
        self.fields["more_sdg_targets"].choices = list(grouped.items())  # type: ignore[attr-defined]

    def clean_countries(self) -> list[Country]:
        countries = list(self.cleaned_data["countries"])
        outside = [c for c in countries if c.regional_office_id != self.office.pk]
        if outside:
            raise forms.ValidationError(
                _(
                    "%(countries)s: not a country of the %(office)s regional office. "
                    "Choose only countries your office serves."
                ),
                params={
                    "countries": ", ".join(str(c) for c in outside),
                    "office": self.office.name,
                },
                code="outside_region",
            )
        return countries

    def chosen_targets(self) -> list[SdgTarget]:
        chosen = {t.pk: t for t in self.cleaned_data["sdg_targets"]}
        chosen.update({t.pk: t for t in self.cleaned_data["more_sdg_targets"]})
        return list(chosen.values())


class NeedSupportForm(forms.Form):
    """Step 3: support sought, priority, time frame and origin."""

    support_kinds = forms.ModelMultipleChoiceField(
        label=_("Support sought"),
        queryset=SupportKind.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one kind of support.")},
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Need.Priority.choices, widget=forms.RadioSelect
    )
    time_frame = forms.ChoiceField(
        label=_("Time frame"), choices=Need.TimeFrame.choices, widget=forms.RadioSelect
    )
    needed_by = forms.DateField(
        label=_("Needed by"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Optional. A date after today."),
    )
    origin = forms.ChoiceField(
        label=_("Origin"),
        choices=[("", _("Choose where the need was stated")), *Need.Origin.choices],
        error_messages={"required": _("Say where this need was stated.")},
    )
    origin_reference = forms.CharField(
        label=_("Origin reference"),
        max_length=300,
        required=False,
        help_text=_("Document title or link, e.g. “Kenya TNA report, 2023”."),
    )

    def clean_needed_by(self) -> datetime.date | None:
        needed_by: datetime.date | None = self.cleaned_data["needed_by"]
        if needed_by is not None and needed_by <= timezone.localdate():
            raise forms.ValidationError(
                _("The date the support is needed by must be after today (%(today)s)."),
                params={"today": date_format(timezone.localdate())},
                code="not_in_future",
            )
        return needed_by


YES_NO = [("yes", _("Yes")), ("no", _("No"))]


def _yes_no(label: StrOrPromise, help_text: StrOrPromise) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        help_text=help_text,
        choices=YES_NO,
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": _("Answer this criterion.")},
    )


class NeedScreeningForm(forms.Form):
    """Programme staff screen a submitted need against explicit criteria."""

    VALIDATE, RETURN = "validate", "return"

    fits_national_priorities = _yes_no(
        _("Does the need fit the national priorities of its countries?"),
        _("It is stated in or consistent with a national plan (TNA, NDC, NAP, NBSAP...)."),
    )
    ldc_sids_priority = _yes_no(
        _("Is it a priority for least developed countries or small island developing states?"),
        _("The LDC, LLDC and SIDS status of each country is shown above."),
    )
    is_clear = _yes_no(
        _("Is the need clearly stated?"),
        _("A partner reading it would know what capacity is sought, where and by when."),
    )
    comment = forms.CharField(
        label=_("Comment to the regional office"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text=_("Required when you return the need: say what to change."),
    )
    decision = forms.ChoiceField(
        choices=[(VALIDATE, _("Validate")), (RETURN, _("Return with comments"))],
        error_messages={"required": _("Choose to validate or to return the need.")},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        decision = data.get("decision")
        if decision == self.RETURN and not data.get("comment", "").strip():
            self.add_error("comment", _("Say what the officer should change."))
        if decision == self.VALIDATE and (
            data.get("fits_national_priorities") is False or data.get("is_clear") is False
        ):
            raise forms.ValidationError(
                _(
                    "A need that does not fit national priorities or is not clearly stated "
                    "cannot be validated: return it with comments instead."
                ),
                code="criteria_not_met",
            )
        return data


class NeedCloseForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is this need being closed?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Kept with the need, e.g. “met by a national programme” or “duplicate”."),
        error_messages={"required": _("Say why this need is being closed.")},
    )


# Steps of a match (matching/views.py `match_step`). Each carries the version of the match the
# person saw, so that a step on a match changed meanwhile is refused (matching/services.py).


class MatchStepForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class MatchDeclineForm(MatchStepForm):
    reason = forms.ChoiceField(
        label=_("Why is it declined?"),
        choices=Match.DeclineReason.choices,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required for “Other”. Declines as “not relevant” teach the ranking."),
    )


class MatchCompleteForm(MatchStepForm):
    results = forms.CharField(
        label=_("Results"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was achieved."),
    )
    beneficiaries = forms.CharField(
        label=_("Beneficiaries"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Who benefited, and how many."),
    )
    lessons_learned = forms.CharField(
        label=_("Lessons learned"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What others should know before doing the same."),
    )


class MatchWithdrawForm(MatchStepForm):
    comment = forms.CharField(
        label=_("Why is it withdrawn?"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
