//! Losses against PyTorch: mean loss, gradient, and per-sample means.

mod common;
use aedetect_nn::loss::{Bce, BceWithLogits, Mse};
use aedetect_nn::Loss;
use common::*;

fn check(name: &str, loss: &mut dyn Loss, pred_key: &str, grad_key: &str) {
    let g = golden(name);
    let pred = tensor(&g[pred_key]);
    let value = loss.forward(&pred, &tensor(&g["target"]));
    assert!(value.is_finite(), "{name}: loss {value}");
    assert_close_scalar(
        &format!("{name} loss"),
        value as f64,
        scalar(&g["loss"]),
        1e-5,
    );
    let grad = loss.backward();
    assert!(
        grad.data().iter().all(|v| v.is_finite()),
        "{name}: non-finite gradient"
    );
    assert_close(
        &format!("{name} grad"),
        grad.data(),
        &tensor(&g[grad_key]),
        1e-4,
    );
    if g.get("per_sample").is_some() {
        assert_close(
            &format!("{name} per_sample"),
            loss.per_sample().data(),
            &tensor(&g["per_sample"]),
            1e-5,
        );
    }
}

#[test]
fn mse() {
    check("mse", &mut Mse::new(), "pred", "dpred");
}

#[test]
fn bce() {
    check("bce", &mut Bce::new(), "probs", "dprobs");
}

#[test]
fn bce_with_logits_is_stable_at_60() {
    let g = golden("bce_with_logits");
    let max_logit = tensor(&g["logits"])
        .data()
        .iter()
        .fold(0.0f32, |m, v| m.max(v.abs()));
    assert!(
        max_logit >= 60.0,
        "the golden case should exercise large logits"
    );
    check(
        "bce_with_logits",
        &mut BceWithLogits::new(),
        "logits",
        "dlogits",
    );
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
