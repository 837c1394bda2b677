import numpy as np

from genfin.models._semi import UNLABELLED, cross_fitted_folds, held_out_share


def labels_with_unlabelled():
    labels = np.full(60, UNLABELLED)
    labels[:40] = 0  # 40 of class 0
    labels[40:45] = 1  # 5 of class 1, the rest unlabelled
    return labels


def test_held_out_share_takes_a_fifth_of_each_class_and_never_an_unlabelled_row():
    labels = labels_with_unlabelled()
    held_out = held_out_share(labels, 0.2, np.random.default_rng(0))
    assert np.all(labels[held_out] != UNLABELLED)
    assert np.sum(labels[held_out] == 0) == 8 and np.sum(labels[held_out] == 1) == 1
    assert np.array_equal(held_out, np.sort(held_out))


def test_held_out_share_keeps_one_row_of_each_class_for_training():
    labels = np.array([0, 0, 1, 1, UNLABELLED])
    held_out = held_out_share(labels, 0.9, np.random.default_rng(0))
    assert sorted(labels[held_out]) == [0, 1]  # one of each held out, one of each left


def test_cross_fitted_folds_deal_every_label_once_and_stratified():
    labels = labels_with_unlabelled()
    folds = cross_fitted_folds(labels, 5, np.random.default_rng(0))
    assert len(folds) == 5
    everything = np.concatenate(folds)
    assert np.array_equal(np.sort(everything), np.flatnonzero(labels != UNLABELLED))
    assert all(np.sum(labels[f] == 0) == 8 and np.sum(labels[f] == 1) == 1 for f in folds)


def test_a_class_with_fewer_rows_than_folds_lends_rows_to_every_fold():
    labels = np.array([0] * 10 + [1] * 2)
    folds = cross_fitted_folds(labels, 5, np.random.default_rng(0))
    assert all(set(labels[f]) == {0, 1} for f in folds)
    # Each fold leaves a class-1 row for training.
    assert all(set(np.flatnonzero(labels == 1)) - set(f) for f in folds)
