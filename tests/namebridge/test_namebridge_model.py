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


# дж is one sound: д is silent and ж writes j. Elsewhere ж is zh or z.
SILENT_PAIRS = [
    ("джон", "jon"),
    ("джек", "jack"),
    ("джим", "jim"),
    ("жан", "zhan"),
    ("ажар", "azhar"),
    ("жора", "zhora"),
] * 3


def test_a_letter_after_a_silent_one_learns_its_own_options():
    """With ``silence``, ж after the silent д of дж is learned apart (its key ends in
    AFTER_SILENT) and writes j; ж after a spoken letter keeps zh/z. Without it, one ж must
    stand for both."""
    apart = training.Contexts(wide=False, smoothing=0.0, silence=True)
    table = training.stored_table(training.train(SILENT_PAIRS, contexts=apart, iterations=5, log=False), SILENT_PAIRS)
    assert table["ж" + _model.AFTER_SILENT][0][0] == "j"
    assert table["ж"][0][0] != "j"
    merged = training.Contexts(wide=False, smoothing=0.0, silence=False)
    table = training.stored_table(training.train(SILENT_PAIRS, contexts=merged, iterations=5, log=False), SILENT_PAIRS)
    assert not any(key.endswith(_model.AFTER_SILENT) for key in table)
    assert table["ж"][0][0] == "j"


def test_after_a_silent_letter_the_model_looks_up_its_own_options_first():
    table = {"а~": [("ua", 1.0)], "а": [("a", 1.0)], "уа": [("u", 1.0)]}
    assert _model.options_at(table, "муа", 2, after_silent=True) == [("ua", 1.0)]
    assert _model.options_at(table, "муа", 2) == [("a", 1.0)]
    assert _model.options_at(table, "муа", 1, after_silent=True) == [("u", 1.0)]  # no ~ key: the usual ones


def test_two_neighbours_that_share_one_chunk_are_not_both_silent():
    """у and а of муар each write "ua" or nothing. Learned apart they would both be silent
    ("mr", 0.36); with the options after a silent letter, а after a silent у writes "ua"."""
    import math

    probabilities = {"м": [("m", 1.0)], "у": [("", 0.6), ("ua", 0.4)], "а": [("", 0.6), ("ua", 0.4)], "р": [("r", 1.0)]}
    table = {key: [(chunk, math.log(p)) for chunk, p in options] for key, options in probabilities.items()}
    assert _model.likeliest_spellings(table, "муар", limit=1) == ("mr",)
    table["а" + _model.AFTER_SILENT] = [("ua", 0.0)]
    assert _model.likeliest_spellings(table, "муар", limit=2) == ("muar", "muauar")


def test_prior_rejects_a_consonant_that_writes_another_consonant():
    assert training.prior("דנ", "d") == 1.0
    assert training.prior("דנ", "k") == training.PRIOR_MISMATCH
    assert training.prior("за", "za") == training.PRIOR_MISMATCH  # Cyrillic writes its own vowels


def test_prior_of_a_latin_letter_written_in_cyrillic():
    """The other way (``from_latin`` tables): a Latin letter may be silent (the g of Huang
    Хуан), its chunk must carry its sound, and a Latin consonant takes no Cyrillic vowel."""
    assert training.prior("n>g$", "") == 1.0
    assert training.prior("^>ka", "к") == 1.0
    assert training.prior("^>ka", "п") == training.PRIOR_MISMATCH
    assert training.prior("^>ka", "ка") == training.PRIOR_MISMATCH
    assert training.prior("^>ya", "я") == 1.0  # y and j may write the vowel they carry


@pytest.fixture
def tiny_model(tmp_path, monkeypatch):
    """A model file of our own, loaded through $NAMEBRIDGE_ROMANISATION_MODEL."""
    path = tmp_path / "model.json"
    path.write_text(
        json.dumps(
            {
                "tables": {
                    "hebrew": {"ד": [["dd", 0.9], ["d", 0.1]], "נ": [["nn", 1.0]]},
                    "cyrillic": {},
                    "latin>hebrew": {"d": [["ד", 1.0]], "a": [["", 0.7], ["א", 0.3]], "n": [["נ", 1.0]]},
                }
            }
        ),
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
        _model._reach,
        _model._likeliest_alignment,
        _model.romanisation_fit,
        _model.native_spelling_fit,
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


def test_native_spelling_fit_reads_the_table_that_writes_latin_in_the_script(tiny_model):
    """P(native | Latin) by the ``latin>hebrew`` table: דנ is the likeliest spelling of dan (a
    silent), דאנ has 0.3 against 0.7 for its a; Cyrillic has no such table here."""
    assert _model.native_spelling_fit("dan", "דנ", "hebrew") == pytest.approx(1.0)
    assert _model.native_spelling_fit("dan", "דאנ", "hebrew") == pytest.approx((0.3 / 0.7) ** (1 / 3))
    assert _model.native_spelling_fit("dan", "דנ", "cyrillic") == 0.0
    assert _model.learned_romanisations("dan", _model.from_latin("hebrew"), limit=2) == ("דנ", "דאנ")


def test_shipped_model_is_loadable_and_covers_both_scripts():
    model = _model.load_model()
    assert {"hebrew", "cyrillic", _model.from_latin("hebrew"), _model.from_latin("cyrillic")} <= set(model)
    assert "zelenski" in _model.learned_romanisations("зеленский", "cyrillic")
    assert "зеленский" in _model.learned_romanisations("zelenskiy", _model.from_latin("cyrillic"), limit=8)


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
