"""The browser pages of the six catalogue modules: URL slug, heading and introduction.

One table feeds the URL converter, the navigation and the home page, so a module's slug and
name are written once.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from catalog.models.entries import Module


@dataclass(frozen=True)
class ModulePage:
    module: str
    slug: str
    title: Promise
    description: Promise


MODULE_PAGES: tuple[ModulePage, ...] = (
    ModulePage(
        Module.TECHNOLOGY,
        "technologies",
        _("Technologies"),
        _("Technologies, methods, tools, toolkits and guidelines that have worked in the South."),
    ),
    ModulePage(
        Module.EXPERTISE,
        "expertise",
        _("Expertise"),
        _("Institutions and rosters of experts that offer their know-how to other countries."),
    ),
    ModulePage(
        Module.EXPERIENCE,
        "experiences",
        _("Experiences"),
        _("Best practices, case studies and lessons learned from South-South cooperation."),
    ),
    ModulePage(
        Module.OPPORTUNITY,
        "opportunities",
        _("Opportunities"),
        _("Training, fellowships, staff exchanges, advisory services and funding calls."),
    ),
    ModulePage(
        Module.NETWORK,
        "networks",
        _("Networks"),
        _("Networks that connect institutions and people working on the same problems."),
    ),
    ModulePage(
        Module.EVENT,
        "events",
        _("Events"),
        _("Workshops, conferences, trainings and webinars."),
    ),
)

PAGE_BY_MODULE: dict[str, ModulePage] = {page.module: page for page in MODULE_PAGES}
PAGE_BY_SLUG: dict[str, ModulePage] = {page.slug: page for page in MODULE_PAGES}


class ModuleConverter:
    """`<module:module>` matches a module's slug ("technologies") and passes its value
    ("technology") to the view; reversing takes the value and gives back the slug."""

    regex = "|".join(page.slug for page in MODULE_PAGES)

    def to_python(self, value: str) -> str:
        return PAGE_BY_SLUG[value].module

    def to_url(self, value: str) -> str:
        if value not in PAGE_BY_MODULE:
            raise ValueError(f"Not a module: {value!r}")  # reverse() then finds no match
        return PAGE_BY_MODULE[value].slug
