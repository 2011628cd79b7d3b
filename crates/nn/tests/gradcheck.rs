//! Finite-difference gradient checks for every layer and loss, inputs and
//! parameters included, and for small networks built from them. (Whole
//! detector networks are checked in `crates/detect/tests`.)

use aedetect_nn::gradcheck::{check_layer, check_loss, GradReport, Tolerance};
use aedetect_nn::layers::*;
use aedetect_nn::loss::{Bce, BceWithLogits, Mse, PoissonNll};
use aedetect_nn::{Layer, Mode};
use aedetect_tensor::{init, rng, Tensor};

fn random(shape: &[usize], lo: f32, hi: f32, seed: u64) -> Tensor {
    let mut t = Tensor::zeros(shape);
    init::uniform(&mut t, lo, hi, &mut rng::seeded(seed));
    t
}

/// Inputs kept at least 0.05 away from 0, so a ±ε nudge (ε = 0.01) never
/// crosses a ReLU kink.
fn away_from_zero(shape: &[usize], seed: u64) -> Tensor {
    let mut t = random(shape, -1.0, 1.0, seed);
    for v in t.data_mut() {
        *v = v.signum() * (0.05 + v.abs());
    }
    t
}

fn assert_passes(what: &str, r: GradReport) {
    assert!(r.checked > 0, "{what}: nothing checked");
    assert!(
        r.passed(),
        "{what}: gradient mismatch, worst {} (ratio {:.3})",
        r.worst,
        r.worst_ratio
    );
}

#[test]
fn linear() {
    let mut l = Linear::new(5, 3, &mut rng::seeded(1));
    assert_passes(
        "Linear",
        check_layer(
            &mut l,
            &random(&[4, 5], -1.0, 1.0, 2),
            3,
            Tolerance::default(),
        ),
    );
}

#[test]
fn activations() {
    let x = away_from_zero(&[3, 11], 4);
    assert_passes(
        "ReLU",
        check_layer(&mut Relu::new(), &x, 5, Tolerance::default()),
    );
    assert_passes(
        "LeakyReLU",
        check_layer(&mut LeakyRelu::new(0.1), &x, 5, Tolerance::default()),
    );
    assert_passes(
        "Sigmoid",
        check_layer(&mut Sigmoid::new(), &x, 5, Tolerance::default()),
    );
    assert_passes(
        "Tanh",
        check_layer(&mut Tanh::new(), &x, 5, Tolerance::default()),
    );
}

/// Backpropagation through time: every weight, bias and input value of an
/// LSTM over 6 steps, including steps with and without carried state.
#[test]
fn lstm() {
    for (i, &(n, steps, d, h)) in [(3, 6, 4, 5), (1, 1, 2, 3), (2, 9, 1, 2)]
        .iter()
        .enumerate()
    {
        let mut l = Lstm::new(d, h, &mut rng::seeded(20 + i as u64));
        let x = random(&[n, steps, d], -1.5, 1.5, 30 + i as u64);
        assert_passes(
            &format!("LSTM N{n} T{steps} D{d} H{h}"),
            check_layer(&mut l, &x, 9, Tolerance::default()),
        );
    }
}

#[test]
fn conv2d_variants() {
    for (i, &(k, s, p)) in [(3, 1, 0), (3, 2, 1), (2, 1, 1)].iter().enumerate() {
        let mut c = Conv2d::new(2, 3, k, s, p, &mut rng::seeded(i as u64));
        let x = random(&[2, 2, 6, 5], -1.0, 1.0, 10 + i as u64);
        assert_passes(
            &format!("Conv2d k{k} s{s} p{p}"),
            check_layer(&mut c, &x, 7, Tolerance::default()),
        );
    }
}

#[test]
fn conv_transpose2d_variants() {
    for (i, &(k, s, p, op)) in [(3, 2, 1, 1), (3, 1, 0, 0), (4, 2, 1, 0)]
        .iter()
        .enumerate()
    {
        let mut c = ConvTranspose2d::new(3, 2, k, s, p, op, &mut rng::seeded(i as u64));
        let x = random(&[2, 3, 4, 3], -1.0, 1.0, 20 + i as u64);
        assert_passes(
            &format!("ConvTranspose2d k{k} s{s} p{p} op{op}"),
            check_layer(&mut c, &x, 8, Tolerance::default()),
        );
    }
    // Output padding on one side only: 4×3 → 8×5, the sides of differing parity a decoder restores.
    let mut c =
        ConvTranspose2d::new(3, 2, 3, 2, 1, 0, &mut rng::seeded(7)).with_output_padding(1, 0);
    let x = random(&[2, 3, 4, 3], -1.0, 1.0, 27);
    assert_eq!(c.forward(&x, Mode::Train).shape(), &[2, 2, 8, 5]);
    assert_passes(
        "ConvTranspose2d output padding 1×0",
        check_layer(&mut c, &x, 8, Tolerance::default()),
    );
}

#[test]
fn conv1d() {
    let mut c = Conv1d::new(2, 3, 5, 2, 2, &mut rng::seeded(3));
    assert_passes(
        "Conv1d",
        check_layer(
            &mut c,
            &random(&[2, 2, 13], -1.0, 1.0, 4),
            9,
            Tolerance::default(),
        ),
    );
}

#[test]
fn reshape_and_flatten() {
    let x = random(&[2, 12], -1.0, 1.0, 5);
    assert_passes(
        "Reshape",
        check_layer(&mut Reshape::new(&[3, 2, 2]), &x, 1, Tolerance::default()),
    );
    let x = random(&[2, 3, 2, 2], -1.0, 1.0, 6);
    assert_passes(
        "Flatten",
        check_layer(&mut Reshape::flatten(), &x, 1, Tolerance::default()),
    );
}

#[test]
fn sequence_layers() {
    let x = random(&[3, 4, 2], -1.0, 1.0, 21);
    assert_passes(
        "LastStep",
        check_layer(&mut LastStep::new(), &x, 1, Tolerance::default()),
    );
    let x = random(&[3, 2], -1.0, 1.0, 22);
    assert_passes(
        "RepeatSteps",
        check_layer(&mut RepeatSteps::new(4), &x, 1, Tolerance::default()),
    );
    let mut r = rng::seeded(23);
    let x = random(&[2, 3, 4], -1.0, 1.0, 24);
    let mut td = TimeDistributed::new(Box::new(Linear::new(4, 5, &mut r)));
    assert_passes(
        "TimeDistributed(Linear)",
        check_layer(&mut td, &x, 25, Tolerance::default()),
    );
    // The same weights on every step: step t of the output is the inner
    // layer applied to step t of the input alone (to rounding: one row and
    // six rows may take different matrix kernels).
    let y = td.forward(&x, Mode::Eval).clone();
    let mut lin = Linear::new(4, 5, &mut rng::seeded(23));
    let step = Tensor::from_vec(&[1, 4], x.data()[4..8].to_vec());
    for (a, b) in lin
        .forward(&step, Mode::Eval)
        .data()
        .iter()
        .zip(&y.data()[5..10])
    {
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }
}

#[test]
fn dropout_in_eval_mode_is_identity_and_train_mask_is_its_gradient() {
    let x = random(&[4, 50], -1.0, 1.0, 7);
    let mut d = Dropout::new(0.3, 11);
    assert_eq!(d.forward(&x, Mode::Eval), &x);
    assert_eq!(d.forward(&x, Mode::Infer), &x);
    let y = d.forward(&x, Mode::Train).clone();
    let dropped = y.data().iter().filter(|v| **v == 0.0).count();
    assert!(
        (30..90).contains(&dropped),
        "dropped {dropped} of 200 at p = 0.3"
    );
    // Kept values are scaled by 1/(1 − p), and the gradient uses the same mask.
    let ones = Tensor::from_vec(&[4, 50], vec![1.0; 200]);
    let dx = d.backward(&ones).clone();
    for ((xv, yv), g) in x.data().iter().zip(y.data()).zip(dx.data()) {
        if *yv == 0.0 {
            assert_eq!(*g, 0.0);
        } else {
            assert!((yv / xv - 1.0 / 0.7).abs() < 1e-5);
            assert!((g - 1.0 / 0.7).abs() < 1e-6);
        }
    }
}

#[test]
fn dropout_is_seeded() {
    let x = random(&[3, 40], -1.0, 1.0, 8);
    let a = Dropout::new(0.5, 3).forward(&x, Mode::Train).clone();
    let b = Dropout::new(0.5, 3).forward(&x, Mode::Train).clone();
    let c = Dropout::new(0.5, 4).forward(&x, Mode::Train).clone();
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn dense_network() {
    let mut r = rng::seeded(9);
    let mut net = Sequential::new()
        .with(Linear::new(6, 5, &mut r))
        .with(Tanh::new())
        .with(Linear::new(5, 3, &mut r))
        .with(Sigmoid::new())
        .with(Linear::new(3, 6, &mut r));
    assert_passes(
        "MLP",
        check_layer(
            &mut net,
            &random(&[3, 6], -1.0, 1.0, 10),
            11,
            Tolerance::default(),
        ),
    );
}

#[test]
fn conv_network() {
    let mut r = rng::seeded(12);
    let mut net = Sequential::new()
        .with(Conv2d::new(1, 2, 3, 2, 1, &mut r))
        .with(Tanh::new())
        .with(ConvTranspose2d::new(2, 1, 3, 2, 1, 1, &mut r));
    let x = random(&[2, 1, 6, 6], -1.0, 1.0, 13);
    assert_passes(
        "conv AE",
        check_layer(&mut net, &x, 14, Tolerance::default()),
    );
}

#[test]
fn losses() {
    let pred = random(&[4, 6], -2.0, 2.0, 15);
    let target = random(&[4, 6], -1.0, 1.0, 16);
    let tol = Tolerance {
        eps: 1e-3,
        ..Tolerance::default()
    };
    assert_passes("MSE", check_loss(&mut Mse::new(), &pred, &target, tol));
    let labels = random(&[4, 6], 0.0, 1.0, 17);
    assert_passes(
        "BCE with logits",
        check_loss(&mut BceWithLogits::new(), &pred, &labels, tol),
    );
    let probs = random(&[4, 6], 0.1, 0.9, 18);
    assert_passes("BCE", check_loss(&mut Bce::new(), &probs, &labels, tol));
    let counts = Tensor::from_vec(&[4, 6], (0..24).map(|i| (i % 5) as f32).collect());
    assert_passes(
        "Poisson NLL",
        check_loss(&mut PoissonNll::new(), &pred, &counts, tol),
    );
}

/// The checker itself must catch a wrong gradient: a loss whose backward is
/// off by a factor of two has to fail.
#[test]
fn checker_detects_a_wrong_gradient() {
    struct HalfMse(Mse, Tensor);
    impl aedetect_nn::Loss for HalfMse {
        fn forward(&mut self, p: &Tensor, t: &Tensor) -> f32 {
            let l = self.0.forward(p, t);
            self.1.assign(self.0.backward());
            aedetect_tensor::ops::scale(&mut self.1, 0.5);
            l
        }
        fn backward(&self) -> &Tensor {
            &self.1
        }
        fn per_sample(&self) -> &Tensor {
            self.0.per_sample()
        }
        fn element(&self, p: f32, t: f32) -> f32 {
            self.0.element(p, t)
        }
        fn name(&self) -> &'static str {
            "half"
        }
    }
    let pred = random(&[3, 4], -2.0, 2.0, 19);
    let target = random(&[3, 4], -1.0, 1.0, 20);
    let r = check_loss(
        &mut HalfMse(Mse::new(), Tensor::default()),
        &pred,
        &target,
        Tolerance::default(),
    );
    assert!(!r.passed(), "a halved gradient passed the check: {r:?}");
}

/// The VAE latent: L(μ, log σ²) = ⟨z, r⟩ + β·KL with z = μ + exp(½ log σ²)·ε
/// for a fixed ε, checked against central differences in both inputs.
#[test]
fn vae_reparameterisation_and_kl() {
    use aedetect_nn::reparam::Reparam;
    let (mu, logvar, eps) = (
        random(&[4, 3], -1.0, 1.0, 30),
        random(&[4, 3], -1.0, 1.0, 31),
        random(&[4, 3], -1.0, 1.0, 32),
    );
    let r = random(&[4, 3], -1.0, 1.0, 33);
    let beta = 1.7f32;
    let loss = |mu: &Tensor, lv: &Tensor| -> f64 {
        let mut rp = Reparam::new();
        let z = rp.forward_with(mu, lv, &eps).clone();
        let dot: f64 = z
            .data()
            .iter()
            .zip(r.data())
            .map(|(a, b)| *a as f64 * *b as f64)
            .sum();
        dot + beta as f64 * rp.kl() as f64
    };
    let mut rp = Reparam::new();
    rp.forward_with(&mu, &logvar, &eps);
    let (dmu, dlv) = rp.backward(&r, beta);
    let (dmu, dlv) = (dmu.clone(), dlv.clone());
    let eps_fd = 1e-2f32;
    for (which, analytic) in [(0, &dmu), (1, &dlv)] {
        for i in 0..12 {
            let (mut up_mu, mut up_lv, mut dn_mu, mut dn_lv) =
                (mu.clone(), logvar.clone(), mu.clone(), logvar.clone());
            if which == 0 {
                up_mu.data_mut()[i] += eps_fd;
                dn_mu.data_mut()[i] -= eps_fd;
            } else {
                up_lv.data_mut()[i] += eps_fd;
                dn_lv.data_mut()[i] -= eps_fd;
            }
            let numeric = (loss(&up_mu, &up_lv) - loss(&dn_mu, &dn_lv)) / (2.0 * eps_fd as f64);
            let a = analytic.data()[i] as f64;
            assert!(
                (a - numeric).abs() <= 1e-3 + 1e-2 * numeric.abs(),
                "{} [{i}]: analytic {a} numeric {numeric}",
                ["dμ", "dlog σ²"][which]
            );
        }
    }
}

/// Infer mode gives eval mode's outputs bit for bit, and a backward pass
/// after it fails loudly instead of using a stale input.
#[test]
fn infer_mode_matches_eval_and_forbids_backward() {
    let x = random(&[5, 7], -1.0, 1.0, 3);
    let mut net = Sequential::new()
        .with(Linear::new(7, 4, &mut rng::seeded(1)))
        .with(Relu::new())
        .with(Linear::new(4, 7, &mut rng::seeded(2)));
    let eval = net.forward(&x, Mode::Eval).clone();
    assert_eq!(net.forward(&x, Mode::Infer), &eval);
    let dy = Tensor::from_vec(&[5, 7], vec![1.0; 35]);
    let backward = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        net.backward(&dy);
    }));
    assert!(backward.is_err(), "backward after an Infer pass must fail");
}

/// The parameter gradients after `backward_params` (training's pass, which
/// skips dL/dx at the input) and after `backward` (checked above).
fn param_grads_both_ways(net: &mut dyn Layer, x: &Tensor, dy: &Tensor) -> [Vec<Vec<f32>>; 2] {
    std::array::from_fn(|pass| {
        net.zero_grad();
        net.forward(x, Mode::Train);
        if pass == 0 {
            net.backward(dy);
        } else {
            net.backward_params(dy);
        }
        let mut grads = vec![];
        net.visit_params(&mut |p| grads.push(p.grad.data().to_vec()));
        grads
    })
}

#[test]
fn backward_params_leaves_the_same_parameter_gradients() {
    let mut r = rng::seeded(40);
    let x = random(&[5, 6], -1.0, 1.0, 41);
    let dy = random(&[5, 4], -1.0, 1.0, 42);
    let mut linear = Linear::new(6, 4, &mut r);
    let [full, params_only] = param_grads_both_ways(&mut linear, &x, &dy);
    assert_eq!(full, params_only, "Linear");
    assert!(full.iter().flatten().any(|g| *g != 0.0));

    let mut net = Sequential::new()
        .with(Linear::new(6, 5, &mut r))
        .with(Relu::new())
        .with(Linear::new(5, 4, &mut r));
    let [full, params_only] = param_grads_both_ways(&mut net, &x, &dy);
    assert_eq!(full, params_only, "Sequential");
    assert_eq!(full.len(), 4);
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
