//! A share: how many of how many, and the rate — the unit of every figure of the eval.

use serde::{Deserialize, Serialize};

/// `count` out of `total`, with the rate when `total` is not zero.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Ratio {
    pub count: usize,
    pub total: usize,
    pub rate: Option<f64>,
}

impl Ratio {
    pub fn new(count: usize, total: usize) -> Self {
        Ratio {
            count,
            total,
            rate: (total > 0).then(|| count as f64 / total as f64),
        }
    }

    pub(crate) fn add(&mut self, hit: bool) {
        *self = Ratio::new(self.count + usize::from(hit), self.total + 1);
    }
}
