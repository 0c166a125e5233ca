"""Loading files, evaluating and comparing models, the command line and cold-start evaluation."""

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.engine import ALS, Popularity, cli, evaluation, metrics, splits
from recommendations.engine._factorization import FactorizationModel
from recommendations.engine.datasets import load_interactions, load_item_features
from recommendations.engine.synthetic import planted_low_rank


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_tsv_with_header_and_string_ids(tmp_path):
    path = _write(tmp_path, "e.tsv", "user\tcourse\nann\tpy101\nbob\tpy101\nann\tmath\n")
    data = load_interactions(path)
    assert data.user_ids == ["ann", "bob"] and data.item_ids == ["py101", "math"]
    assert data.user_items.toarray().tolist() == [[1, 1], [1, 0]]
    assert data.user_items.dtype == np.float32 and data.timestamps is None


def test_load_csv_without_header_weights_and_duplicates(tmp_path):
    path = _write(tmp_path, "e.csv", "u1,i1,2\nu2,i2,1.5\nu1,i1,3\nu1,i2,0\n")
    data = load_interactions(path)
    # (u1, i1) appears twice: 2 + 3; (u1, i2) has weight 0 and is dropped
    assert data.user_items.toarray().tolist() == [[5, 0], [0, 1.5]]


def test_load_timestamps_aligned_with_nonzeros(tmp_path):
    text = (
        "user;item;weight;timestamp\n"
        "a;x;1;2024-01-02T00:00:00\n"
        "a;y;1;100\n"
        "b;x;1;50\n"
        "a;x;1;2024-01-01T00:00:00\n"
    )
    data = load_interactions(_write(tmp_path, "e.txt", text))
    # csr order: (a, x), (a, y), (b, x); (a, x) keeps the later of its two times
    assert data.timestamps.tolist() == [1704153600.0, 100.0, 50.0]
    assert data.user_items.toarray().tolist() == [[2, 1], [1, 0]]


def test_header_names_a_timestamp_third_column(tmp_path):
    path = _write(tmp_path, "e.csv", "learner,product,ts\n1,2,10\n1,3,20\n")
    data = load_interactions(path)
    assert data.timestamps.tolist() == [10.0, 20.0]
    assert data.user_items.toarray().tolist() == [[1, 1]]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("u,i\na,b\nc\n", r"e\.csv:3: expected 2 columns"),
        ("a,b,1\nc,d,x\n", r"e\.csv:2: weight 'x' is not a number"),
        ("a,b,1\nc,d,-1\n", r"e\.csv:2: weight '-1' must be finite and >= 0"),
        ("user,item,colour\na,b,red\n", r"e\.csv:1: header column 3 is 'colour'"),
        ("a,b,1,yesterday\n", r"e\.csv:1: timestamp 'yesterday'"),
        ("user,item\n", r"header only"),
    ],
)
def test_bad_rows_name_the_line(tmp_path, text, message):
    with pytest.raises(ValueError, match=message):
        load_interactions(_write(tmp_path, "e.csv", text))


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_interactions(tmp_path / "absent.csv")


def test_load_item_features(tmp_path):
    path = _write(
        tmp_path, "f.csv", "item,feature\npy101,python\nmath,algebra\npy101,intro\nzz,x\n"
    )
    features, names = load_item_features(path, {"py101": 0, "math": 1})
    assert names == ["python", "algebra", "intro"]
    assert features.toarray().tolist() == [[1, 0, 1], [0, 1, 0]]


class FixedLists:
    """Recommends fixed lists, to check evaluate() against hand-computed metrics."""

    def __init__(self, lists):
        self.lists = np.asarray(lists)

    def recommend(self, user_ids, user_items, k=10, exclude_seen=True):
        return self.lists[user_ids, :k], np.zeros((len(user_ids), k))


def test_evaluate_scores_only_users_with_held_out_items():
    train = sp.csr_matrix(np.array([[1, 0, 0, 0], [1, 1, 0, 0], [0, 0, 0, 1]], dtype=np.float32))
    test = sp.csr_matrix(np.array([[0, 1, 0, 0], [0, 0, 0, 0], [1, 0, 1, 0]], dtype=np.float32))
    model = FixedLists([[1, 2], [2, 3], [3, 0]])
    scores = evaluation.evaluate(model, train, test, k=2)
    # user 0: hit at place 1; user 2: list [3, 0], hit at place 2, |T| = 2; user 1 skipped
    assert scores["precision"] == pytest.approx((1 / 2 + 1 / 2) / 2)
    assert scores["recall"] == pytest.approx((1 + 1 / 2) / 2)
    assert scores["ndcg"] == pytest.approx((1 + (1 / np.log2(3)) / (1 + 1 / np.log2(3))) / 2)
    # lists of users 0 and 2 cover items {0, 1, 2, 3}; train popularity [2, 1, 0, 1] of 3 users
    assert scores["coverage"] == 1.0
    bits = -np.log2(np.array([1, 1, 1, 2]) / 3)  # items 1, 2 (floored to 1), 3, 0
    assert scores["novelty"] == pytest.approx(bits.mean())


@pytest.fixture(scope="module")
def planted():
    data = planted_low_rank(n_users=300, n_items=60, rank=3, items_per_user=10, random_state=1)
    train, test = splits.random_holdout(data.user_items, test_fraction=0.3, random_state=0)
    # content features: each item's dominant topic, and a second noisy tag
    topic = data.item_factors.argmax(axis=1)
    noise = np.random.default_rng(0).integers(0, 3, size=60)
    features = sp.csr_matrix(
        (np.ones(120), (np.r_[np.arange(60), np.arange(60)], np.r_[topic, 3 + noise])),
        shape=(60, 6),
    )
    return data, train, test, features


def test_compare_rows_and_table(planted):
    _, train, test, features = planted
    lines = []
    rows = evaluation.compare(
        train,
        test,
        models=["als", "popularity", "content"],
        k=5,
        item_features=features,
        progress=lines.append,
    )
    assert [row.model for row in rows] == ["als", "popularity", "content"]
    pop = Popularity().fit(train)
    assert rows[1].metrics == pytest.approx(evaluation.evaluate(pop, train, test, k=5))
    # on a planted topic model, content (topic tags) beats popularity
    assert rows[2].metrics["ndcg"] > rows[1].metrics["ndcg"]
    table = evaluation.format_table(rows, k=5)
    header = table.splitlines()[0].split()
    assert header == [
        "model",
        "P@5",
        "R@5",
        "nDCG@5",
        "MAP@5",
        "HR@5",
        "cover",
        "novelty",
        "train",
        "s",
    ]
    assert f"{rows[1].metrics['ndcg']:.4f}" in table.splitlines()[3]
    assert any(line.startswith("popularity: ndcg@5") for line in lines)


def test_compare_skips_content_without_features(planted):
    _, train, test, _ = planted
    rows = evaluation.compare(train, test, models=["content"])
    assert rows[0].note == "skipped: no item features given"
    assert "skipped: no item features given" in evaluation.format_table(rows)
    with pytest.raises(ValueError, match="unknown models"):
        evaluation.compare(train, test, models=["svd"])


def test_implicit_adapter_matches_engine_als(planted):
    pytest.importorskip("implicit")
    _, train, test, _ = planted
    params = {"factors": 8, "regularization": 5.0, "alpha": 4.0, "iterations": 10}
    ours = evaluation.evaluate(ALS(**params, random_state=0).fit(train), train, test, k=10)
    theirs = evaluation.evaluate(
        evaluation.ImplicitALS(**params, random_state=0).fit(train), train, test, k=10
    )
    # same objective (confidence 1 + alpha * w), same ranking code: same quality
    assert theirs["ndcg"] == pytest.approx(ours["ndcg"], abs=0.02)


def test_implicit_adapter_serves_through_the_engines_code(planted):
    """Tuning scores after every iteration, so a slower ranking path would cost the baseline
    trials within the same budget: given the same factors, both rank identically, by one path."""
    _, train, _, _ = planted
    ours = ALS(factors=8, random_state=0).fit(train)
    theirs = evaluation.ImplicitALS(factors=8)
    theirs.user_factors, theirs.item_factors = ours.user_factors, ours.item_factors
    users = np.arange(train.shape[0])
    assert isinstance(theirs, FactorizationModel)
    for a, b in zip(
        theirs.recommend(users, train, k=5), ours.recommend(users, train, k=5), strict=True
    ):
        np.testing.assert_array_equal(a, b)


def test_implicit_adapter_early_stopping_restores_best(planted):
    pytest.importorskip("implicit")
    _, train, _, _ = planted
    values = iter([0.1, 0.3, 0.2, 0.2, 0.2, 0.2])
    model = evaluation.ImplicitALS(factors=4, iterations=6).fit(
        train, callback=lambda _i, _m: next(values), early_stopping_rounds=2
    )
    assert model.best_iteration == 1 and model.validation_history == [0.1, 0.3, 0.2, 0.2]


def test_cli_prints_the_table(tmp_path, capsys):
    data = planted_low_rank(n_users=120, n_items=30, rank=3, items_per_user=8, random_state=2)
    coo = data.user_items.tocoo()
    rows = "".join(f"user{u}\tc{i}\n" for u, i in zip(coo.row, coo.col, strict=True))
    path = _write(tmp_path, "e.tsv", "user\titem\n" + rows)
    code = cli.main(
        ["--interactions", str(path), "--models", "popularity", "als", "--k", "5", "--quiet"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "120 users, 30 items, 960 interactions" in out
    assert "nDCG@5" in out and "popularity" in out and "als" in out


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (None, [], "error: no such file"),
        ("a,b\nc\n", [], "error: "),
        ("a,b\nc,d\n", ["--split", "temporal"], "needs a timestamp column"),
        ("a,b\nc,d\n", ["--test-fraction", "1.5"], "--test-fraction must be in (0, 1)"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line(tmp_path, capsys, content, args, message):
    path = tmp_path / "e.csv"
    if content is not None:
        path.write_text(content)
    assert cli.main(["--interactions", str(path), "--quiet", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_cold_start_mapper_beats_chance(planted):
    data, _, _, features = planted
    train, test, cold = splits.cold_items(data.user_items, fraction=0.25, random_state=0)
    model = ALS(factors=8, regularization=5.0, alpha=4.0, random_state=0).fit(train)
    results = evaluation.evaluate_cold_start(model, train, test, cold, features, k=5)
    assert set(results) == {"mapper", "content", "random"}
    assert results["mapper"]["recall"] > results["random"]["recall"] + 0.1
    assert results["content"]["recall"] > results["random"]["recall"] + 0.1
    assert 0 <= results["random"]["recall"] <= 1


def test_recommend_all_batches_users():
    model = FixedLists(np.arange(5000 * 3).reshape(5000, 3) % 7)
    ids = evaluation.recommend_all(model, np.arange(5000), None, k=3)
    assert ids.shape == (5000, 3) and ids[4999].tolist() == (np.arange(14997, 15000) % 7).tolist()
    assert metrics.catalog_coverage(ids, 7) == 1.0


def test_compare_prints_every_family_and_the_selected_model(planted):
    _, train, test, _ = planted
    rows = evaluation.compare(
        train, test, models=["ease", "rp3beta", "selected"], k=5, time_budget_s=5
    )
    assert [row.model for row in rows] == ["ease", "rp3beta", "selected"]
    assert rows[0].params.startswith("chose ease regularization=")
    assert "popularity weight" in rows[2].params and "val ndcg@10" in rows[2].params
    assert all(0 <= row.metrics["ndcg"] <= 1 for row in rows)


def test_load_a_short_video_file_with_a_liked_column(tmp_path):
    path = _write(tmp_path, "v.tsv", "user\tvideo\tliked\n0\t0\t1\n0\t4\t1\n1\t4\t1\n")
    data = load_interactions(path)
    assert data.user_items.shape == (2, 2) and data.user_items.nnz == 3


def test_a_chosen_mix_is_described_by_its_parts():
    from types import SimpleNamespace

    from recommendations.engine.evaluation import _selected_params
    from recommendations.engine.selection import FamilyResult, SelectionReport

    parts = [
        {"family": "als", "params": {"factors": 8}, "weight": 0.5},
        {"family": "ease", "params": {"regularization": 10.0}, "weight": 0.3},
    ]
    report = SelectionReport(
        metric="ndcg@10",
        popularity_score=0.1,
        families=[FamilyResult("als", {"factors": 8}, 0.2), FamilyResult("mix", {}, 0.3)],
        chosen="mix",
        params={"components": parts},
        blend_weight=0.2,
        score=0.3,
        validation_users=5,
        search_seconds=1.0,
    )
    text = _selected_params(SimpleNamespace(selection_report=report))
    assert text.startswith("chose mix 0.50 als (factors=8) + 0.30 ease (regularization=10)")
    assert "popularity weight 0.2" in text
