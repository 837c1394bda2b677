import pytest
import torch

from genfin.nn import (
    MLPGenerator,
    SGANDiscriminator,
    SGANEnsemble,
    SGANNetworks,
    book_sgan_body,
    improved_gan_body,
)
from genfin.nn.sgan import NormalisedLinear


def _discriminator(kind: str, separate_real_head: bool) -> SGANDiscriminator:
    if kind == "book":
        return SGANDiscriminator(book_sgan_body(29), 16, 2, separate_real_head=separate_real_head)
    body = improved_gan_body(64, (32, 16, 8))
    return SGANDiscriminator(body, 8, 10, separate_real_head=separate_real_head, weight_normalised_head=True)


@pytest.mark.parametrize("kind", ["book", "image"])
@pytest.mark.parametrize("separate_real_head", [False, True])
def test_every_parameter_receives_a_gradient(kind, separate_real_head):
    torch.manual_seed(0)
    discriminator = _discriminator(kind, separate_real_head)
    x = torch.randn(16, 29 if kind == "book" else 64)
    real, logits = discriminator(x)
    loss = real.sum() + logits.pow(2).sum() + discriminator.features(x).sum()
    loss.backward()
    missing = [n for n, p in discriminator.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert not missing


def test_book_body_is_the_books_architecture():
    body = book_sgan_body(29)
    kinds = [type(m).__name__ for m in body]
    assert kinds == ["Linear", "LeakyReLU", "BatchNorm1d", "Dropout", "Linear", "LeakyReLU"]
    assert (body[0].in_features, body[0].out_features, body[4].out_features) == (29, 31, 16)
    assert body[3].p == 0.25 and body[1].negative_slope == 0.2


def test_improved_formulation_fixes_the_fake_logit_at_zero():
    discriminator = _discriminator("image", separate_real_head=False).eval()
    x = torch.randn(5, 64)
    real, logits = discriminator(x)
    assert logits.shape == (5, 11)
    assert torch.equal(logits[:, -1], torch.zeros(5))
    # D(x) = Z / (Z + 1): the real logit is logsumexp of the K learnt logits.
    torch.testing.assert_close(real, torch.logsumexp(logits[:, :10], dim=1))


def test_book_formulation_learns_k_plus_one_logits_and_a_real_head():
    discriminator = _discriminator("book", separate_real_head=True).eval()
    real, logits = discriminator(torch.randn(4, 29))
    assert real.shape == (4,) and logits.shape == (4, 3)
    assert discriminator.real_head is not None and discriminator.class_head.out_features == 3


def test_networks_classify_over_the_real_classes_only():
    networks = SGANNetworks(
        MLPGenerator(10, 29, (16, 32), batch_norm=True), _discriminator("book", True)
    ).eval()
    assert networks(torch.randn(3, 29)).shape == (3, 2)


def test_noise_layers_only_in_train_mode():
    discriminator = _discriminator("image", separate_real_head=False)
    x = torch.randn(4, 64)
    discriminator.eval()
    assert torch.equal(discriminator(x)[1], discriminator(x)[1])
    discriminator.train()
    assert not torch.equal(discriminator(x)[1], discriminator(x)[1])


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="n_classes"):
        SGANDiscriminator(book_sgan_body(4), 16, 1)
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        book_sgan_body(4, ())


def test_normalised_linear_initialises_from_data_and_keeps_its_scale_fixed():
    torch.manual_seed(0)
    layer = NormalisedLinear(6, 4)
    assert [name for name, _ in layer.named_parameters()] == ["direction", "bias"]  # scale: a buffer
    x = 3 + 2 * torch.randn(500, 6)
    out = layer.initialise(x)
    torch.testing.assert_close(layer(x), out)
    torch.testing.assert_close(out.mean(0), torch.zeros(4), atol=1e-5, rtol=0)
    torch.testing.assert_close(out.std(0, unbiased=False), torch.ones(4), atol=1e-4, rtol=0)
    # The weights' norms are the scales, whatever the directions' lengths.
    weight = layer.direction * (layer.scale / layer.direction.norm(dim=1)).unsqueeze(1)
    torch.testing.assert_close(weight.norm(dim=1), layer.scale)
    assert isinstance(NormalisedLinear(6, 4, train_scale=True).scale, torch.nn.Parameter)


def test_improved_body_puts_noise_after_the_relu_and_initialises_every_layer():
    body = improved_gan_body(64, (32, 16, 8))
    kinds = [type(m).__name__ for m in body]
    assert kinds == [
        "GaussianNoise", "NormalisedLinear", "ReLU", "GaussianNoise",
        "NormalisedLinear", "ReLU", "GaussianNoise", "NormalisedLinear", "ReLU",
    ]  # fmt: skip
    discriminator = SGANDiscriminator(body, 8, 10, weight_normalised_head=True, feature_noise=0.5)
    torch.manual_seed(0)
    x = torch.rand(300, 64)
    discriminator.initialise(x)
    assert discriminator.training  # the mode is kept
    pre_activation = body[1](x)
    torch.testing.assert_close(pre_activation.std(0, unbiased=False), torch.ones(32), atol=1e-4, rtol=0)
    with torch.no_grad():
        logits = discriminator.class_head(discriminator.eval().features(x))
    torch.testing.assert_close(logits.mean(0), torch.zeros(10), atol=1e-4, rtol=0)
    # The last noise acts between the features (what feature matching reads) and the heads.
    quiet = SGANDiscriminator(
        improved_gan_body(64, (32, 16, 8), input_noise=0.0, hidden_noise=0.0), 8, 10, feature_noise=0.5
    ).train()
    h = quiet.features(x)
    assert torch.equal(h, quiet.features(x))
    assert not torch.equal(quiet.heads(h)[1], quiet.heads(h)[1])
    assert torch.equal(quiet.eval().heads(h)[1], quiet.heads(h)[1])


def test_ensemble_stacks_its_members_logits():
    torch.manual_seed(0)
    members = [
        SGANNetworks(MLPGenerator(10, 29, (16,), batch_norm=True), _discriminator("book", True)).eval()
        for _ in range(3)
    ]
    ensemble = SGANEnsemble(members)
    x = torch.randn(5, 29)
    stacked = ensemble(x)
    assert stacked.shape == (3, 5, 2)
    torch.testing.assert_close(stacked[1], members[1](x))
    with pytest.raises(ValueError, match="at least 2"):
        SGANEnsemble(members[:1])
