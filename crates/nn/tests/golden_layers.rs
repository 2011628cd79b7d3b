//! Layers against PyTorch autograd: forward outputs, input and parameter
//! gradients for the same weights, inputs and upstream gradients.

mod common;
use aedetect_nn::layers::{Conv1d, Conv2d, ConvTranspose2d, Linear, Lstm, Relu, Sigmoid, Tanh};
use aedetect_nn::{Layer, Mode};
use common::*;

const RTOL: f32 = 1e-4;

/// Runs forward and backward and compares y, dx and (if present) dweight/dbias.
fn check(name: &str, layer: &mut dyn Layer) {
    let g = golden(name);
    let x = tensor(&g["x"]);
    let y = layer.forward(&x, Mode::Train).clone();
    assert_eq!(y.shape(), tensor(&g["y"]).shape(), "{name}: output shape");
    assert_close(&format!("{name} y"), y.data(), &tensor(&g["y"]), RTOL);
    let dx = layer.backward(&tensor(&g["dy"])).clone();
    assert_close(&format!("{name} dx"), dx.data(), &tensor(&g["dx"]), RTOL);
    let mut grads = Vec::new();
    layer.visit_params(&mut |p| grads.push((p.name, p.grad.clone())));
    for (pname, grad) in grads {
        let key = format!("d{pname}");
        assert_close(
            &format!("{name} {key}"),
            grad.data(),
            &tensor(&g[&key]),
            RTOL,
        );
    }
}

#[test]
fn linear() {
    let g = golden("linear");
    check(
        "linear",
        &mut Linear::from_params(tensor(&g["weight"]), tensor(&g["bias"])),
    );
}

#[test]
fn relu() {
    check("relu", &mut Relu::new());
}

#[test]
fn sigmoid() {
    check("sigmoid", &mut Sigmoid::new());
}

#[test]
fn tanh() {
    check("tanh", &mut Tanh::new());
}

#[test]
fn conv2d() {
    for i in 0..3 {
        let name = format!("conv2d_{i}");
        let g = golden(&name);
        let (s, p) = (usize_of(&g["stride"]), usize_of(&g["padding"]));
        check(
            &name,
            &mut Conv2d::from_params(tensor(&g["weight"]), tensor(&g["bias"]), (s, s), (p, p)),
        );
    }
}

#[test]
fn conv_transpose2d() {
    for i in 0..3 {
        let name = format!("conv_transpose2d_{i}");
        let g = golden(&name);
        let (s, p, op) = (
            usize_of(&g["stride"]),
            usize_of(&g["padding"]),
            usize_of(&g["output_padding"]),
        );
        check(
            &name,
            &mut ConvTranspose2d::from_params(tensor(&g["weight"]), tensor(&g["bias"]), s, p, op),
        );
    }
}

#[test]
fn conv1d() {
    for i in 0..2 {
        let name = format!("conv1d_{i}");
        let g = golden(&name);
        let (s, p) = (usize_of(&g["stride"]), usize_of(&g["padding"]));
        check(
            &name,
            &mut Conv1d::from_params(tensor(&g["weight"]), tensor(&g["bias"]), s, p),
        );
    }
}

/// The LSTM of `../shared/golden/lstm.json`, with PyTorch's weights.
fn golden_lstm(g: &serde_json::Value) -> Lstm {
    Lstm::from_params(
        tensor(&g["weight_ih"]),
        tensor(&g["weight_hh"]),
        tensor(&g["bias_ih"]),
        tensor(&g["bias_hh"]),
    )
}

/// PyTorch's nn.LSTM (batch first, gates i, f, g, o, h₀ = c₀ = 0): every
/// step's output, the last cell state, dx and all four parameter gradients.
#[test]
fn lstm() {
    let g = golden("lstm");
    let mut l = golden_lstm(&g);
    check("lstm", &mut l);
    let c_n = tensor(&g["c_n"]);
    assert_close("lstm c_n", l.last_cell().data(), &c_n, RTOL);
    // h_n is the last step of y.
    let y = l.forward(&tensor(&g["x"]), Mode::Train).clone();
    let (n, steps, h) = (y.shape()[0], y.shape()[1], y.shape()[2]);
    let last: Vec<f32> = (0..n)
        .flat_map(|r| y.row(r)[(steps - 1) * h..].to_vec())
        .collect();
    assert_close("lstm h_n", &last, &tensor(&g["h_n"]), RTOL);
    // Scoring keeps two states and one step's gates instead of the
    // histories, but runs the same arithmetic: the same bits.
    let c_train = l.last_cell();
    let y_infer = l.forward(&tensor(&g["x"]), Mode::Infer).clone();
    assert!(
        y_infer.data() == y.data(),
        "lstm: Mode::Infer gives other bits"
    );
    assert!(
        l.last_cell().data() == c_train.data(),
        "lstm: Infer's c_n differs"
    );
}

/// The transposed weights a forward keeps are made again when the weights
/// change: after an edit, the layer scores as a fresh one built with the
/// edited weights.
#[test]
fn lstm_weights_edited_between_forwards_are_read_again() {
    let g = golden("lstm");
    let x = tensor(&g["x"]);
    let mut l = golden_lstm(&g);
    let before = l.forward(&x, Mode::Infer).clone();
    for edit in [|w: &mut [f32]| w[3] += 0.25, |w: &mut [f32]| w[0] = -w[0]] {
        edit(l.weight_hh.value.data_mut());
        edit(l.weight_ih.value.data_mut());
        let edited = l.forward(&x, Mode::Infer).clone();
        let mut fresh = Lstm::from_params(
            l.weight_ih.value.clone(),
            l.weight_hh.value.clone(),
            l.bias_ih.value.clone(),
            l.bias_hh.value.clone(),
        );
        assert_eq!(
            edited.data(),
            fresh.forward(&x, Mode::Infer).data(),
            "the edited weights were not read"
        );
    }
    assert_ne!(l.forward(&x, Mode::Infer).data(), before.data());
}

/// A forward pass in `Mode::Infer` keeps no history to backpropagate through.
#[test]
#[should_panic(expected = "Mode::Infer")]
fn lstm_backward_after_a_forward_in_infer_mode_is_refused() {
    let g = golden("lstm");
    let mut l = golden_lstm(&g);
    let y = l.forward(&tensor(&g["x"]), Mode::Infer).clone();
    l.backward(&y);
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
