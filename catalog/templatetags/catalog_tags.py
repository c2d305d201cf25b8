from collections.abc import Iterable

from django import template
from django.utils.translation import pgettext

from catalog.pages import MODULE_PAGES, ModulePage

register = template.Library()


@register.simple_tag
def module_pages() -> tuple[ModulePage, ...]:
    return MODULE_PAGES


@register.filter
def names(objects: Iterable[object]) -> str:
    """`Kenya, Uganda` in English, `كينيا، أوغندا` in Arabic: joins with the language's comma."""
    return pgettext("list separator", ", ").join(str(o) for o in objects)
