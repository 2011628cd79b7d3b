//! Optimizers against PyTorch: three steps on fixed gradients.

mod common;
use aedetect::nn::optim::Adam;
use common::*;

fn check(name: &str, mut opt: Adam) {
    let g = golden(name);
    let h = &g["hyper"];
    assert_eq!(opt.lr, scalar(&h["lr"]) as f32);
    assert_eq!(opt.eps, scalar(&h["eps"]) as f32);
    let mut p = tensor(&g["p0"]);
    let grads = g["grads"].as_array().unwrap();
    let after = g["params_after_each_step"].as_array().unwrap();
    assert_eq!(grads.len(), 3);
    for (step, (grad, want)) in grads.iter().zip(after).enumerate() {
        opt.tick();
        opt.update(0, p.data_mut(), tensor(grad).data());
        assert_close(
            &format!("{name} step {}", step + 1),
            p.data(),
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
