from django.db import models
from django.utils.translation import gettext_lazy as _


class PartnerSource(models.Model):
    """A partner database the portal synchronises with (connectors come with partner sync)."""

    class Connector(models.TextChoices):
        IATI = "iati", _("IATI activity XML")
        OAI_PMH = "oai-pmh", _("OAI-PMH 2.0")
        CKAN = "ckan", _("CKAN action API")
        EXCHANGE = "exchange", _("Another South-South Exchange portal")
        SPREADSHEET = "spreadsheet", _("CSV/XLSX upload")
        DEMO = "demo", _("Demo content shipped with the portal")

    name = models.CharField(max_length=200, unique=True)
    organization = models.ForeignKey(
        "catalog.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="partner_sources",
    )
    connector = models.CharField(max_length=20, choices=Connector.choices)
    endpoint = models.URLField(max_length=500, blank=True)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
