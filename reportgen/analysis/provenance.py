"""What data an experiment ran on, said plainly: the 2018 images only when they are the 2018 images.

The 2018 script trained on 50 of the MNIST t10k test digits (zeros then ones,
shuffled with RandomState(678), the first 20 held out, the next 50 trained
on). reportgen repeats that procedure on whatever pool it is given; only the
t10k files give the 2018 images. The embedded sample holds other MNIST
digits, so a run on it is the 2018 procedure on other images.
"""

from __future__ import annotations

from reportgen.training.results import ResultSet

# The 2018 images: the t10k zeros and ones, shuffled with RandomState(678), 20 held out, the next 50 trained on.
T10K_SELECTION = {"split": "test", "pool_zeros": 980, "pool_ones": 1135, "selection_seed": 678, "n_train": 50, "n_test": 20}
SEED_2018 = 678  # the seed whose stream, after shuffling the t10k pool, draws the 2018 starting weights


def is_2018_images(data: dict) -> bool:
    return data.get("source") in ("idx", "npz") and all(data.get(field) == value for field, value in T10K_SELECTION.items())


def images(data: dict) -> str:
    """The images an experiment trained on, as a noun phrase: the 2018 ones only when they are."""
    if is_2018_images(data):
        return "the 2018 images (t10k)"
    if data.get("source") == "embedded":
        return "the embedded sample of other images"
    return f"other images ({data.get('description')})"


def data_used(result_set: ResultSet) -> tuple[str, str]:
    """(short, full): what a replica was trained on, for a table cell and for the sentences above the table."""
    data = result_set.data
    seeds = f"seed{'s' if len(result_set.seeds) > 1 else ''} {', '.join(str(seed) for seed in result_set.seeds)}"
    procedure = (
        f"zeros then ones shuffled with RandomState({data.get('selection_seed')}), the first {data.get('n_test')} held out, "
        f"the next {data.get('n_train')} trained on"
    )
    if is_2018_images(data):
        weights = "seed 678 draws the 2018 starting weights" if SEED_2018 in result_set.seeds else "no seed is 678, so the starting weights are not the 2018 ones"
        return f"{images(data)}, {seeds}", f"{result_set.experiment} ran on the 2018 images: {data.get('description')}, {procedure}, as the 2018 script did; {weights}."
    full = (
        f"{result_set.experiment} ran the 2018 procedure ({procedure}) on {images(data)}: {data.get('description')}. "
        "These are not the 2018 images, which are 50 of the MNIST t10k test digits (run on the t10k files, data.source = \"idx\", to use them); "
        "and since each seed's stream shuffles a pool of another size before it draws the weights, the starting weights and noise are not the 2018 ones either."
    )
    return f"the 2018 procedure on {images(data)}, {seeds}", full
