from django import forms
from django.utils.translation import gettext_lazy

from catalog.models import Country, Theme
from webhooks.models import EventType
from webhooks.targets import MAX_URL_LENGTH


class WebhookForm(forms.Form):
    url = forms.CharField(
        label=gettext_lazy("URL"),
        max_length=MAX_URL_LENGTH,
        help_text=gettext_lazy("An https:// address of your system that accepts POST requests."),
        widget=forms.URLInput(attrs={"size": 70}),
    )
    description = forms.CharField(label=gettext_lazy("Description"), max_length=200, required=False)
    event_types = forms.MultipleChoiceField(
        label=gettext_lazy("Events"),
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[EventType.ENTRY_CHANGED],
    )
    themes = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Also follow needs and entries with these themes"),
        queryset=Theme.objects.order_by("code"),
        to_field_name="code",
        required=False,
    )
    countries = forms.ModelMultipleChoiceField(
        label=gettext_lazy("… and in these countries"),
        queryset=Country.objects.order_by("name_en"),
        to_field_name="iso3",
        required=False,
        help_text=gettext_lazy(
            "Without themes or countries, the webhook follows your organization's entries and "
            "the needs they are matched with."
        ),
    )
