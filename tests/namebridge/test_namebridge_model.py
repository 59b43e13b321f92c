"""The learned romanisation: training on pairs, loading lazily, and the benchmark command."""

import json

import pytest

from namebridge import _keys, _model, _score
from namebridge import train as training
from namebridge.bench.__main__ import main as bench_main

TINY_PAIRS = [("דן", "dan"), ("דנה", "dana"), ("נדב", "nadav"), ("בן", "ben"), ("דב", "dov"), ("נן", "nan")] * 3


def test_training_learns_letter_correspondences():
    """EM on a handful of pairs learns that ד writes d (with its vowel) and נ writes n."""
    table = training.stored_table(
        training.train(TINY_PAIRS, contexts=training.CONTEXTS["hebrew"], iterations=4, log=False), TINY_PAIRS
    )
    assert table["ד"][0][0].startswith("d")
    assert table["נ"][0][0].startswith("n")
    assert all(abs(sum(p for _chunk, p in options) - 1.0) < 0.05 for options in table.values())


# ч before е is the Italian c after р (Марчелло), the English ch at the start of a word (Челло).
WIDE_PAIRS = [("марчелло", "marcello"), ("чарли", "charlie"), ("ричи", "richie"), ("челло", "chello")] * 4


def test_wide_contexts_learn_what_the_letter_before_changes():
    """With wide contexts, ч between р and е and ч at the start of чел learn different spellings,
    though both are ч before е; a context seen less than MIN_CONTEXT times falls back to its parent."""
    raw = training.train(WIDE_PAIRS, contexts=training.CONTEXTS["cyrillic"], iterations=5, log=False)
    table = training.stored_table(raw, WIDE_PAIRS)
    assert table["р>че"][0][0] == "c"
    assert table["^>че"][0][0] == "ch"
    assert "^че" in table and "ч" in table
    rare = [("марчелло", "marcello")] * (training.MIN_CONTEXT - 1)
    assert "р>че" not in training.stored_table(
        training.train(rare, contexts=training.CONTEXTS["cyrillic"], iterations=2, log=False), rare
    )


def test_a_model_looks_a_letter_up_in_its_widest_known_context():
    table = {"р>че": [("c", 1.0)], "че": [("ch", 1.0)], "ч": [("tch", 1.0)]}
    assert _model.options_at(table, "марчелло", 3) == [("c", 1.0)]
    assert _model.options_at(table, "очень", 1) == [("ch", 1.0)]
    assert _model.options_at(table, "ночь", 2) == [("tch", 1.0)]


def test_prior_rejects_a_consonant_that_writes_another_consonant():
    assert training.prior("דנ", "d") == 1.0
    assert training.prior("דנ", "k") == training.PRIOR_MISMATCH
    assert training.prior("за", "za") == training.PRIOR_MISMATCH  # Cyrillic writes its own vowels


@pytest.fixture
def tiny_model(tmp_path, monkeypatch):
    """A model file of our own, loaded through $NAMEBRIDGE_ROMANISATION_MODEL."""
    path = tmp_path / "model.json"
    path.write_text(
        json.dumps({"tables": {"hebrew": {"ד": [["dd", 0.9], ["d", 0.1]], "נ": [["nn", 1.0]]}, "cyrillic": {}}}),
        encoding="utf-8",
    )
    monkeypatch.setenv(_model.MODEL_ENV, str(path))
    _clear_model_caches()
    yield path
    monkeypatch.delenv(_model.MODEL_ENV)
    _clear_model_caches()


def _clear_model_caches():
    for cached in (
        _model._model_tables,
        _model.load_model,
        _model.learned_romanisations,
        _model._chunk_probabilities,
        _model._letter_options,
        _model.romanisation_fit,
        _keys.token_keys,
        _score.token_match,
    ):
        cached.cache_clear()


def test_model_loads_from_the_override_path(tiny_model):
    """The loader reads the file once and the beam search follows its probabilities."""
    assert _model.learned_romanisations("דנ", "hebrew", limit=2)  # a folded token: final ן is נ == ("ddnn", "dnn")
    assert _model.load_model.cache_info().currsize == 1


def test_spelling_fit_follows_the_model_probabilities(tiny_model):
    """dd·nn is the model's likeliest spelling of דנ, so it fits fully; d·nn has P 0.1 against
    0.9 for its first letter; a chunk the model never saw (k) leaves only a trace."""
    assert _model.romanisation_fit("דנ", "ddnn", "hebrew") == pytest.approx(1.0)
    assert _model.romanisation_fit("דנ", "dnn", "hebrew") == pytest.approx((0.1 / 0.9) ** 0.5)
    assert _model.romanisation_fit("דנ", "knn", "hebrew") < 0.05
    assert _model.romanisation_fit("דנ", "ddnn", "cyrillic") == 0.0  # no table, no fit


def test_shipped_model_is_loadable_and_covers_both_scripts():
    model = _model.load_model()
    assert {"hebrew", "cyrillic"} <= set(model)
    assert "zelenski" in _model.learned_romanisations("зеленский", "cyrillic")


def test_bench_command_prints_one_json_object(tmp_path, capsys):
    """`python -m namebridge.bench FILE --json` runs on any file of the format."""
    pairs = tmp_path / "pairs.tsv"
    rows = [
        ("Volodymyr Zelensky", "זלנסקי, ולדימיר", "comma"),
        ("Joseph Weinberg", "יוסף ויינברג", "-"),
        ("Avraham Stern", "אברהם שטרן", "-"),
        ("Moshe Dayan", "משה דיין", "-"),
    ]
    pairs.write_text("latin\tnative\tcount\tflags\n" + "".join(f"{a}\t{b}\t1\t{f}\n" for a, b, f in rows))
    assert bench_main([str(pairs), "--distractors", "20", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"lat2nat", "nat2lat", "index_size", "build_s", "peak_rss_mb"}
    assert report["lat2nat"]["recall@10"] == 1.0
    assert 4 < report["index_size"] <= 24  # a tiny file allows few distinct distractors
    assert bench_main([str(pairs), "--skip-flagged", "--sample", "2"]) == 0
    assert "recall@1" in capsys.readouterr().out


def test_bench_holdout_queries_only_with_the_pairs_training_kept_out(tmp_path, capsys):
    from namebridge.train import bucket

    rows = [(f"Name{n} Surname{n}", f"Имя{n} Фамилия{n}") for n in range(40)]
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("latin\tnative\tcount\n" + "".join(f"{a}\t{b}\t1\n" for a, b in rows))
    held_out = sum(1 for a, b in rows if bucket(a, b) < 30)
    assert 0 < held_out < len(rows)
    assert bench_main([str(pairs), "--holdout", "30", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["lat2nat"]["queries"] == report["nat2lat"]["queries"] == held_out
    assert report["index_size"] == len(rows)  # every pair is still indexed
