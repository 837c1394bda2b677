import numpy as np
import torch

from genfin.nn.classifier import ConvClassifier
from genfin.training import ClassificationTask


def test_linear_schedule_falls_to_zero_over_the_steps():
    torch.manual_seed(0)
    module = ConvClassifier(n_classes=3, channels=(2,), feature_dim=4, image_shape=(8, 8))
    optimizer = torch.optim.Adam(module.parameters(), lr=0.1)
    X, y = torch.rand(20, 1, 8, 8), torch.arange(20) % 3
    task = ClassificationTask(
        module,
        optimizer,
        X_train=X,
        y_train=y,
        X_val=None,
        y_val=None,
        batch_size=5,
        generator=torch.Generator().manual_seed(0),
        total_steps=8,
    )
    lrs = []
    for epoch in range(2):
        for batch in task.batches(epoch):
            task.train_step(batch)
            lrs.append(optimizer.param_groups[0]["lr"])
    np.testing.assert_allclose(lrs, 0.1 * (1 - np.arange(8) / 8))
    assert task.extra_state()["step"] == 8 and task.evaluate() == {}
