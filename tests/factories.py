import datetime

import factory
from django.utils import timezone

from accounts.models import Invitation, Membership, Role, User
from catalog.models import (
    Country,
    Entry,
    EntryProvider,
    Organization,
    RegionalOffice,
    SdgGoal,
    SdgTarget,
    SupportKind,
    Theme,
)
from matching.models import Match, Need
from notifications.models import Notification
from partners.models import PartnerSource


def country(iso3: str) -> Country:
    """A real country from the reference data loaded into every test database."""
    return Country.objects.get(iso3=iso3)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    username = factory.SelfAttribute("email")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery-staple")

    @classmethod
    def _after_postgeneration(cls, instance: User, create: bool, results: object = None) -> None:
        # Store the hashed password: without it the user cannot log in, and a session made
        # with force_login() is dropped because its password hash does not match the row.
        if create:
            instance.save(update_fields=["password"])


class NotificationFactory(factory.django.DjangoModelFactory):
    """An unread notification, not yet e-mailed, stored directly (not through `notify()`)."""

    class Meta:
        model = Notification

    recipient = factory.SubFactory("tests.factories.UserFactory")
    kind = Notification.Kind.PUBLISHED
    subject = factory.Sequence(lambda n: f"Your entry {n} is published")
    body = "Programme staff published it; it now appears in search."
    url = "/"


class StaffUserFactory(UserFactory):
    """Programme staff: may moderate entries and needs, and sign in to the admin."""

    is_staff = True


class OfficerFactory(UserFactory):
    """A regional office officer, of the Africa office unless `regional_office=...`."""

    regional_office = factory.LazyFunction(
        lambda: RegionalOffice.objects.get(code=RegionalOffice.Code.AFRICA)
    )


class PartnerSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnerSource

    name = factory.Sequence(lambda n: f"Partner source {n}")
    connector = PartnerSource.Connector.IATI


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")
    type = Organization.Type.CENTRE_OF_EXCELLENCE
    country = factory.LazyFunction(lambda: country("KEN"))


class MembershipFactory(factory.django.DjangoModelFactory):
    """A partner contributor of a new Kenyan organization; pass `organization=` or `role=`."""

    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Membership.Role.CONTRIBUTOR


class InvitationFactory(factory.django.DjangoModelFactory):
    """A pending invitation to join a new Kenyan organization as a partner contributor."""

    class Meta:
        model = Invitation

    email = factory.Sequence(lambda n: f"invitee{n}@example.org")
    organization = factory.SubFactory(OrganizationFactory)
    role = Role.PARTNER_CONTRIBUTOR
    expires_at = factory.LazyFunction(lambda: timezone.now() + Invitation.VALID_FOR)


class EntryFactory(factory.django.DjangoModelFactory):
    """A published technology by default; pass `providers=[org, ...]` to attach providers, and
    lists of `themes`, `countries_of_origin`, `countries_applied`, `sdg_goals`, `sdg_targets`."""

    class Meta:
        model = Entry
        skip_postgeneration_save = True

    module = Entry.Module.TECHNOLOGY
    kind = Entry.Kind.TECHNOLOGY
    title = factory.Sequence(lambda n: f"Rainwater harvesting technique {n}")
    summary = "Low-cost rainwater harvesting for smallholder farms."
    body = "Collecting and storing rain for dry-season irrigation."
    language = "en"
    status = Entry.Status.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)
    last_confirmed_on = factory.LazyFunction(lambda: timezone.localdate())

    @factory.post_generation
    def providers(
        self, create: bool, extracted: list[Organization] | None, **kwargs: object
    ) -> None:
        for organization in extracted or []:
            EntryProvider.objects.create(entry=self, organization=organization)

    @factory.post_generation
    def themes(self, create: bool, extracted: list[Theme] | None, **kwargs: object) -> None:
        if extracted:
            self.themes.set(extracted)

    @factory.post_generation
    def countries_of_origin(
        self, create: bool, extracted: list[Country] | None, **kwargs: object
    ) -> None:
        if extracted:
            self.countries_of_origin.set(extracted)

    @factory.post_generation
    def countries_applied(
        self, create: bool, extracted: list[Country] | None, **kwargs: object
    ) -> None:
        if extracted:
            self.countries_applied.set(extracted)

    @factory.post_generation
    def sdg_goals(self, create: bool, extracted: list[SdgGoal] | None, **kwargs: object) -> None:
        if extracted:
            self.sdg_goals.set(extracted)

    @factory.post_generation
    def sdg_targets(
        self, create: bool, extracted: list[SdgTarget] | None, **kwargs: object
    ) -> None:
        if extracted:
            self.sdg_targets.set(extracted)


class EventFactory(EntryFactory):
    module = Entry.Module.EVENT
    kind = Entry.Kind.WORKSHOP
    title = factory.Sequence(lambda n: f"Regional workshop {n}")
    starts_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=30))
    ends_on = factory.LazyAttribute(lambda o: o.starts_on + datetime.timedelta(days=2))
    venue = "Bangkok"
    venue_country = factory.LazyFunction(lambda: country("THA"))


class OpportunityFactory(EntryFactory):
    """A published training whose application deadline is three weeks away."""

    module = Entry.Module.OPPORTUNITY
    kind = Entry.Kind.TRAINING
    title = factory.Sequence(lambda n: f"Training on solar mini-grids {n}")
    deadline = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=21))
    starts_on = factory.LazyAttribute(lambda o: o.deadline + datetime.timedelta(days=14))
    ends_on = factory.LazyAttribute(lambda o: o.starts_on + datetime.timedelta(days=5))


class NeedFactory(factory.django.DjangoModelFactory):
    """An open need of the Africa office for Kenya; pass `countries=[...]` to change that."""

    class Meta:
        model = Need
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Drought early-warning capacity {n}")
    description = "Train national staff to run a drought early-warning system."
    language = "en"
    regional_office = factory.LazyFunction(
        lambda: RegionalOffice.objects.get(code=RegionalOffice.Code.AFRICA)
    )
    origin = Need.Origin.TNA
    status = Need.Status.OPEN

    @factory.post_generation
    def countries(self, create: bool, extracted: list[Country] | None, **kwargs: object) -> None:
        self.countries.set(extracted or [country("KEN")])


class DraftNeedFactory(NeedFactory):
    """A draft need, complete enough to submit: it seeks training unless `support_kinds=[...]`."""

    status = Need.Status.DRAFT

    @factory.post_generation
    def support_kinds(
        self, create: bool, extracted: list[SupportKind] | None, **kwargs: object
    ) -> None:
        self.support_kinds.set(
            extracted
            if extracted is not None
            else [SupportKind.objects.get(code=SupportKind.Code.TRAINING)]
        )


class MatchFactory(factory.django.DjangoModelFactory):
    """A suggested match of a new open need with a new published entry, as the ranker stores
    it; pass `status=` and the step fields for a match further on."""

    class Meta:
        model = Match

    need = factory.SubFactory(NeedFactory)
    entry = factory.SubFactory(EntryFactory)
    score = 0.5
    breakdown = factory.LazyAttribute(
        lambda o: {
            "entry_id": o.entry.pk,
            "score": o.score,
            "factors": [
                {
                    "name": "text",
                    "value": 0.8,
                    "weight": 0.3,
                    "contribution": 0.24,
                    "reasons": ["Words: rainwater, harvesting"],
                },
                {
                    "name": "taxonomy",
                    "value": 0.5,
                    "weight": 0.25,
                    "contribution": 0.125,
                    "reasons": ["Shared SDG target 6.4"],
                },
            ],
            "matched_words": ["rainwater", "harvesting"],
            "flags": [],
        }
    )
    ranked_at = factory.LazyFunction(timezone.now)
