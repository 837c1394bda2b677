from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from genfin.nn.gan import (
    DCGANDiscriminator,
    DCGANGenerator,
    GANNetworks,
    GaussianNoise,
    MLPDiscriminator,
    MLPGenerator,
    SamplingDropout,
)


def _assert_every_parameter_has_a_gradient(module: nn.Module) -> None:
    for name, param in module.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name


def test_book_dcgan_generator_layers_and_output():
    gen = DCGANGenerator()
    dense = gen.project[0]
    assert (dense.in_features, dense.out_features) == (100, 128 * 7 * 7)
    convs = [m for m in gen.body if isinstance(m, nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size) for c in convs] == [
        (128, 64, (5, 5)),
        (64, 1, (5, 5)),
    ]
    assert sum(isinstance(m, nn.Upsample) for m in gen.body) == 2
    assert isinstance(gen.body[-1], nn.Tanh)
    assert all(m.negative_slope == 0.2 for m in gen.modules() if isinstance(m, nn.LeakyReLU))
    images = gen(torch.randn(3, 100))
    assert images.shape == (3, 1, 28, 28)
    assert images.min() >= -1 and images.max() <= 1
    # The book's N(0, 0.02) initialisation of the dense layer.
    assert dense.weight.std().item() == pytest.approx(0.02, rel=0.05)


def test_book_dcgan_discriminator_layers_and_logits():
    disc = DCGANDiscriminator()
    convs = [m for m in disc.body if isinstance(m, nn.Conv2d)]
    assert [(c.out_channels, c.kernel_size, c.stride) for c in convs] == [
        (64, (5, 5), (2, 2)),
        (128, (5, 5), (2, 2)),
    ]
    assert [m.p for m in disc.body if isinstance(m, nn.Dropout)] == [0.3, 0.3]
    assert disc.head.in_features == 128 * 7 * 7
    assert not any(isinstance(m, (nn.MaxPool2d, nn.ReLU, nn.Sigmoid)) for m in disc.modules())
    logits = disc(torch.rand(4, 1, 28, 28) * 2 - 1)
    assert logits.shape == (4,)
    assert convs[0].weight.is_contiguous(memory_format=torch.channels_last)


@pytest.mark.parametrize("image_shape", [(8, 8), (10, 6), (28, 28)])
def test_dcgan_handles_other_image_sizes(image_shape):
    gen = DCGANGenerator(latent_dim=4, image_shape=image_shape, channels=(8, 4))
    disc = DCGANDiscriminator(image_shape=image_shape, channels=(4, 8))
    images = gen(torch.randn(2, 4))
    assert images.shape == (2, 1, *image_shape)
    assert disc(images).shape == (2,)


@pytest.mark.parametrize("batch_norm", [False, True])
@pytest.mark.parametrize("n_classes", [0, 3])
def test_every_dcgan_parameter_receives_a_gradient(batch_norm, n_classes):
    torch.manual_seed(0)
    gen = DCGANGenerator(8, (8, 8), (8, 4), n_classes, batch_norm=batch_norm, dropout=0.1, noise_std=0.1)
    disc = DCGANDiscriminator((8, 8), (4, 8), n_classes, batch_norm=batch_norm, noise_std=0.1)
    labels = torch.arange(6) % 3 if n_classes else None
    logits = disc(gen(torch.randn(6, 8), labels), labels)
    F.binary_cross_entropy_with_logits(logits, torch.rand(6)).backward()
    _assert_every_parameter_has_a_gradient(gen)
    _assert_every_parameter_has_a_gradient(disc)


@pytest.mark.parametrize("n_classes", [0, 4])
def test_every_mlp_parameter_receives_a_gradient(n_classes):
    torch.manual_seed(0)
    gen = MLPGenerator(5, 3, (16, 16), n_classes, batch_norm=True, dropout=0.1)
    disc = MLPDiscriminator(3, (16, 16), n_classes, batch_norm=True, noise_std=0.1)
    labels = torch.arange(8) % 4 if n_classes else None
    rows = gen(torch.randn(8, 5), labels)
    assert rows.shape == (8, 3) and rows.abs().max() <= 1
    F.binary_cross_entropy_with_logits(disc(rows, labels), torch.ones(8)).backward()
    _assert_every_parameter_has_a_gradient(gen)
    _assert_every_parameter_has_a_gradient(disc)


def test_conditional_generator_output_depends_on_the_label():
    gen = MLPGenerator(4, 2, (8,), n_classes=3).eval()
    z = torch.randn(1, 4).expand(3, 4)
    rows = gen(z, torch.arange(3))
    assert not torch.allclose(rows[0], rows[1])


def test_labels_are_required_exactly_when_conditional():
    with pytest.raises(ValueError, match="conditional"):
        MLPGenerator(4, 2, n_classes=3)(torch.randn(2, 4))
    with pytest.raises(ValueError, match="unconditional"):
        MLPDiscriminator(2)(torch.randn(2, 2), torch.zeros(2, dtype=torch.long))
    with pytest.raises(ValueError, match=r"shape \(n, 4\)"):
        MLPGenerator(4, 2)(torch.randn(2, 5))
    with pytest.raises(ValueError, match=r"\(n, 1, 28, 28\)"):
        DCGANDiscriminator()(torch.randn(2, 28, 28))


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: DCGANGenerator(latent_dim=0), "latent_dim"),
        (lambda: DCGANGenerator(channels=(8,)), "channels"),
        (lambda: DCGANDiscriminator(image_shape=(0, 4)), "image_shape"),
        (lambda: MLPGenerator(4, 2, dropout=1.0), "dropout"),
        (lambda: MLPDiscriminator(2, hidden_layer_sizes=()), "hidden_layer_sizes"),
        (lambda: MLPDiscriminator(2, n_classes=-1), "n_classes"),
        (lambda: GaussianNoise(-0.1), "std"),
    ],
)
def test_bad_arguments(factory, message):
    with pytest.raises(ValueError, match=message):
        factory()


def test_gaussian_noise_only_in_train_mode():
    layer = GaussianNoise(0.5)
    x = torch.zeros(1000)
    assert layer(x).std().item() == pytest.approx(0.5, rel=0.1)
    assert torch.equal(layer.eval()(x), x)


def test_generator_dropout_can_stay_on_at_sampling():
    off = SamplingDropout(0.5, at_sampling=False).eval()
    on = SamplingDropout(0.5, at_sampling=True).eval()
    x = torch.ones(1000)
    assert torch.equal(off(x), x)
    assert (on(x) == 0).float().mean().item() == pytest.approx(0.5, abs=0.1)
    gen = MLPGenerator(4, 2, (32,), dropout=0.5, dropout_at_sampling=True).eval()
    z = torch.randn(1, 4)
    assert not torch.equal(gen(z), gen(z))


def test_networks_sample_with_the_average_generator_when_present():
    gen, avg = MLPGenerator(3, 2, (4,)), MLPGenerator(3, 2, (4,))
    nets = GANNetworks(gen, MLPDiscriminator(2, (4,)), avg).eval()
    z = torch.randn(2, 3)
    assert nets.sampler is avg and nets.latent_dim == 3
    torch.testing.assert_close(nets(z), avg(z))
    assert GANNetworks(gen, MLPDiscriminator(2, (4,))).sampler is gen
