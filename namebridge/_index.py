"""An in-memory, incrementally updatable index of names: ``NameIndex``.

Layout (all per *vocabulary token*, because distinct tokens are far fewer than names):

* ``_vocab``: folded token → token id; ``_reduced``, ``_romanised``: the variant forms of its keys
  (``_keys.token_keys``), flat, so that a query gathers those of thousands of tokens at once;
* ``_postings[id]``: the slots of the names that contain the token, a compact ``array('i')``;
* ``_buckets``: skeleton key, and every one-class deletion of it → the token ids that have it.
  A bucket with one token stores the bare int (most deletion keys belong to one token).

A search looks up each query token separately (a bag of tokens, so word order and catalogue
order do not matter): its skeleton keys and their deletions give candidate vocabulary tokens,
which a vectorised string comparison (rapidfuzz ``cdist``) ranks; the best few per query token
vote, weighted by similarity and rarity (IDF), for the names in their postings; a wide pool of the
best-voted names is ranked by a cheap vectorised name similarity, the best of it is reranked by
the full name similarity of ``_score``, and the best of those once more with the learned spelling
fit (``refine``). Each stage is capped, so the work
per query is bounded whatever the size of the index.

Names are added, updated and removed in place; no rebuild is ever needed. A removed name leaves
its tokens in the vocabulary (with shorter postings), which costs a little memory, not results.
"""

from __future__ import annotations

import itertools
import math
from array import array
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Indel

from namebridge._keys import TokenKeys, deletions, token_keys
from namebridge._model import from_latin, learned_romanisations
from namebridge._normalize import Script
from namebridge._score import (
    _MODEL_SCRIPT,
    _VARIANT_PENALTY,
    EQUIVALENT_GIVEN,
    UNMATCHED_WEIGHT,
    TokenMatch,
    _is_initial,
    describe,
    equivalent_given_names,
    name_similarity,
    reduced_weight,
    refined_name_similarity,
    token_match,
)
from namebridge._tokens import render_token, split_tokens

__all__ = ["Match", "NameIndex"]

# Learned spellings of a query token in the other scripts, looked up in the vocabulary as they
# are: 32 rather than 8 took held-out Russian recall@10 from 0.957 to 0.961 (Latin queries).
SPELLING_GUESSES = 32

# The first pass of the token comparison (and the pre-rank of names) compares only each token's
# likeliest few readings of each kind (a Hebrew token has up to 8 romanised ones); the exact pass
# compares them all. 4 rather than all took the p95 at a million names from 26.7 / 25.8 ms to
# 24.8 / 23.7 ms (Latin / native queries), with the same recall.
APPROXIMATE_FORMS = 4


def _reduced_weights(hebrew: np.ndarray, query_script: Script) -> np.ndarray:
    """``_score.reduced_weight`` of a query token of ``query_script`` with each vocabulary token,
    given which of them are Hebrew."""
    either = hebrew | (query_script is Script.HEBREW)
    return np.where(either, reduced_weight(Script.HEBREW, Script.HEBREW), reduced_weight(Script.LATIN, Script.LATIN))


@dataclass(frozen=True, slots=True)
class _FlatForms:
    """The forms of some tokens, flat: ``forms[k]`` is form number ``ranks[k]`` (0 = the likeliest
    reading) of the token whose forms begin at ``offsets[token]``."""

    forms: list[str]
    offsets: np.ndarray
    ranks: np.ndarray


class _FormColumn:
    """One kind of variant form (reduced or romanised) of every vocabulary token, in one flat
    object array that grows by doubling: gathering the forms of a query's few thousand
    candidate tokens is then one fancy index, not a Python loop over tuples."""

    def __init__(self) -> None:
        self._forms = np.empty(1024, dtype=object)
        self._size = 0
        self._start = array("q")  # per token: where its forms begin
        self._count = array("i")  # per token: how many it has

    def append(self, forms: tuple[str, ...]) -> None:
        end = self._size + len(forms)
        if end > len(self._forms):
            grown = np.empty(max(end, 2 * len(self._forms)), dtype=object)
            grown[: self._size] = self._forms[: self._size]
            self._forms = grown
        for position, form in enumerate(forms, start=self._size):
            self._forms[position] = form
        self._start.append(self._size)
        self._count.append(len(forms))
        self._size = end

    def gather(self, token_ids: np.ndarray, limit: int | None = None) -> _FlatForms:
        """The forms of each token (only its ``limit`` likeliest readings, if given), flat."""
        starts = np.frombuffer(self._start, dtype=np.int64)[token_ids]
        counts = np.frombuffer(self._count, dtype=np.int32)[token_ids]
        if limit is not None:
            counts = np.minimum(counts, limit)
        offsets = np.zeros(len(counts), dtype=np.int64)
        np.cumsum(counts[:-1], out=offsets[1:])
        ranks = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(offsets, counts)
        positions = ranks + np.repeat(starts, counts)
        return _FlatForms(self._forms[positions].tolist(), offsets, ranks)


@dataclass(frozen=True, slots=True)
class _Forms:
    hebrew: np.ndarray  # per token: is it Hebrew
    reduced: _FlatForms
    romanised: _FlatForms


@dataclass(frozen=True, slots=True)
class Match:
    """One search result: the caller's key, the name as added, a score 0–100 and why it matched."""

    key: Hashable
    name: str
    score: float
    explanation: str


class NameIndex:
    """Names searchable across Hebrew, Cyrillic and Latin spellings.

    >>> index = NameIndex()
    >>> index.add(1, "Володимир Зеленський")
    >>> index.add(2, "זלנסקי, ולדימיר")
    >>> [match.key for match in index.search("Volodymyr Zelensky")]
    [1, 2]

    Tuning arguments (all keyword-only):

    * ``tokens_per_query_token``: how many vocabulary tokens each query token may match;
    * ``max_postings``: the total postings scanned per query (rarest tokens first);
    * ``max_candidates``: how many names are reranked by the full name similarity, chosen by a
      cheap name similarity from ``PRERANK_FACTOR`` times as many best-voted names;
    * ``max_bucket``: a near-miss key bucket larger than this is not scanned (too unspecific);
    * ``token_candidates_per_query``: the candidate vocabulary tokens compared per query, shared
      among its tokens, but never fewer than ``max_token_candidates`` per token;
    * ``refine_pairs``: how many query-token × name pairs of the best names are scored again with
      the learned spelling fit (60 names for a one-word query, 20 for a three-word one; never
      fewer than ``MIN_REFINED`` names). Names beyond them keep the order and the score of
      their letters, after the refined ones.
    """

    MIN_REFINED = 20
    PRERANK_FACTOR = 10  # names ranked by the cheap similarity, as a multiple of the rerank cut
    TIED_FACTOR = 2  # names tied at that cut join it, up to this many times the cut
    # See ``_candidates_per_token``. 1.5 rather than 1 (with at least 450 rather than 700 per
    # token) took the p95 at a million names from 21.7 to 19.6 ms and from 25.2 to 24.0 ms on two
    # samples (Latin queries; 18.6 to 18.0 native), recall@10 0.956 → 0.956, 0.976 → 0.974 and
    # 0.964 → 0.968. One-word queries keep the whole budget.
    CANDIDATE_SHARE = 1.5

    def __init__(
        self,
        *,
        tokens_per_query_token: int = 100,
        max_postings: int = 60_000,
        max_candidates: int = 60,
        max_bucket: int = 4_000,
        max_token_candidates: int = 450,
        token_candidates_per_query: int = 2_100,
        min_token_similarity: float = 0.55,
        refine_pairs: int = 60,
    ) -> None:
        self.tokens_per_query_token = tokens_per_query_token
        self.max_postings = max_postings
        self.max_candidates = max_candidates
        self.max_bucket = max_bucket
        self.max_token_candidates = max_token_candidates
        self.token_candidates_per_query = token_candidates_per_query
        self.min_token_similarity = min_token_similarity
        self.refine_pairs = refine_pairs
        self._slot_of: dict[Hashable, int] = {}
        self._slot_key: list[Hashable] = []
        self._slot_name: list[str | None] = []
        self._slot_tokens: list[tuple[int, ...]] = []
        self._slot_birth: array[int] = array("i")
        self._slot_sex: list[str | None] = []
        self._vocab: dict[str, int] = {}
        self._token_text: list[str] = []
        self._reduced = _FormColumn()
        self._romanised = _FormColumn()
        self._is_hebrew = bytearray()
        self._special = bytearray()  # per token: compared by ``token_match`` alone (see ``_letter_similarities``)
        self._scripts: set[Script] = set()  # the scripts of the vocabulary, for the spelling guesses
        self._postings: list[array[int]] = []
        self._buckets: dict[str, int | array[int]] = {}
        self._form_buckets: dict[str, int | array[int]] = {}

    # --- updates ------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._slot_of)

    def __contains__(self, key: object) -> bool:
        return key in self._slot_of

    def add(self, key: Hashable, name: str, *, birth_year: int | None = None, sex: str | None = None) -> None:
        """Index ``name`` under ``key``. Raises ``KeyError`` if the key is already there (use ``update``)."""
        if key in self._slot_of:
            raise KeyError(f"key {key!r} is already indexed; use update()")
        slot = len(self._slot_key)
        token_ids = tuple(dict.fromkeys(self._token_id(token) for token in split_tokens(name)))
        self._slot_of[key] = slot
        self._slot_key.append(key)
        self._slot_name.append(name)
        self._slot_tokens.append(token_ids)
        self._slot_birth.append(birth_year if birth_year is not None else -1)
        self._slot_sex.append(sex)
        for token_id in token_ids:
            self._postings[token_id].append(slot)

    def add_many(self, items: Iterable[tuple[Hashable, str]]) -> None:
        """``add`` for each (key, name) pair."""
        for key, name in items:
            self.add(key, name)

    def update(self, key: Hashable, name: str, *, birth_year: int | None = None, sex: str | None = None) -> None:
        """Replace the name (and birth year and sex) indexed under ``key``, or add it."""
        if key in self._slot_of:
            self.remove(key)
        self.add(key, name, birth_year=birth_year, sex=sex)

    def remove(self, key: Hashable) -> None:
        """Forget ``key``. Raises ``KeyError`` if it is not indexed."""
        slot = self._slot_of.pop(key)
        for token_id in self._slot_tokens[slot]:
            self._postings[token_id].remove(slot)
        self._slot_name[slot] = None
        self._slot_tokens[slot] = ()

    def _token_id(self, token: str) -> int:
        token_id = self._vocab.get(token)
        if token_id is not None:
            return token_id
        token_id = len(self._token_text)
        self._vocab[token] = token_id
        self._token_text.append(token)
        keys = token_keys(token)
        self._reduced.append(keys.reduced)
        self._romanised.append(keys.romanised or (token,))
        self._is_hebrew.append(keys.script is Script.HEBREW)
        self._special.append(_is_initial(keys) or not keys.romanised)
        self._scripts.add(keys.script)
        self._postings.append(array("i"))
        bucket_keys: dict[str, None] = {}
        for skeleton in keys.skeletons:
            bucket_keys[skeleton] = None
            for deleted in deletions(skeleton):
                bucket_keys[deleted] = None
        for bucket_key in bucket_keys:
            self._bucket_add(self._buckets, bucket_key, token_id)
        for form in dict.fromkeys((*keys.reduced, *keys.romanised)):
            self._bucket_add(self._form_buckets, form, token_id)
        return token_id

    @staticmethod
    def _bucket_add(table: dict[str, int | array[int]], bucket_key: str, token_id: int) -> None:
        current = table.get(bucket_key)
        if current is None:
            table[bucket_key] = token_id
        elif isinstance(current, int):
            table[bucket_key] = array("i", (current, token_id))
        else:
            current.append(token_id)

    # --- search -------------------------------------------------------------------------------

    def _candidate_tokens(self, keys: TokenKeys, cap: int) -> list[int]:
        """Vocabulary tokens sharing a skeleton key with ``keys`` (exact keys first), then those
        one class apart (deletion neighbourhood, smallest buckets first), at most ``cap``."""
        form_keys = list(dict.fromkeys((*keys.reduced, *keys.romanised)))
        exact_keys = list(dict.fromkeys(keys.skeletons))
        near_keys = list(dict.fromkeys(d for skeleton in exact_keys for d in deletions(skeleton)))
        found: dict[int, None] = {}
        tiers = (
            (self._form_buckets, form_keys, True),
            (self._buckets, exact_keys, True),
            (self._buckets, near_keys, False),
        )
        for table, group, is_exact in tiers:
            buckets = [table.get(bucket_key) for bucket_key in group]
            sized = sorted(
                (
                    (1 if isinstance(bucket, int) else len(bucket), index)
                    for index, bucket in enumerate(buckets)
                    if bucket is not None
                )
            )
            for size, index in sized:
                if not is_exact and size > self.max_bucket:
                    break
                bucket = buckets[index]
                if isinstance(bucket, int):
                    found[bucket] = None
                else:
                    found.update(dict.fromkeys(bucket[: max(0, cap - len(found))]))
                if len(found) >= cap:
                    return list(found)
        return list(found)

    def _candidates_per_token(self, query_length: int) -> int:
        """How many candidate spellings each token of a query of ``query_length`` tokens compares.

        The budget shrinks faster than it is shared: a one-word query has nothing but its word to
        be found by, while each word of a longer name is one of several that vote for it."""
        return max(self.max_token_candidates, int(self.token_candidates_per_query / query_length**self.CANDIDATE_SHARE))

    def _similar_tokens(self, token: str, cap: int) -> list[tuple[int, float]]:
        """Vocabulary tokens similar to a query token, best first: (token id, similarity 0–1)."""
        keys = token_keys(token)
        ordered = self._candidate_tokens(keys, cap)
        exactly_scored = [*equivalent_given_names(token), *self._spelling_guesses(keys)]
        for spelling in exactly_scored:
            token_id = self._vocab.get(spelling)
            if token_id is not None:
                ordered.append(token_id)
        exact = self._vocab.get(token)
        if exact is not None:
            ordered.append(exact)
        if not ordered:
            return []
        # First pass, vectorised; the shortlist it makes is scored exactly below.
        best = self._approximate_similarities(keys, self._forms_of(ordered))
        # A third more than will vote: enough for the exact pass to reorder the borderline ones.
        shortlist_size = self.tokens_per_query_token + self.tokens_per_query_token // 3
        if len(ordered) > shortlist_size:
            shortlist = np.argpartition(-best, shortlist_size)[:shortlist_size]
        else:
            shortlist = np.arange(len(ordered))
        # Second pass, exact: the similarity the final score uses (variant penalties, equivalents).
        shortlisted = [ordered[i] for i in shortlist.tolist()]
        scored = list(zip(shortlisted, self._letter_similarities(token, keys, shortlisted), strict=True))
        if exact is not None:
            scored.append((exact, 1.0))
        for spelling in exactly_scored:
            token_id = self._vocab.get(spelling)
            if token_id is not None:
                scored.append((token_id, token_match(token, spelling).similarity))
        best_of: dict[int, float] = {}
        for token_id, similarity in scored:
            if similarity >= self.min_token_similarity and similarity > best_of.get(token_id, -1.0):
                best_of[token_id] = similarity
        ranked = sorted(best_of.items(), key=lambda item: (-item[1], item[0]))
        return ranked[: self.tokens_per_query_token]

    def _spelling_guesses(self, keys: TokenKeys) -> tuple[str, ...]:
        """A query token's likeliest spellings in the other scripts by the learned model, looked
        up as they are and scored exactly like an equivalent given name: a right spelling whose
        keys are far from the query's (Uthman Усман, Croix Круа) is still found, and more of
        them than the token keys hold. Only scripts the vocabulary has are guessed."""
        if keys.script is Script.LATIN:
            return tuple(
                guess
                for script, table in _MODEL_SCRIPT.items()
                if script in self._scripts
                for guess in learned_romanisations(keys.token, from_latin(table), limit=SPELLING_GUESSES)
            )
        table = _MODEL_SCRIPT.get(keys.script)
        if table is None or Script.LATIN not in self._scripts:
            return ()
        return learned_romanisations(keys.token, table, limit=SPELLING_GUESSES)

    def _forms_of(self, token_ids: list[int] | np.ndarray) -> _Forms:
        """The variant forms of vocabulary tokens, flattened once for ``_approximate_similarities``."""
        ids = np.asarray(token_ids, dtype=np.intp)
        hebrew = np.frombuffer(self._is_hebrew, dtype=np.uint8)[ids].astype(bool)
        return _Forms(
            hebrew, self._reduced.gather(ids, APPROXIMATE_FORMS), self._romanised.gather(ids, APPROXIMATE_FORMS)
        )

    @staticmethod
    def _approximate_similarities(keys: TokenKeys, forms: _Forms) -> np.ndarray:
        """Vectorised: for each token of ``forms``, the best plain similarity of any two variants
        with the query token of ``keys``, reduced and romanised forms blended as in
        ``_score.token_match`` (without its variant penalties and equivalents)."""
        reduced_weights = _reduced_weights(forms.hebrew, keys.script)
        best = np.zeros(len(forms.hebrew), dtype=np.float32)
        for flat, query_forms, weights in (
            (forms.reduced, keys.reduced[:APPROXIMATE_FORMS], reduced_weights),
            (forms.romanised, keys.romanised[:APPROXIMATE_FORMS], 1.0 - reduced_weights),
        ):
            matrix = process.cdist(query_forms, flat.forms, scorer=Indel.normalized_similarity, dtype=np.float32)
            best += weights * np.maximum.reduceat(matrix.max(axis=0), flat.offsets)
        return best

    def _letter_similarities(self, token: str, keys: TokenKeys, token_ids: list[int]) -> list[float]:
        """``_score.token_match(token, t).similarity`` for each vocabulary token ``t`` of
        ``token_ids``, computed for all of them at once: the best similarity of any two forms less
        the penalty for how far each is from its likeliest reading, reduced and romanised forms
        blended, clamped, and raised to the equivalent given names' similarity for those. Initials
        and tokens whose stored forms are not their keys' (no romanised form) take ``token_match``."""
        if not token_ids:
            return []
        if _is_initial(keys) or not keys.romanised:
            return [token_match(token, self._token_text[token_id]).similarity for token_id in token_ids]
        ids = np.asarray(token_ids, dtype=np.intp)
        reduced_weights = _reduced_weights(
            np.frombuffer(self._is_hebrew, dtype=np.uint8)[ids].astype(bool), keys.script
        )
        value = np.zeros(len(ids), dtype=np.float64)
        for column, query_forms, weights in (
            (self._reduced, keys.reduced, reduced_weights),
            (self._romanised, keys.romanised, 1.0 - reduced_weights),
        ):
            flat = column.gather(ids)
            matrix = process.cdist(query_forms, flat.forms, scorer=Indel.normalized_similarity, dtype=np.float64)
            matrix -= _VARIANT_PENALTY * (np.arange(len(query_forms))[:, None] + flat.ranks[None, :])
            # ``_best`` starts from 0: a pair of forms only counts when it beats that.
            value += weights * np.maximum(np.maximum.reduceat(matrix.max(axis=0), flat.offsets), 0.0)
        similarities = np.clip(value, 0.0, 1.0).tolist()
        equivalents = set(equivalent_given_names(token))
        special = np.frombuffer(self._special, dtype=np.uint8)[ids].tolist()
        for position, token_id in enumerate(token_ids):
            text = self._token_text[token_id]
            if special[position]:
                similarities[position] = token_match(token, text).similarity
            elif text == token:
                similarities[position] = 1.0
            elif text in equivalents:
                similarities[position] = max(similarities[position], EQUIVALENT_GIVEN)
        return similarities

    def _approximate_name_scores(
        self, query_tokens: list[str], known: list[dict[int, float]], slots: np.ndarray
    ) -> np.ndarray:
        """A cheap stand-in for ``name_similarity`` of the query with each name in ``slots``: each
        query token takes its best token of the name (no assignment), by the exact similarity of
        the spellings that voted (``known``) and by ``_approximate_similarities`` for the others."""
        slot_tokens = [self._slot_tokens[slot] for slot in slots.tolist()]
        sizes = np.fromiter(map(len, slot_tokens), dtype=np.intp, count=len(slot_tokens))
        flat = np.fromiter(itertools.chain.from_iterable(slot_tokens), dtype=np.intp, count=int(sizes.sum()))
        distinct, inverse = np.unique(flat, return_inverse=True)
        offsets = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        forms = self._forms_of(distinct)
        total = np.zeros(len(slots), dtype=np.float32)
        for token, exact in zip(query_tokens, known, strict=True):
            similarity = self._approximate_similarities(token_keys(token), forms)
            if exact:
                ids = np.fromiter(exact, dtype=np.intp, count=len(exact))
                positions = np.searchsorted(distinct, ids)
                present = positions < len(distinct)
                present[present] &= distinct[positions[present]] == ids[present]
                values = np.fromiter(exact.values(), dtype=np.float32, count=len(exact))
                similarity[positions[present]] = values[present]
            total += np.maximum.reduceat(similarity[inverse], offsets)
        small = np.minimum(sizes, len(query_tokens))
        return 100.0 * total / (small + UNMATCHED_WEIGHT * (np.maximum(sizes, len(query_tokens)) - small))

    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        score_cutoff: float = 0.0,
        birth_year: int | None = None,
        sex: str | None = None,
    ) -> list[Match]:
        """The names most similar to ``query``, best first, at most ``limit``, each scoring at
        least ``score_cutoff`` (0–100). ``birth_year`` and ``sex`` only break ties."""
        query_tokens = list(dict.fromkeys(split_tokens(query)))
        if not query_tokens or not self._slot_of or limit <= 0:
            return []
        live = len(self._slot_of)
        votes: list[tuple[int, float]] = []  # (token id, weight)
        known: list[dict[int, float]] = []  # per query token: the exact similarity of its spellings
        cap = self._candidates_per_token(len(query_tokens))
        for token in query_tokens:
            similar = [
                (token_id, sim) for token_id, sim in self._similar_tokens(token, cap) if self._postings[token_id]
            ]
            known.append(dict(similar))
            if not similar:
                continue
            # How informative the query token is: by how many names carry it or a spelling as
            # close as its best match, not by how rare each matched spelling is, so that a
            # rare near-miss does not outvote the common exact spelling.
            best = similar[0][1]
            frequency = sum(len(self._postings[token_id]) for token_id, sim in similar if sim >= best - 0.05)
            informativeness = math.log(1.0 + live / frequency)
            votes.extend((token_id, sim**4 * informativeness) for token_id, sim in similar)
        if not votes:
            return []
        # Rarest first, within the postings budget (at least one list is always read).
        votes.sort(key=lambda vote: len(self._postings[vote[0]]))
        slot_arrays: list[np.ndarray] = []
        read_weights: list[float] = []
        read_lengths: list[int] = []
        budget = self.max_postings
        for token_id, weight in votes:
            postings = self._postings[token_id]
            if len(postings) > budget and slot_arrays:
                continue
            slots = np.frombuffer(postings, dtype=np.int32)[:budget]
            budget -= len(slots)
            slot_arrays.append(slots)
            read_weights.append(weight)
            read_lengths.append(len(slots))
        all_slots = np.concatenate(slot_arrays)
        del slot_arrays  # views of the postings, which cannot grow while one is held
        unique_slots, inverse = np.unique(all_slots, return_inverse=True)
        totals = np.bincount(inverse, weights=np.repeat(read_weights, read_lengths))
        keep = min(self.max_candidates, len(unique_slots))
        if keep < len(unique_slots):
            # A wider pool by votes is ranked by a cheap name similarity, and the best of it is
            # reranked in full. Votes alone see only each query token's best spellings: a name
            # whose surname is spelled in a way the letters rate lower (Cohen כהן) would lose to
            # the many names that share its given name, all tied on the given name's vote.
            wide = min(len(unique_slots), self.max_candidates * self.PRERANK_FACTOR)
            wide_pool = np.arange(len(unique_slots))
            if wide < len(unique_slots):
                # Names tied with the last one of the pool join it (up to a bound): a common
                # given name gives hundreds of names the same vote, and which of them the cut
                # keeps would otherwise be arbitrary.
                threshold = np.partition(totals, len(totals) - wide)[len(totals) - wide]
                tied = np.flatnonzero(totals >= threshold * (1 - 1e-6))
                wide_pool = tied if len(tied) <= wide * self.TIED_FACTOR else np.argpartition(-totals, wide - 1)[:wide]
            approximate = self._approximate_name_scores(query_tokens, known, unique_slots[wide_pool])
            top = wide_pool[np.lexsort((-totals[wide_pool], -approximate))[:keep]]
        else:
            top = np.arange(len(unique_slots))
        ranked: list[tuple[float, int, float, int]] = []
        letter_pairs: dict[int, list[tuple[int, int, TokenMatch]]] = {}
        for position in top:
            slot = int(unique_slots[position])
            score, letter_pairs[slot] = name_similarity(query_tokens, self._tokens_of(slot))
            ranked.append((-round(score, 6), self._tie_break(slot, birth_year, sex), -float(totals[position]), slot))
        ranked.sort()
        # The best few are scored again with the learned spelling fit (``refine``), which is
        # finer than the letters alone but too slow for every candidate. A long result list (the
        # app asks for 200) keeps the order of the letters for the rest.
        pool = max(self.MIN_REFINED, self.refine_pairs // len(query_tokens))
        refined: list[tuple[float, int, float, int, list[tuple[int, int, TokenMatch]] | None]] = []
        for _score, tie, negative_votes, slot in ranked[:pool]:
            score, pairs = refined_name_similarity(query_tokens, self._tokens_of(slot), letter_pairs[slot])
            if score >= score_cutoff:
                refined.append((-round(score, 6), tie, negative_votes, slot, pairs))
        refined.sort(key=lambda row: row[:4])
        # The rest follow, ranked below the refined names, so none is shown with a higher score.
        ceiling = refined[-1][0] if refined else -math.inf
        refined.extend((max(row[0], ceiling), *row[1:], None) for row in ranked[pool:] if -row[0] >= score_cutoff)
        results: list[Match] = []
        for negative_score, _tie, _votes, slot, refined_pairs in refined[:limit]:
            name = self._slot_name[slot]
            assert name is not None  # noqa: S101 - live slots always have a name
            pairs = letter_pairs[slot] if refined_pairs is None else refined_pairs
            results.append(
                Match(
                    key=self._slot_key[slot],
                    name=name,
                    score=-negative_score,
                    explanation=describe(query_tokens, self._tokens_of(slot), pairs),
                )
            )
        return results

    def _tokens_of(self, slot: int) -> list[str]:
        return [self._token_text[token_id] for token_id in self._slot_tokens[slot]]

    def _tie_break(self, slot: int, birth_year: int | None, sex: str | None) -> int:
        """Lower is better: a name of the same birth year (or within two years) and sex first."""
        tie = 0
        if birth_year is not None and self._slot_birth[slot] == birth_year:
            tie -= 2
        elif birth_year is not None and self._slot_birth[slot] >= 0:
            tie -= 1 if abs(self._slot_birth[slot] - birth_year) <= 2 else 0
        if sex is not None and self._slot_sex[slot] == sex:
            tie -= 1
        return tie

    def normalized(self, key: Hashable) -> str:
        """The normalised form of the name indexed under ``key`` (what search compares)."""
        slot = self._slot_of[key]
        return " ".join(render_token(self._token_text[token_id]) for token_id in self._slot_tokens[slot])
