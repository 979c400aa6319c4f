"""Language-aware tokens: stemming, stop words, names and numbers."""

from services.stories.tokens import name_key, names, numbers, terms


def test_terms_are_stemmed_without_stop_words() -> None:
    assert terms("The banks are raising rates", "en") == ["bank", "rais", "rate"]
    assert terms("Die Banken erhöhen die Zinsen", "de") == ["bank", "erhoh", "zins"]


def test_unknown_language_is_lower_cased_only() -> None:
    assert terms("Xyzzy Plugh", "xx") == ["xyzzy", "plugh"]


def test_numbers_are_language_neutral() -> None:
    assert numbers("39.000 Euro, 7,5 Jahre") == ["#39000", "#7.5"]
    assert numbers("39,000 euros, 7.5 years, 2018") == ["#39000", "#7.5", "#2018"]


def test_name_keys_fold_accents_and_genitive() -> None:
    assert name_key("Zürich") == name_key("Zurich") == "zurich"
    assert name_key("Musks") == "musk" and name_key("Altman's") != ""


def test_sentence_openers_are_names_only_if_capitalised_elsewhere() -> None:
    text = "Analysts said Apple sold more. Apple shares rose.\nStorm Zoltan hits Berlin"
    assert names(text) == ["apple", "zoltan", "berlin", "apple"]
