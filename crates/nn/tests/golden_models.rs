//! Whole models against PyTorch: the seed autoencoder's full training step,
//! the conv autoencoder's gradients, and the VAE's reparameterisation + KL.

mod common;
use aedetect_nn::layers::{Conv2d, ConvTranspose2d, Linear, Relu};
use aedetect_nn::loss::{BceWithLogits, Mse};
use aedetect_nn::optim::Adam;
use aedetect_nn::reparam::Reparam;
use aedetect_nn::{Layer, Loss, Mode, Optimizer, Param, Parameters, Sequential};
use common::*;
use serde_json::Value;

/// Collects parameters in visiting order (weight, bias per layer).
fn params(model: &dyn Layer) -> Vec<Param> {
    let mut v = Vec::new();
    model.visit_params(&mut |p| v.push(p.clone()));
    v
}

#[test]
fn seed_autoencoder_step() {
    let g = golden("seed_autoencoder_step");
    let init = g["layers_init"].as_array().unwrap();
    let lin = |i: usize| Linear::from_params(tensor(&init[i]["weight"]), tensor(&init[i]["bias"]));
    let mut model = Sequential::new()
        .with(lin(0))
        .with(Relu::new())
        .with(lin(1))
        .with(Relu::new())
        .with(lin(2))
        .with(Relu::new())
        .with(lin(3));
    let x = tensor(&g["x"]);
    let mut loss = Mse::new();
    let out = model.forward(&x, Mode::Train).clone();
    assert_close("output", out.data(), &tensor(&g["output"]), 1e-4);
    let l = loss.forward(&out, &x);
    assert_close_scalar("loss", l as f64, scalar(&g["loss"]), 1e-5);
    model.zero_grad();
    model.backward(loss.backward());

    let got = params(&model);
    let grads = g["layer_grads"].as_array().unwrap();
    for (i, layer) in grads.iter().enumerate() {
        assert_close(
            &format!("layer {i} dweight"),
            got[2 * i].grad.data(),
            &tensor(&layer["dweight"]),
            1e-4,
        );
        assert_close(
            &format!("layer {i} dbias"),
            got[2 * i + 1].grad.data(),
            &tensor(&layer["dbias"]),
            1e-4,
        );
    }

    Adam::new(0.01).step(&mut model);
    let got = params(&model);
    for (i, layer) in g["layers_after_adam_step"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        assert_close(
            &format!("layer {i} weight after Adam"),
            got[2 * i].value.data(),
            &tensor(&layer["weight"]),
            1e-5,
        );
        assert_close(
            &format!("layer {i} bias after Adam"),
            got[2 * i + 1].value.data(),
            &tensor(&layer["bias"]),
            1e-5,
        );
    }
}

#[test]
fn conv_autoencoder_step() {
    let g = golden("conv_autoencoder_step");
    let p = &g["params"];
    let wb = |name: &str| (tensor(&p[name]["weight"]), tensor(&p[name]["bias"]));
    let (w1, b1) = wb("enc1");
    let (w2, b2) = wb("enc2");
    let (w3, b3) = wb("dec1");
    let (w4, b4) = wb("dec2");
    let mut model = Sequential::new()
        .with(Conv2d::from_params(w1, b1, (2, 2), (1, 1)))
        .with(Relu::new())
        .with(Conv2d::from_params(w2, b2, (2, 2), (1, 1)))
        .with(Relu::new())
        .with(ConvTranspose2d::from_params(w3, b3, 2, 1, 1))
        .with(Relu::new())
        .with(ConvTranspose2d::from_params(w4, b4, 2, 1, 1));
    let x = tensor(&g["x"]);
    let logits = model.forward(&x, Mode::Train).clone();
    assert_eq!(logits.shape(), &[2, 1, 8, 8]);
    assert_close("logits", logits.data(), &tensor(&g["logits"]), 1e-4);
    let mut loss = BceWithLogits::new();
    let l = loss.forward(&logits, &x);
    assert_close_scalar("loss", l as f64, scalar(&g["loss"]), 1e-5);
    model.zero_grad();
    model.backward(loss.backward());
    let got = params(&model);
    for (i, name) in ["enc1", "enc2", "dec1", "dec2"].iter().enumerate() {
        let want: &Value = &g["grads"][name];
        assert_close(
            &format!("{name} dweight"),
            got[2 * i].grad.data(),
            &tensor(&want["dweight"]),
            1e-4,
        );
        assert_close(
            &format!("{name} dbias"),
            got[2 * i + 1].grad.data(),
            &tensor(&want["dbias"]),
            1e-4,
        );
    }
}

#[test]
fn vae_reparam_kl() {
    let g = golden("vae_reparam_kl");
    let (mu, logvar, eps) = (tensor(&g["mu"]), tensor(&g["logvar"]), tensor(&g["eps"]));
    let beta = scalar(&g["beta"]) as f32;
    let mut r = Reparam::new();
    let z = r.forward_with(&mu, &logvar, &eps).clone();
    assert_close("z", z.data(), &tensor(&g["z"]), 1e-5);
    assert_close_scalar("kl", r.kl() as f64, scalar(&g["kl"]), 1e-5);
    let (dmu, dlogvar) = r.backward(&tensor(&g["dz"]), beta);
    assert_close("dmu", dmu.data(), &tensor(&g["dmu"]), 1e-4);
    assert_close("dlogvar", dlogvar.data(), &tensor(&g["dlogvar"]), 1e-4);
}

/// Every other test of this file again on the AVX2 kernels, where this
/// machine would use AVX-512: both paths stay covered.
#[test]
fn every_test_here_passes_on_the_avx2_path_too() {
    aedetect_tensor::assert_test_binary_passes_on(
        aedetect_tensor::Isa::Avx2,
        "every_test_here_passes_on_the_avx2_path_too",
    );
}
