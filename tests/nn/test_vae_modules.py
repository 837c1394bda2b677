from __future__ import annotations

import pytest
import torch
from torch.distributions import Bernoulli, Normal, kl_divergence

from genfin.nn.vae import VariationalAutoencoder, gaussian_kl, reconstruction_error, standard_normal


def _shapes(module):
    return [tuple(p.shape) for p in module.parameters()]


def test_book_networks():
    images = VariationalAutoencoder(784, (256,), 32, "relu", "bernoulli")
    assert _shapes(images) == [
        (256, 784),
        (256,),
        (32, 256),
        (32,),
        (32, 256),
        (32,),
        (256, 32),
        (256,),
        (784, 256),
        (784,),
    ]
    assert isinstance(images.encoder[1], torch.nn.ReLU) and isinstance(images.decoder[1], torch.nn.ReLU)
    transactions = VariationalAutoencoder(29, (16,), 6, "relu", "gaussian")
    assert _shapes(transactions) == [
        (16, 29),
        (16,),
        (6, 16),
        (6,),
        (6, 16),
        (6,),
        (16, 6),
        (16,),
        (29, 16),
        (29,),
    ]


@pytest.mark.parametrize("output", ["bernoulli", "gaussian"])
def test_shapes_outputs_and_gradients(output):
    torch.manual_seed(0)
    model = VariationalAutoencoder(10, (8, 6), 3, "tanh", output)
    x = torch.rand(16, 10)
    mu, logvar = model.encode(x)
    assert mu.shape == logvar.shape == (16, 3)
    decoded, mu2, _ = model(x, torch.Generator().manual_seed(0))
    assert decoded.shape == (16, 10)
    torch.testing.assert_close(mu2, mu)
    expected = torch.sigmoid(model.decode_logits(mu)) if output == "bernoulli" else model.decode_logits(mu)
    torch.testing.assert_close(model.decode(mu), expected)
    reconstruction, kl = model.loss_terms(x, torch.Generator().manual_seed(1))
    assert reconstruction.shape == kl.shape == (16,)
    (reconstruction + kl).mean().backward()
    for name, param in model.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name


def test_no_hidden_layer_is_a_linear_vae():
    model = VariationalAutoencoder(5, (), 2, "relu", "gaussian")
    assert _shapes(model) == [(2, 5), (2,), (2, 5), (2,), (5, 2), (5,)]
    assert model(torch.rand(3, 5))[0].shape == (3, 5)


def test_kl_is_the_closed_form_and_never_negative():
    torch.manual_seed(0)
    mu, logvar = torch.randn(50, 4) * 2, torch.randn(50, 4)
    expected = kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(0.0, 1.0)).sum(dim=1)
    torch.testing.assert_close(gaussian_kl(mu, logvar), expected)
    assert (gaussian_kl(mu, logvar) >= 0).all()
    assert gaussian_kl(torch.zeros(2, 4), torch.zeros(2, 4)).abs().max() == 0


def test_reconstruction_terms_are_the_negative_log_likelihoods():
    torch.manual_seed(0)
    logits, pixels = torch.randn(6, 20), torch.rand(6, 20)
    # Bernoulli's log-probability of continuous targets in [0, 1] is the (negative) cross-entropy.
    bce = -(
        pixels * torch.nn.functional.logsigmoid(logits)
        + (1 - pixels) * torch.nn.functional.logsigmoid(-logits)
    )
    torch.testing.assert_close(reconstruction_error(logits, pixels, "bernoulli"), bce.sum(dim=1))
    binary = (pixels > 0.5).float()
    torch.testing.assert_close(
        reconstruction_error(logits, binary, "bernoulli"),
        -Bernoulli(logits=logits).log_prob(binary).sum(dim=1),
    )
    means, x = torch.randn(6, 20), torch.randn(6, 20)
    torch.testing.assert_close(reconstruction_error(means, x, "gaussian"), ((means - x) ** 2).sum(dim=1))


def test_reparameterisation_is_reproducible_and_differentiable():
    model = VariationalAutoencoder(4, (3,), 2)
    mu = torch.tensor([[0.0, 5.0]]).repeat(20_000, 1).requires_grad_()
    logvar = torch.log(torch.tensor([[4.0, 0.25]])).repeat(20_000, 1).requires_grad_()
    z = model.reparameterize(mu, logvar, torch.Generator().manual_seed(3))
    torch.testing.assert_close(z, model.reparameterize(mu, logvar, torch.Generator().manual_seed(3)))
    torch.testing.assert_close(z.mean(0), torch.tensor([0.0, 5.0]), atol=0.05, rtol=0)
    torch.testing.assert_close(z.std(0), torch.tensor([2.0, 0.5]), atol=0.03, rtol=0)
    z.sum().backward()
    assert torch.all(mu.grad == 1) and logvar.grad.abs().sum() > 0


def test_noise_from_a_generator_leaves_global_state_alone():
    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    standard_normal((5, 2), like=torch.empty(0), generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(torch.rand(3), expected)
    # Without a generator the noise is torch's global stream: reproducible by seeding it.
    torch.manual_seed(1)
    a = standard_normal((2, 2), like=torch.empty(0))
    torch.manual_seed(1)
    torch.testing.assert_close(standard_normal((2, 2), like=torch.empty(0)), a)


@pytest.mark.parametrize(
    "kwargs",
    [dict(n_features=0), dict(latent_dim=0), dict(hidden_sizes=(4, 0)), dict(output="poisson")],
)
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        VariationalAutoencoder(**{"n_features": 4, **kwargs})


def test_learned_variance_term_is_the_gaussian_negative_log_likelihood():
    torch.manual_seed(0)
    means, x, log_var = torch.randn(6, 5), torch.randn(6, 5), torch.randn(5)
    expected = -Normal(means, (0.5 * log_var).exp()).log_prob(x).sum(dim=1)
    torch.testing.assert_close(reconstruction_error(means, x, "gaussian", log_var), expected)
    model = VariationalAutoencoder(5, (4,), 2, "relu", "gaussian", learn_variance=True)
    # Starts at the variance the book's squared error implies; floored so a constant column cannot diverge.
    torch.testing.assert_close(model.output_variance_log().exp(), torch.full((5,), 0.5))
    with torch.no_grad():
        model.output_log_var.fill_(-50.0)
    assert model.output_variance_log().exp().min() >= 1e-4 * 0.999


def test_draw_adds_the_learned_noise_and_only_then():
    model = VariationalAutoencoder(3, (4,), 2, "relu", "gaussian", learn_variance=True)
    with torch.no_grad():
        model.output_log_var.copy_(torch.log(torch.tensor([0.01, 1.0, 4.0])))
    z = torch.zeros(20_000, 2)
    drawn = model.draw(z, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(drawn.std(0), torch.tensor([0.1, 1.0, 2.0]), atol=0.03, rtol=0.02)
    torch.testing.assert_close(drawn.mean(0), model.decode(z[:1])[0], atol=0.05, rtol=0)
    fixed = VariationalAutoencoder(3, (4,), 2, "relu", "gaussian")
    torch.testing.assert_close(fixed.draw(z[:5]), fixed.decode(z[:5]))
    with pytest.raises(ValueError, match="learn_variance"):
        VariationalAutoencoder(3, (4,), 2, output="bernoulli", learn_variance=True)


def test_conditional_network_sees_the_class_in_encoder_and_decoder():
    torch.manual_seed(0)
    model = VariationalAutoencoder(6, (5,), 2, "tanh", "gaussian", n_classes=3)
    assert model.encoder[0].in_features == 9 and model.decoder[0].in_features == 5
    x, z = torch.randn(4, 6), torch.randn(4, 2)
    one, two = torch.eye(3)[[0, 0, 0, 0]], torch.eye(3)[[1, 1, 1, 1]]
    assert not torch.allclose(model.encode(x, one)[0], model.encode(x, two)[0])
    assert not torch.allclose(model.decode(z, one), model.decode(z, two))
    # Several codes per row (as when scoring): the row's class is repeated over them.
    many = torch.randn(4, 7, 2)
    torch.testing.assert_close(model.decode(many, one)[:, 3], model.decode(many[:, 3], one))
    reconstruction, kl = model.loss_terms(x, condition=one)
    (reconstruction + kl).mean().backward()
    assert all(p.grad is not None for p in model.parameters())
    with pytest.raises(ValueError, match="one-hot condition of shape \\(4, 3\\)"):
        model.encode(x)
