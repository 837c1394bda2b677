"""Flag fraud with an autoencoder trained on unlabelled transactions.

    python examples/fraud_detection.py [path/to/creditcard.csv]

Without a path it uses genfin's built-in synthetic transactions.
"""

import sys

from genfin import AutoencoderDetector, load
from genfin.data import load_creditcard, make_transactions, stratified_split
from genfin.evaluate import detection_metrics

data = (
    load_creditcard(sys.argv[1]) if len(sys.argv) > 1 else make_transactions(n_samples=50_000, random_state=0)
)
X, y = data
X_train, X_test, y_train, y_test = stratified_split(X, y, test_size=0.3, random_state=0)

model = AutoencoderDetector(random_state=0, verbose=1).fit(X_train)  # labels not needed
model.tune_threshold(X_train, y_train, recall=0.8)  # a few labels choose where to cut
scores = model.score_samples(X_test)
for name, value in detection_metrics(y_test, scores, threshold=model.threshold_).items():
    print(f"{name:>16}: {value:.4f}")

# Why the highest-scoring test row looks anomalous: its worst-reconstructed features.
worst = scores.argmax()
print(model.feature_errors(X_test).iloc[worst].nlargest(3))

model.save("fraud-model")
assert (load("fraud-model").score_samples(X_test) == scores).all()
