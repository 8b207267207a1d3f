"""Text as a search compares it: without accents and in lower case, so «proano» finds «Proaño»."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """'PROAÑO Núñez' -> 'proano nunez': the letters without their marks (NFKD), in lower case."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _single_letter_folds() -> tuple[str, str]:
    """The Latin letters with marks (Latin-1 and Latin Extended-A) that fold to one ASCII letter, and those
    letters: the table a database without `fold` translates with (filon.platform.search)."""
    source, target = [], []
    for code in range(0xC0, 0x180):
        char = chr(code)
        folded = fold(char)
        if len(folded) == 1 and folded.isascii() and folded.isalpha():
            source.append(char)
            target.append(folded)
    return "".join(source), "".join(target)


MARKED_LETTERS, PLAIN_LETTERS = _single_letter_folds()
