"""Forms of the contribution pages (partners) and the moderation pages (programme staff).

A contribution form shows only the fields of its module (`services.contribution_fields`): the
kinds of that module, dates for opportunities and events, the venue for events. Validation is the
model's (`Entry.clean` and its constraints) plus the checks below that give a message beside the
field concerned.
"""

import uuid
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from catalog.models import Entry, Organization
from catalog.models.entries import KINDS_BY_MODULE, Kind
from catalog.services import MAX_LINKS, RELATED_FIELDS, Link, contribution_fields

_ALL_FIELDS = [
    "kind",
    "title",
    "summary",
    "body",
    "language",
    "contact_name",
    "contact_email",
    "deadline",
    "starts_on",
    "ends_on",
    "venue",
    "venue_country",
    "is_online",
    *RELATED_FIELDS,
]


_GROUPS = [
    (
        _("What it is"),
        ("organization", "kind", "title", "summary", "body", "language", "creation_key"),
    ),
    (
        _("Dates and place"),
        ("deadline", "starts_on", "ends_on", "is_online", "venue", "venue_country"),
    ),
    (_("Themes and Sustainable Development Goals"), ("themes", "sdg_goals", "sdg_targets")),
    (_("Countries"), ("countries_of_origin", "countries_applied")),
    (_("Support offered"), ("support_kinds",)),
    (_("Contact person"), ("contact_name", "contact_email")),
]


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class EntryContributionForm(forms.ModelForm[Entry]):
    """The fields of one module's entries. `instance` is the entry being edited, or a new
    `Entry(module=...)`; the view hands `cleaned_data` to the services, never `save()`."""

    class Meta:
        model = Entry
        fields = _ALL_FIELDS
        labels = {
            "body": _("Description"),
            "language": _("Language of the text"),
            "themes": _("Themes"),
            "sdg_goals": _("SDG goals"),
            "sdg_targets": _("SDG targets"),
            "countries_of_origin": _("Countries of origin"),
            "countries_applied": _("Countries where it was applied"),
            "support_kinds": _("Support offered"),
            "venue_country": _("Country of the venue"),
            "is_online": _("Online event"),
        }
        help_texts = {
            "summary": _("Two or three sentences, at most 1,000 characters."),
            "contact_name": _("Shown only to signed-in users of the portal."),
            "contact_email": _("Shown only to signed-in users of the portal."),
            "sdg_targets": _("Hold Ctrl (Cmd on a Mac) to choose several."),
            "countries_of_origin": _("Hold Ctrl (Cmd on a Mac) to choose several."),
            "countries_applied": _("Hold Ctrl (Cmd on a Mac) to choose several."),
            "deadline": _("For opportunities: the last day to apply."),
        }
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "body": forms.Textarea(attrs={"rows": 8}),
            "themes": forms.CheckboxSelectMultiple,
            "sdg_goals": forms.CheckboxSelectMultiple,
            "support_kinds": forms.CheckboxSelectMultiple,
            "sdg_targets": forms.SelectMultiple(attrs={"size": 8}),
            "countries_of_origin": forms.SelectMultiple(attrs={"size": 8}),
            "countries_applied": forms.SelectMultiple(attrs={"size": 8}),
            "deadline": _DateInput(),
            "starts_on": _DateInput(),
            "ends_on": _DateInput(),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        module = self.instance.module
        keep = set(contribution_fields(module))
        for name in list(self.fields):
            if name in _ALL_FIELDS and name not in keep:
                del self.fields[name]
        kind = self.fields["kind"]
        kind.choices = [  # type: ignore[attr-defined]
            ("", "---------"),
            *((k, Kind(k).label) for k in KINDS_BY_MODULE[module]),
        ]
        if self.instance.pk:
            self._mark_suggested_tags()

    def _mark_suggested_tags(self) -> None:
        """Label the SDG targets and themes that the entry's text suggests (matching.tagging)
        "(suggested)", as the need form does; the contributor confirms them by choosing."""
        from matching.tagging import suggest_tag_codes

        entry = self.instance
        codes = suggest_tag_codes(f"{entry.title}\n{entry.summary}\n{entry.body}")
        suggested = _("suggested")
        for name, chosen in (("sdg_targets", codes.sdg_targets), ("themes", codes.themes)):
            field = self.fields.get(name)
            if field is None or not chosen:
                continue
            label = field.label_from_instance  # type: ignore[attr-defined]
            field.label_from_instance = (  # type: ignore[attr-defined]
                lambda obj, label=label, chosen=set(chosen): (
                    f"{label(obj)} ({suggested})" if obj.code in chosen else label(obj)
                )
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("The end date cannot be before the start date."))
        if ends_on and not starts_on and "starts_on" in self.fields:
            self.add_error("starts_on", _("Give the start date as well as the end date."))
        return cleaned

    def _post_clean(self) -> None:  # ModelForm's hook, not in django-stubs
        # The model's check constraint says the same as `clean` about the dates; once is enough.
        if self.has_error("ends_on"):
            self.instance.ends_on = None
        super()._post_clean()  # type: ignore[misc]

    def groups(self) -> list[tuple[str, list[Any]]]:
        """The fields in fieldsets, for the template: (legend, bound fields), without empty
        ones."""
        shown = []
        for legend, names in _GROUPS:
            fields = [self[name] for name in names if name in self.fields]
            if fields:
                shown.append((str(legend), fields))
        return shown

    def entry_data(self) -> dict[str, Any]:
        """The cleaned values for `entry_create` / `entry_update`."""
        return {name: self.cleaned_data[name] for name in self.fields}


class NewEntryForm(EntryContributionForm):
    """The first save of an entry: for which organization, and a key that makes a second post
    of the same form (a double click) land on the entry the first one created."""

    organization = forms.ModelChoiceField(
        label=_("For the organization"), queryset=Organization.objects.none(), empty_label=None
    )
    creation_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(self, *args: Any, organizations: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations  # type: ignore[attr-defined]
        # The organization first, then the fields of the entry.
        self.order_fields(["organization"])

    def entry_data(self) -> dict[str, Any]:
        data = super().entry_data()
        del data["organization"], data["creation_key"]
        return data


class LinkForm(forms.Form):
    url = forms.URLField(label=_("Address (URL)"), required=False, max_length=500)
    label = forms.CharField(label=_("Text of the link"), required=False, max_length=200)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("label") and not cleaned.get("url"):
            self.add_error("url", _("Give the address of the link, or leave both boxes empty."))
        return cleaned


LinkFormSet = forms.formset_factory(
    LinkForm, extra=2, max_num=MAX_LINKS, validate_max=True, absolute_max=MAX_LINKS
)


def link_formset(data: Any = None, *, entry: Entry | None = None) -> Any:
    initial = (
        [{"url": link.url, "label": link.label} for link in entry.links.order_by("pk")]
        if entry is not None and entry.pk
        else []
    )
    return LinkFormSet(data, initial=initial, prefix="links")


def links_of(formset: Any) -> list[Link]:
    return [
        (form.cleaned_data["url"], form.cleaned_data.get("label", ""))
        for form in formset.forms
        if form.cleaned_data.get("url")
    ]


class PublishForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment for the contributor (optional)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label=_("What should the contributor change?"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Say what the contributor should change.")},
    )
