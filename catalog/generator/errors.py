"""The one error the generator raises."""

from exchange.errors import ApplicationError


class GeneratorError(ApplicationError):
    """The generator cannot run: reference data missing or the seed already loaded."""
