"""The parameter form of a report type (only the parameters it uses), shared by the pages and
the API, and the form of a saved definition."""

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from accounts.models import ApiKey, User
from accounts.permissions import PARTNER_REPORT_TYPES, organizations_of
from catalog.models import Organization, RegionalOffice, SdgGoal
from catalog.models.entries import Module
from catalog.selectors import country_choices, m49_subregions, theme_choices
from exchange.errors import ApplicationError
from reports.models import SavedReport
from reports.report import Parameters, ReportType

PARAMETER_NAMES = (
    "period_start",
    "period_end",
    "region",
    "subregion_m49",
    "country_iso3",
    "theme",
    "sdg_goal",
    "module",
    "organization_id",
)
EARLIEST = datetime.date(2000, 1, 1)


def _choices(options: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [("", _("All")), *options]


class ReportParametersForm(forms.Form):
    """Fields for the parameters `report_type` uses. An officer's region and a partner's only
    organization are fixed (reports/selectors.py, `scope_for`) and left out of the form."""

    period_start = forms.DateField(
        label=pgettext_lazy("start of a period", "From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("First day of the period (YYYY-MM-DD)."),
    )
    period_end = forms.DateField(
        label=pgettext_lazy("end of a period", "To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Last day of the period, included."),
    )
    region = forms.ChoiceField(label=gettext_lazy("Regional office"), required=False)
    subregion_m49 = forms.ChoiceField(label=gettext_lazy("Sub-region"), required=False)
    country_iso3 = forms.ChoiceField(label=gettext_lazy("Country"), required=False)
    theme = forms.ChoiceField(label=gettext_lazy("Theme"), required=False)
    sdg_goal = forms.TypedChoiceField(
        label=gettext_lazy("SDG goal"), required=False, coerce=int, empty_value=None
    )
    module = forms.ChoiceField(label=gettext_lazy("Module"), required=False)
    organization_id = forms.ModelChoiceField(
        label=gettext_lazy("Organization"),
        queryset=Organization.objects.none(),
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        report_type: ReportType,
        user: User | None,
        key: ApiKey | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.report_type = report_type
        uses = set(report_type.parameters)
        self.fixed: list[tuple[str, str]] = []
        is_staff = key is None and user is not None and user.is_staff
        officer_office = (
            user.regional_office
            if key is None and not is_staff and user is not None and "region" in uses
            else None
        )
        for name in PARAMETER_NAMES:
            if name not in uses and name in self.fields:
                del self.fields[name]
        choices: dict[str, list[tuple[Any, str]]] = {}
        if "region" in self.fields:
            if officer_office is not None:
                del self.fields["region"]
                self.fixed.append((_("Regional office"), officer_office.name))
            else:
                choices["region"] = _choices(
                    [(code, str(label)) for code, label in RegionalOffice.Code.choices]
                )
        if "subregion_m49" in self.fields:
            choices["subregion_m49"] = _choices(m49_subregions())
        if "country_iso3" in self.fields:
            choices["country_iso3"] = _choices(country_choices())
        if "theme" in self.fields:
            choices["theme"] = _choices(theme_choices())
        if "sdg_goal" in self.fields:
            goals = SdgGoal.objects.order_by("number").values_list("number", "short_en")
            choices["sdg_goal"] = [("", _("All"))] + [
                (number, f"{number} · {name}") for number, name in goals
            ]
        if "module" in self.fields:
            choices["module"] = _choices([(code, str(label)) for code, label in Module.choices])
        for name, options in choices.items():
            choice_field = self.fields[name]
            assert isinstance(choice_field, forms.ChoiceField)
            choice_field.choices = options
        if "organization_id" in self.fields:
            field = self.fields["organization_id"]
            assert isinstance(field, forms.ModelChoiceField)
            if key is not None:
                del self.fields["organization_id"]  # the key's organization
            elif is_staff or officer_office is not None:
                field.queryset = Organization.objects.order_by("name")
                field.required = report_type.slug in PARTNER_REPORT_TYPES
            else:
                own = organizations_of(user).order_by("name")
                if own.count() == 1:
                    del self.fields["organization_id"]
                    self.fixed.append((_("Organization"), str(own.get())))
                else:
                    field.queryset = own
                    field.required = True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        today = timezone.localdate()
        latest = today.replace(year=today.year + 1)
        for name in ("period_start", "period_end"):
            day = data.get(name)
            if day is not None and not EARLIEST <= day <= latest:
                self.add_error(
                    name,
                    _("Choose a date from %(earliest)s to %(latest)s.")
                    % {"earliest": EARLIEST.isoformat(), "latest": latest.isoformat()},
                )
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The period cannot end before it starts."))
        return data

    def parameters(self) -> Parameters:
        data = self.cleaned_data
        organization = data.get("organization_id")
        return Parameters(
            period_start=data.get("period_start"),
            period_end=data.get("period_end"),
            region=data.get("region") or "",
            subregion_m49=data.get("subregion_m49") or "",
            country_iso3=data.get("country_iso3") or "",
            theme=data.get("theme") or "",
            sdg_goal=data.get("sdg_goal"),
            module=data.get("module") or "",
            organization_id=organization.pk if organization is not None else None,
        )


def parameters_from_data(
    *, report_type: ReportType, data: Any, user: User | None, key: ApiKey | None
) -> Parameters:
    """The API's parameters object read with the page's form; `ApplicationError` with each
    field's messages when it is not valid (unknown names included)."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ApplicationError(
            _("“parameters” must be an object."),
            extra={"code": "invalid", "fields": {"parameters": [_("Expected an object.")]}},
        )
    form = ReportParametersForm(
        {name: "" if value is None else str(value) for name, value in data.items()},
        report_type=report_type,
        user=user,
        key=key,
    )
    errors: dict[str, list[str]] = {}
    fixed_here = {
        "region": _("Reports you request are always of your own office's region: leave it out."),
        "organization_id": _(
            "Reports you request are always of your own organization: leave it out."
        ),
    }
    for name in data:
        if name not in form.fields:
            if name in PARAMETER_NAMES and name in report_type.parameters:
                message = fixed_here.get(name, _("This report does not take this parameter here."))
            elif name in PARAMETER_NAMES:
                message = _("This report does not use this parameter.")
            else:
                message = _("Unknown parameter.")
            errors[f"parameters.{name}"] = [message]
    if not form.is_valid():
        for name, messages in form.errors.items():
            field = "parameters" if name == "__all__" else f"parameters.{name}"
            errors[field] = [str(message) for message in messages]
    if errors:
        raise ApplicationError(
            _("The parameters are not valid; see `errors`."),
            extra={"code": "invalid_parameters", "fields": errors},
        )
    return form.parameters()


class SavedReportForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    schedule = forms.ChoiceField(
        label=gettext_lazy("Send it"), choices=SavedReport.Schedule.choices
    )
    period = forms.ChoiceField(
        label=gettext_lazy("Period of each delivery"),
        choices=SavedReport.RollingPeriod.choices,
        required=False,
        help_text=gettext_lazy(
            "A rolling period is worked out again for each delivery, over the complete days "
            "before it: “the last month” sent on 1 December covers November."
        ),
    )
    recipients = forms.CharField(
        label=gettext_lazy("Recipients"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("E-mail addresses, one a line or separated by commas."),
        max_length=4000,
    )

    def recipient_list(self) -> list[str]:
        raw = self.cleaned_data["recipients"]
        return [part for part in raw.replace(",", "\n").replace(";", "\n").split("\n") if part]
