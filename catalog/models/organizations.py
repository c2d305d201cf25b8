from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from catalog.models.reference import Country


class OrganizationQuerySet(models.QuerySet["Organization"]):
    def southern(self) -> "OrganizationQuerySet":
        return self.filter(country__is_southern=True)

    def northern(self) -> "OrganizationQuerySet":
        return self.filter(country__is_southern=False)


class Organization(models.Model):
    class Type(models.TextChoices):
        GOVERNMENT = "government", _("Government")
        UN_ENTITY = "un-entity", _("UN entity")
        INTERGOVERNMENTAL = "intergovernmental", _("Intergovernmental or regional body")
        CENTRE_OF_EXCELLENCE = "centre-of-excellence", _("Centre of excellence")
        UNIVERSITY_RESEARCH = "university-research", _("University or research institute")
        NGO = "ngo", _("Non-governmental organization")
        PRIVATE_SECTOR = "private-sector", _("Private sector")
        NETWORK_SECRETARIAT = "network-secretariat", _("Network secretariat")
        # Partner feeds often name an organization without saying what it is.
        OTHER = "other", _("Other or not stated")

    name = models.CharField(_("name"), max_length=255)
    acronym = models.CharField(_("acronym"), max_length=40, blank=True)
    type = models.CharField(_("type"), max_length=30, choices=Type.choices)
    # Whether an organization is Southern follows from this country (see `is_southern`); there is
    # deliberately no field to set it by hand.
    country = models.ForeignKey(
        Country, on_delete=models.PROTECT, related_name="organizations", verbose_name=_("country")
    )
    website = models.URLField(_("website"), max_length=500, blank=True)
    description = models.TextField(_("description"), blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    source = models.ForeignKey(
        "partners.PartnerSource",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organizations",
    )
    external_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            # Upserts from partner sync look organizations up by (source, external_id).
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="organization_unique_source_external_id",
                violation_error_message=_(
                    "Another organization from this source already has this external id."
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.acronym})" if self.acronym else self.name

    @property
    def is_southern(self) -> bool:
        return self.country.is_southern
