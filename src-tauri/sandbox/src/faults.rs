//! Fault injection: rules that make matching requests fail the way real providers fail.

use serde::{Deserialize, Serialize};

/// What a matching request gets instead of its normal answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// An HTTP error in the provider's shape, e.g. 429 with `Retry-After`, 500, 503, 401, 403.
    Status {
        status: u16,
        #[serde(default)]
        retry_after_secs: Option<u64>,
        /// Google's `errors[0].reason`, e.g. "rateLimitExceeded", "userRateLimitExceeded", "backendError".
        #[serde(default)]
        reason: Option<String>,
    },
    /// The normal answer, after a delay.
    Delay { ms: u64 },
    /// The connection is closed without an answer.
    Drop,
    /// A 200 whose body is not valid JSON.
    MalformedJson,
    /// A 200 whose JSON body is `bytes` long (a misbehaving endpoint or a hostile network): the
    /// client must refuse it rather than read it all.
    Oversized { bytes: usize },
}

/// Applies `fault` to requests whose path contains `path` (and whose method matches, if given):
/// the next `times` of them (a scripted sequence is several rules in order), or each with
/// `probability` (a fraction, 0.0 to 1.0, drawn from a seeded generator).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    pub path: String,
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub times: Option<u32>,
    #[serde(default)]
    pub probability: Option<f64>,
    /// Let this many matching requests through first (a failure midway through a run).
    #[serde(default)]
    pub after: Option<u32>,
    pub fault: Fault,
    /// When not empty, each firing picks one of `fault` and these, equally likely (from the same
    /// seeded generator): several failure modes on one endpoint.
    #[serde(default)]
    pub or: Vec<Fault>,
}

/// The installed rules and the generator for probabilistic ones.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Vec<FaultRule>,
    rng: u64,
}

impl Faults {
    pub fn set(&mut self, rules: Vec<FaultRule>, seed: u64) {
        self.rules = rules;
        self.rng = seed.max(1);
    }

    pub fn clear(&mut self) {
        self.rules.clear();
    }

    fn next_fraction(&mut self) -> f64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        (self.rng >> 11) as f64 / (1u64 << 53) as f64
    }

    fn pick(&mut self, mut choices: Vec<Fault>) -> Fault {
        let at = if choices.len() > 1 {
            ((self.next_fraction() * choices.len() as f64) as usize).min(choices.len() - 1)
        } else {
            0
        };
        choices.swap_remove(at)
    }

    /// The fault for this request, if any; counted rules are used up in order.
    pub fn take(&mut self, method: &str, path: &str) -> Option<Fault> {
        let index = self.rules.iter().position(|r| {
            path.contains(&r.path)
                && r.method
                    .as_deref()
                    .is_none_or(|m| m.eq_ignore_ascii_case(method))
                && r.times != Some(0)
        })?;
        let rule = &mut self.rules[index];
        if let Some(n) = rule.after.as_mut().filter(|n| **n > 0) {
            *n -= 1;
            return None;
        }
        let choices: Vec<Fault> = std::iter::once(rule.fault.clone())
            .chain(rule.or.iter().cloned())
            .collect();
        if let Some(p) = rule.probability {
            let p = p.clamp(0.0, 1.0);
            if self.next_fraction() >= p {
                return None;
            }
            return Some(self.pick(choices));
        }
        let fault = self.pick(choices);
        let rule = &mut self.rules[index];
        match &mut rule.times {
            Some(n) => {
                *n -= 1;
                if *n == 0 {
                    self.rules.remove(index);
                }
            }
            None => {}
        }
        Some(fault)
    }
}
