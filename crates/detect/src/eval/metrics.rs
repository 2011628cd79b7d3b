//! Detection metrics on held-out data. Labels: `true` = anomaly.

/// ROC-AUC as the Mann–Whitney statistic: the probability that a random
/// anomaly scores above a random normal, ties counting one half (average ranks).
/// `None` if either class is absent.
pub fn roc_auc(scores: &[f32], labels: &[bool]) -> Option<f64> {
    assert_eq!(
        scores.len(),
        labels.len(),
        "roc_auc: scores and labels differ in length"
    );
    let pos = labels.iter().filter(|l| **l).count();
    let neg = labels.len() - pos;
    if pos == 0 || neg == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|a, b| scores[*a].total_cmp(&scores[*b]));
    let mut rank_sum = 0.0f64;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        // Ranks i+1 ..= j+1 share their average.
        let avg = (i + j + 2) as f64 / 2.0;
        rank_sum += avg * order[i..=j].iter().filter(|&&k| labels[k]).count() as f64;
        i = j + 1;
    }
    let u = rank_sum - (pos * (pos + 1)) as f64 / 2.0;
    Some(u / (pos as f64 * neg as f64))
}

/// Average precision (area under the precision–recall curve, scikit-learn's
/// definition): Σ_k (R_k − R_{k−1})·P_k over thresholds at each distinct score,
/// tied scores entering together. `None` if there is no anomaly.
pub fn average_precision(scores: &[f32], labels: &[bool]) -> Option<f64> {
    assert_eq!(
        scores.len(),
        labels.len(),
        "average_precision: lengths differ"
    );
    let pos = labels.iter().filter(|l| **l).count();
    if pos == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|a, b| scores[*b].total_cmp(&scores[*a]));
    let (mut tp, mut seen, mut ap, mut prev_recall) = (0usize, 0usize, 0.0f64, 0.0f64);
    for (rank, &i) in order.iter().enumerate() {
        seen += 1;
        tp += labels[i] as usize;
        if order.get(rank + 1).is_some_and(|&j| scores[j] == scores[i]) {
            continue;
        }
        let recall = tp as f64 / pos as f64;
        ap += (recall - prev_recall) * (tp as f64 / seen as f64);
        prev_recall = recall;
    }
    Some(ap)
}

/// Confusion counts and the rates derived from them at one threshold
/// (flag = score > threshold).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Confusion {
    pub tp: usize,
    pub fp: usize,
    pub tn: usize,
    pub fn_: usize,
}

impl Confusion {
    pub fn at(scores: &[f32], labels: &[bool], threshold: f32) -> Self {
        assert_eq!(scores.len(), labels.len(), "confusion: lengths differ");
        let mut c = Confusion::default();
        for (s, l) in scores.iter().zip(labels) {
            match (*s > threshold, *l) {
                (true, true) => c.tp += 1,
                (true, false) => c.fp += 1,
                (false, false) => c.tn += 1,
                (false, true) => c.fn_ += 1,
            }
        }
        c
    }

    /// TP / (TP + FP); 0 when nothing is flagged.
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }

    /// TP / (TP + FN); 0 when there are no anomalies.
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }

    pub fn f1(&self) -> f64 {
        ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn_)
    }

    pub fn false_positive_rate(&self) -> f64 {
        ratio(self.fp, self.fp + self.tn)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_with_ties_by_hand() {
        // Pairs (anomaly, normal): 0.8>0.1, 0.8>0.5, 0.5=0.5 (½), 0.5>0.1 → 3.5/4
        let scores = [0.1, 0.5, 0.5, 0.8];
        let labels = [false, false, true, true];
        assert_eq!(roc_auc(&scores, &labels), Some(0.875));
        assert_eq!(roc_auc(&[1.0, 1.0], &[true, false]), Some(0.5));
        assert_eq!(roc_auc(&[1.0], &[true]), None);
        assert_eq!(roc_auc(&[0.0, 1.0], &[false, true]), Some(1.0));
    }

    #[test]
    fn average_precision_by_hand() {
        // Descending: 0.9(+) 0.8(−) 0.7(+) 0.1(−): AP = ½·1 + ½·⅔ = 5/6
        let ap = average_precision(&[0.1, 0.9, 0.8, 0.7], &[false, true, false, true]).unwrap();
        assert!((ap - 5.0 / 6.0).abs() < 1e-12);
        // A tie between a positive and a negative at the top enters together:
        // P = ½ at R = 1 → AP = ½ (scikit-learn gives 0.5 too).
        let ap = average_precision(&[0.5, 0.5], &[true, false]).unwrap();
        assert!((ap - 0.5).abs() < 1e-12);
    }

    #[test]
    fn confusion_counts() {
        let c = Confusion::at(&[0.1, 0.6, 0.7, 0.2], &[false, true, false, true], 0.5);
        assert_eq!(
            c,
            Confusion {
                tp: 1,
                fp: 1,
                tn: 1,
                fn_: 1
            }
        );
        assert_eq!(c.precision(), 0.5);
        assert_eq!(c.recall(), 0.5);
        assert_eq!(c.f1(), 0.5);
    }
}
