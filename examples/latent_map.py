"""The book's picture: a t-SNE map of an autoencoder's latent codes, frauds in red.

python examples/latent_map.py [path/to/creditcard.csv] [map.png]
"""

import sys

from genfin import AutoencoderDetector
from genfin.data import load_creditcard, make_transactions, stratified_split
from genfin.pipelines import map_latent_codes
from genfin.plots import save_figure

data = (
    load_creditcard(sys.argv[1]) if len(sys.argv) > 1 else make_transactions(n_samples=30_000, random_state=0)
)
X_train, X_test, y_train, y_test = stratified_split(*data, test_size=0.3, random_state=0)

model = AutoencoderDetector(random_state=0).fit(X_train)
mapped = map_latent_codes(model.transform(X_test), y_test.to_numpy(), method="tsne", max_points=5_000)
print({k: v for k, v in mapped.quality.items()})
save_figure(mapped.figure, sys.argv[2] if len(sys.argv) > 2 else "latent_map.png")
