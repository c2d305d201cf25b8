from django import forms

from matching.models import Need


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
