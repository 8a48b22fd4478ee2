//! The local lead score: 0–100 per client from what Cremmy already knows, with the subscores,
//! the signals behind them (each with its points) and suggested next actions.

use serde::{Deserialize, Serialize};

use crate::crm::{Id, Millis};

/// One reason behind a score: "replied within 2 hours" (+15).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signal {
    pub subscore: Subscore,
    pub text: String,
    pub points: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subscore {
    Engagement,
    Fit,
    Momentum,
    Financial,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadScore {
    pub client_id: Id,
    /// 0–100: the subscores weighted by the settings.
    pub total: u8,
    pub engagement: u8,
    pub fit: u8,
    pub momentum: u8,
    pub financial: u8,
    pub signals: Vec<Signal>,
    /// Most useful first: "Follow up: no reply for 9 days".
    pub next_actions: Vec<String>,
    pub computed_at: Millis,
}

/// Settings → Lead score: the weights and the user's ideal client profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreSettings {
    /// Relative weights of the subscores in the total (any non-negative numbers, not all 0).
    pub engagement_weight: u32,
    pub fit_weight: u32,
    pub momentum_weight: u32,
    pub financial_weight: u32,
    /// Tags of an ideal client ("retainer", "saas").
    pub ideal_tags: Vec<String>,
    /// An open deal at least this big (home currency, major units) fits.
    pub ideal_deal_value: i64,
    /// Sent mail unanswered this many days is a "no reply" signal and a follow-up.
    pub no_reply_days: u32,
    /// A score rising to this from below is a crossing (an event; the automatic actions).
    #[serde(default = "default_threshold")]
    pub threshold: u8,
    /// On a crossing, a task from the top next action, due today.
    #[serde(default)]
    pub auto_task: bool,
    /// On a crossing, a deal in the first stage for a client without an open deal.
    #[serde(default)]
    pub auto_deal: bool,
}

fn default_threshold() -> u8 {
    70
}

impl Default for ScoreSettings {
    fn default() -> Self {
        ScoreSettings {
            engagement_weight: 40,
            fit_weight: 25,
            momentum_weight: 20,
            financial_weight: 15,
            ideal_tags: Vec::new(),
            ideal_deal_value: 10_000,
            no_reply_days: 7,
            threshold: 70,
            auto_task: true,
            auto_deal: true,
        }
    }
}
