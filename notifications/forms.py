from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User


class NotificationSettingsForm(forms.Form):
    notification_mode = forms.ChoiceField(
        label=_("Send me e-mails about my notifications"),
        choices=User.NotificationMode.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how you want to receive e-mails.")},
    )
