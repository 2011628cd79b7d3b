//! Optimizers against PyTorch: three steps on fixed gradients.

mod common;
use aedetect_nn::layers::Linear;
use aedetect_nn::optim::Adam;
use aedetect_nn::{Optimizer, Tensor};
use common::*;

fn check(name: &str, mut opt: Adam) {
    let g = golden(name);
    let h = &g["hyper"];
    assert_eq!(opt.lr, scalar(&h["lr"]) as f32);
    assert_eq!(opt.eps, scalar(&h["eps"]) as f32);
    // The parameter as a Linear layer's weight (its zero-gradient bias
    // stays at zero under every variant).
    let p0 = tensor(&g["p0"]);
    let len = p0.len();
    let mut layer = Linear::from_params(
        Tensor::from_vec(&[1, len], p0.into_vec()),
        Tensor::zeros(&[1]),
    );
    let grads = g["grads"].as_array().unwrap();
    let after = g["params_after_each_step"].as_array().unwrap();
    assert_eq!(grads.len(), 3);
    for (step, (grad, want)) in grads.iter().zip(after).enumerate() {
        layer.weight.grad = Tensor::from_vec(&[1, len], tensor(grad).into_vec());
        opt.step(&mut layer);
        assert_close(
            &format!("{name} step {}", step + 1),
            &layer.weight.value.to_vec(),
            &tensor(want),
            1e-5,
        );
    }
}

#[test]
fn adam() {
    check("adam", Adam::new(0.01));
}

#[test]
fn adam_l2() {
    let wd = scalar(&golden("adam_l2")["hyper"]["weight_decay"]) as f32;
    check("adam_l2", Adam::with_l2(0.01, wd));
}

#[test]
fn adamw() {
    let wd = scalar(&golden("adamw")["hyper"]["weight_decay"]) as f32;
    check("adamw", Adam::adamw(0.01, wd));
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
