from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from genfin.nn.conv import ConvAutoencoder, FlatImageAdapter


def test_mnist_shapes_and_output_range():
    model = ConvAutoencoder(latent_dim=16)
    x = torch.rand(5, 1, 28, 28)
    codes = model.encode(x)
    assert codes.shape == (5, 16)
    assert model.latent_dim == 16
    assert model.decode_logits(codes).shape == (5, 1, 28, 28)
    images = model(x)
    assert images.shape == (5, 1, 28, 28)
    assert images.min() >= 0 and images.max() <= 1
    torch.testing.assert_close(model.decode(codes), torch.sigmoid(model.decode_logits(codes)))


@pytest.mark.parametrize("image_shape", [(28, 28), (30, 30), (27, 13), (5, 8), (1, 1)])
@pytest.mark.parametrize("channels", [(4,), (4, 8), (4, 8, 8)])
def test_decoder_restores_any_image_size(image_shape, channels):
    model = ConvAutoencoder(latent_dim=3, channels=channels, image_shape=image_shape)
    assert model(torch.rand(2, 1, *image_shape)).shape == (2, 1, *image_shape)


def test_default_is_two_stride_two_convolutions_down_to_seven_by_seven():
    model = ConvAutoencoder()
    convs = [m for m in model.encoder if isinstance(m, torch.nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.stride) for c in convs] == [(1, 32, (2, 2)), (32, 64, (2, 2))]
    assert model.encoder[-1].in_features == 64 * 7 * 7


def test_every_parameter_receives_a_gradient():
    torch.manual_seed(0)
    model = ConvAutoencoder(latent_dim=8, channels=(8, 16))
    x = torch.rand(16, 1, 28, 28)
    F.binary_cross_entropy_with_logits(model.decode_logits(model.encode(x)), x).backward()
    for name, param in model.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name


def test_weights_are_channels_last_and_state_dict_round_trips():
    model = ConvAutoencoder(latent_dim=4, channels=(4, 8))
    assert model.encoder[0].weight.is_contiguous(memory_format=torch.channels_last)
    other = ConvAutoencoder(latent_dim=4, channels=(4, 8))
    other.load_state_dict({k: v.contiguous() for k, v in model.state_dict().items()})
    x = torch.rand(3, 1, 28, 28)
    torch.testing.assert_close(other(x), model(x), rtol=0, atol=0)


def test_flat_adapter_reshapes_rows_to_images_and_back():
    conv = ConvAutoencoder(latent_dim=4, channels=(4, 8))
    flat = FlatImageAdapter(conv, (1, 28, 28))
    rows = torch.rand(3, 784)
    assert flat.latent_dim == 4
    torch.testing.assert_close(flat.encode(rows), conv.encode(rows.reshape(3, 1, 28, 28)))
    assert flat.decode_logits(flat.encode(rows)).shape == (3, 784)
    torch.testing.assert_close(flat(rows), conv(rows.reshape(3, 1, 28, 28)).reshape(3, 784))
    assert set(flat.state_dict()) == {f"autoencoder.{k}" for k in conv.state_dict()}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"channels": ()}, "channels"),
        ({"channels": (8, 0)}, "channels"),
        ({"latent_dim": 0}, "latent_dim"),
        ({"image_shape": (0, 28)}, "image_shape"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ConvAutoencoder(**kwargs)
