"""Realistic distractor names for scale tests.

A search that works on 5,000 names can fail on a million because the right name is
crowded out by others that look like it. Distractors must therefore look like the real
names of the same side (same script, same token shapes and frequencies), and must never
equal a real name. Two generators:

* multi-token names (the `names` files): real given names recombined with real surnames,
  drawn with their observed frequencies, and, for half of them, a surname invented by a
  character Markov chain trained on the real surnames, so that the vocabulary grows too;
* single tokens (the `words` files): tokens invented by the Markov chain.

Deterministic for a given seed.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Sequence

_START, _END = "\x02", "\x03"


class MarkovWords:
    """An order-`order` character Markov chain over a list of words."""

    def __init__(self, words: Iterable[str], *, order: int = 3) -> None:
        self.order = order
        counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for word in words:
            padded = _START * order + word + _END
            for index in range(order, len(padded)):
                counts[padded[index - order : index]][padded[index]] += 1
        self._choices = {context: (list(following), list(following.values())) for context, following in counts.items()}

    def word(self, rng: random.Random, *, max_length: int = 18) -> str:
        context, letters = _START * self.order, []
        while len(letters) < max_length:
            choices = self._choices.get(context)
            if choices is None:
                break
            letter = rng.choices(choices[0], weights=choices[1])[0]
            if letter == _END:
                break
            letters.append(letter)
            context = context[1:] + letter
        return "".join(letters)


def _invent(markov: MarkovWords, rng: random.Random, real: set[str], min_length: int = 2) -> str:
    for _attempt in range(50):
        word = markov.word(rng)
        if len(word) >= min_length and word not in real:
            return word
    return markov.word(rng)


def generate(real_names: Sequence[str], count: int, *, seed: int = 1) -> list[str]:
    """`count` distractors in the style of `real_names`, none equal to a real name."""
    if count <= 0 or not real_names:
        return []
    rng = random.Random(seed)
    real = set(real_names)
    token_lists = [name.split() for name in real_names if name.split()]
    multi = [tokens for tokens in token_lists if len(tokens) > 1]
    distractors: list[str] = []
    seen: set[str] = set()
    if len(multi) >= len(token_lists) / 2:
        firsts = [tokens[0] for tokens in multi]
        middles = [tokens[1:-1] for tokens in multi]
        lasts = [tokens[-1] for tokens in multi]
        surname_chain = MarkovWords(lasts)
        real_lasts = set(lasts)
        stalls = 0
        # The stall guard stops a small input (few names, few combinations) from looping forever;
        # it counts only, so the names drawn for any run that ends are unchanged.
        while len(distractors) < count and stalls < count * 5:
            last = rng.choice(lasts) if rng.random() < 0.5 else _invent(surname_chain, rng, real_lasts)
            middle = rng.choice(middles) if rng.random() < 0.15 else []
            name = " ".join([rng.choice(firsts), *middle, last])
            if name not in real and name not in seen:
                seen.add(name)
                distractors.append(name)
            else:
                stalls += 1
    else:
        chain = MarkovWords(name for tokens in token_lists for name in tokens)
        real_tokens = {token for tokens in token_lists for token in tokens}
        stalls = 0
        while len(distractors) < count and stalls < count * 5:
            word = _invent(chain, rng, real_tokens)
            if word in real or word in seen:
                stalls += 1
                continue
            seen.add(word)
            distractors.append(word)
    return distractors
