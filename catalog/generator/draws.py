"""Seeded random streams and weighted choices, shared by every kind of row."""

import bisect
import datetime
import itertools
import random
from collections.abc import Sequence

UTC = datetime.UTC
# Each block of this many rows draws from its own stream, so that row n does not depend on
# how many rows are generated or on the batch size.
BLOCK_SIZE = 1000


def block_rng(seed: int, stream: str, block: int) -> random.Random:
    # Synthetic content, not secrets: a seeded Mersenne Twister is what we want.
    return random.Random(f"{seed}:{stream}:{block}")  # noqa: S311


def _cumulative(weights: Sequence[float]) -> list[float]:
    return list(itertools.accumulate(weights))


def zipf_weights(n: int, *, exponent: float = 1.0, shift: float = 2.7) -> list[float]:
    """Zipf-Mandelbrot weights by rank: the shift keeps the top terms from swamping the text."""
    return [1.0 / (rank + shift) ** exponent for rank in range(1, n + 1)]


class Choice[T]:
    """Weighted draws from a fixed list; precomputed so that each draw is one bisect."""

    def __init__(self, items: Sequence[T], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cum = _cumulative(weights)
        self.total = self.cum[-1]

    def one(self, rng: random.Random) -> T:
        return self.items[bisect.bisect(self.cum, rng.random() * self.total)]

    def many(self, rng: random.Random, k: int) -> list[T]:
        return rng.choices(self.items, cum_weights=self.cum, k=k)

    def distinct(self, rng: random.Random, k: int) -> list[T]:
        """Up to k different items; a few redraws, then settle for fewer."""
        seen: list[T] = []
        for _ in range(k * 3):
            item = self.one(rng)
            if item not in seen:
                seen.append(item)
                if len(seen) == k:
                    break
        return seen


def share_choice(shares: dict[str, float]) -> Choice[str]:
    # Plain strings, not the TextChoices members: they are faster to format and compare.
    return Choice([str.__str__(key) for key in shares], list(shares.values()))


def small_count(rng: random.Random, low: int, high: int) -> int:
    """A small count skewed towards `low`: one country, sometimes two, rarely three."""
    return low + int((high - low + 1) * rng.random() ** 2)


def moment_on(day: datetime.date, rng: random.Random) -> datetime.datetime:
    """A working-hours moment of `day`, in UTC."""
    return datetime.datetime.combine(
        day, datetime.time(7 + int(rng.random() * 11), int(rng.random() * 60)), tzinfo=UTC
    )


def days(n: float) -> datetime.timedelta:
    return datetime.timedelta(days=int(n))
