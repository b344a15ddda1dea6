"""Experiment configuration: presets, normalisation, hashing, and field errors."""

import math

import pytest

from reportgen import config, optimizers
from reportgen.errors import ConfigError

SMALL = {
    "name": "small",
    "data": {"n_train": 10, "n_test": 5},
    "network": {"hidden": [8, 4]},
    "training": {"epochs": 2, "seeds": [1, 2]},
    "methods": {"sgd": {"lr": 0.1}, "adam": {}},
}


def test_presets_are_listed_and_load():
    assert {"seed-2018", "textbook"} <= set(config.preset_names())
    replica = config.load_preset("seed-2018")
    assert [m.name for m in replica.methods] == list(optimizers.ARTICLE_METHODS)
    assert {m.variant for m in replica.methods} == {"seed-2018"}
    assert replica.config["training"]["epochs"] == 100
    assert replica.seeds == [678]
    assert replica.config["network"]["activation"] == "elu_2018"
    textbook = config.load_preset("textbook")
    assert {m.variant for m in textbook.methods} == {"textbook"}
    assert len(textbook.seeds) >= 3


def test_the_modern_preset_is_what_the_issue_and_readme_name():
    """SGD with momentum, Adam, AdamW, Lion, schedule-free AdamW, Muon and warm-up + cosine AdamW, on the textbook setup,
    >= 5 paired seeds, the learning rates README "How the modern learning rates were chosen" gives."""
    modern, textbook = config.load_preset("modern"), config.load_preset("textbook")
    runs = {m.name: m.runs for m in modern.methods}
    assert runs == {name: name for name in ("momentum", "adam", "adamw", "lion", "schedule_free_adamw", "muon")} | {"adamw_cosine": "adamw"}
    assert [m.letter for m in modern.methods] == list("bgmsuvw") and len(modern.seeds) >= 5
    assert {m.name: m.hyperparams["lr"] for m in modern.methods} == {
        "momentum": 0.1, "adam": 0.0316228, "adamw": 0.0316228, "lion": 0.0316228, "schedule_free_adamw": 0.1, "muon": 0.0316228, "adamw_cosine": 0.1,
    }
    cosine = modern.methods[-1]
    assert cosine.schedule["kind"] == "warmup_cosine" and cosine.schedule["warmup_steps"] + cosine.schedule["T_max"] == 500
    for section in ("data", "network"):
        assert modern.config[section] == textbook.config[section]
    assert {key: modern.config["training"][key] for key in ("epochs", "batch_size", "shuffle")} == {"epochs": 100, "batch_size": 10, "shuffle": True}
    assert config.DEFAULT_PRESETS == ("seed-2018", "textbook")  # the default build stays the 2018 story


def test_defaults_are_filled_and_methods_resolved_in_letter_order():
    experiment = config.validate({**SMALL, "methods": {"adam": {}, "sgd": {"lr": 0.1}}}, "small.toml")
    assert [m.letter for m in experiment.methods] == ["a", "g"]
    adam = experiment.methods[1]
    assert adam.hyperparams == {key: (list(v) if isinstance(v, tuple) else v) for key, v in optimizers.defaults("adam", "textbook").items()}
    assert experiment.config["training"]["batch_size"] == 1
    assert len(experiment.run_specs()) == 2 * 2


def test_hash_follows_what_changes_results():
    first = config.validate(SMALL, "a.toml")
    same = config.validate({**SMALL, "description": "other words"}, "b.toml")
    assert first.numeric_config() == same.numeric_config()
    changed = config.validate({**SMALL, "methods": {"sgd": {"lr": 0.2}, "adam": {}}}, "c.toml")
    assert changed.numeric_config() != first.numeric_config()
    # [report] changes only the text: it is no part of what the cache key hashes
    target = config.validate({**SMALL, "report": {"target_cost": 2.5}}, "d.toml")
    assert target.numeric_config() == first.numeric_config() and target.config["report"]["target_cost"] == 2.5


def test_seed_2018_gaussian_schedule_follows_the_training_set_size():
    experiment = config.validate(
        {**SMALL, "variant": "seed-2018", "training": {"epochs": 2, "batch_size": 3}, "methods": {"gaussian_noise": {}}}, "x.toml"
    )
    assert experiment.methods[0].hyperparams["steps_per_epoch"] == 4  # ceil(10 / 3)


@pytest.mark.parametrize(
    "change, words",
    [
        ({"trainig": {}}, ["trainig", "did you mean 'training'"]),
        ({"training": {"epochs": 0}}, ["training.epochs", "out of range"]),
        ({"training": {"epochs": 2.5}}, ["training.epochs", "whole number"]),
        ({"training": {"seeds": []}}, ["training.seeds", "non-empty"]),
        ({"training": {"seeds": [1, 1]}}, ["training.seeds", "repeat"]),
        ({"training": {"batch_size": 11}}, ["training.batch_size", "larger than the training set"]),
        ({"training": {"divergence_threshold": math.nan}}, ["training.divergence_threshold", "nan"]),
        ({"data": {"source": "s3"}}, ["data.source", "'s3'"]),
        ({"data": {"source": "idx"}}, ["data.path", "required"]),
        ({"network": {"activation": "relu"}}, ["network.activation", "'relu'"]),
        ({"methods": {"adamm": {}}}, ["methods.adamm", "did you mean 'adam'"]),
        ({"methods": {"sgd": {"lr": -1.0}}}, ["methods.sgd", "lr"]),
        ({"methods": {"sgd": {"variant": "2018"}}}, ["methods.sgd.variant", "'2018'"]),
        ({"methods": {}}, ["methods", "at least one"]),
    ],
)
def test_bad_fields_name_the_field(change, words):
    raw = {**SMALL, **change}
    with pytest.raises(ConfigError) as raised:
        config.validate(raw, "bad.toml")
    message = str(raised.value)
    assert "\n" not in message
    for word in words:
        assert word in message


def test_unreadable_and_invalid_files(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        config.load(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("name = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        config.load(broken)
    with pytest.raises(ConfigError, match="unknown preset 'seed2018'.*did you mean 'seed-2018'"):
        config.load_preset("seed2018")


def test_relative_data_path_resolves_against_the_config_file(tmp_path):
    (tmp_path / "mnist").mkdir()
    path = tmp_path / "exp.toml"
    path.write_text('[data]\nsource = "idx"\npath = "mnist"\n[methods.sgd]\n')
    assert config.load(path).config["data"]["path"] == str((tmp_path / "mnist").resolve())


def test_an_oversized_config_file_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "huge.toml"
    path.write_text("# padding\n" * 110_000)  # 1.1 MB of comments: valid TOML, but no experiment is that long
    with pytest.raises(ConfigError, match=r"huge\.toml: 1,100,000 bytes is too large for an experiment file; at most 1,000,000"):
        config.load(path)
