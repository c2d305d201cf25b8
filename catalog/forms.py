"""GET filter forms of the list pages. Every field is optional; an unknown value is reported
beside its field and that filter is left out."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from catalog import selectors
from catalog.models import Entry, Organization

_ANY = ("", _("Any"))


class EntryFilterForm(forms.Form):
    region = forms.ChoiceField(label=_("Region"), required=False)
    country = forms.ChoiceField(label=_("Country"), required=False)
    theme = forms.ChoiceField(label=_("Theme"), required=False)
    cooperation = forms.ChoiceField(
        label=_("Cooperation"),
        required=False,
        choices=[
            _ANY,
            (Entry.Cooperation.SOUTH_SOUTH.value, Entry.Cooperation.SOUTH_SOUTH.label),
            (Entry.Cooperation.TRIANGULAR.value, Entry.Cooperation.TRIANGULAR.label),
        ],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [_ANY, *selectors.m49_regions()]  # type: ignore[attr-defined]
        self.fields["country"].choices = [_ANY, *selectors.country_choices()]  # type: ignore[attr-defined]
        self.fields["theme"].choices = [_ANY, *selectors.theme_choices()]  # type: ignore[attr-defined]

    def filters(self) -> dict[str, str]:
        """The valid filters, for `selectors.entries_for_list`."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}


class OrganizationFilterForm(forms.Form):
    region = forms.ChoiceField(label=_("Region"), required=False)
    country = forms.ChoiceField(label=_("Country"), required=False)
    type = forms.ChoiceField(
        label=_("Type"), required=False, choices=[_ANY, *Organization.Type.choices]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [_ANY, *selectors.m49_regions()]  # type: ignore[attr-defined]
        self.fields["country"].choices = [_ANY, *selectors.country_choices()]  # type: ignore[attr-defined]

    def filters(self) -> dict[str, str]:
        """The valid filters, for `selectors.organizations_for_list`."""
        self.is_valid()
        cleaned = {name: value for name, value in self.cleaned_data.items() if value}
        if "type" in cleaned:
            cleaned["organization_type"] = cleaned.pop("type")
        return cleaned
