"""Function words left out of a need's text before matching, in the portal's languages.

The search engine also leaves out words found in most entries of a language, once the catalogue
is large enough to tell (search.engine MATCH_MAX_DOC_SHARE); this short list does it from the
first entry, and keeps "the" and "de" out of the words an explanation shows. Words as
`search.engine.match_words` gives them: lowercased, accents kept.
"""

STOP_WORDS: frozenset[str] = frozenset(
    # English
    "a an and are as at be been but by can for from has have in into is it its of on or our "
    "that the their there these this those to was were which will with within".split()
    # French
    + "au aux avec ce ces dans de des du elle en est et il ils la le les leur leurs mais ne "
    "nous ou par pas pour qu que qui sa se ses son sont sur un une vers".split()
    # Spanish and Portuguese
    + "al como con da das del do dos e el ella em en entre es esta este este la las lo los "
    "mas na nas no nos o os para pela pelo por que se sobre su sus um uma una uno y".split()
    # Russian
    + "в во для и из к как на не о об от по с со что это".split()
    # Arabic (as search.analysis normalises it: no article, alef and ya unified)
    + "في من علي الي عن مع او و هذا هذه التي الذي".split()
    # Chinese
    + "的 了 和 是 在 与 及 或 等 对 为".split()
)
