//! The local lead score: a pure function from a client's facts (touches, deals, wins, tags) and
//! the user's settings to a 0–100 score with subscores, the signals behind them and next
//! actions. Table-tested rule by rule (`tests/it/lead_score.rs`); `score_store.rs` gathers the
//! facts and keeps the results.

use cremmy_protocol::crm::{ActivityKind, Id};
use cremmy_protocol::scores::{LeadScore, ScoreSettings, Signal, Subscore};

pub const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;

/// Something that happened with the client: mail, a text, a call, a meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Touch {
    pub kind: ActivityKind,
    /// From them (mail, texts, calls they made); meetings count as both sides.
    pub inbound: bool,
    pub at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenDeal {
    pub title: String,
    /// In the home currency's minor units; None without an exchange rate.
    pub value_home: Option<i64>,
    pub stage: String,
    /// 0 for the first open stage.
    pub stage_rank: usize,
    pub open_stages: usize,
    pub in_stage_since: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientFacts {
    pub client_id: Id,
    pub tags: Vec<String>,
    pub has_website: bool,
    /// The last 90 days, any order.
    pub touches: Vec<Touch>,
    pub open_deals: Vec<OpenDeal>,
    /// Won deals' value in the home currency's minor units, and how many.
    pub won_home: i64,
    pub won_count: i64,
    pub home_currency: String,
    /// Invoices paid in full by their due date, and paid after it.
    pub paid_on_time: i64,
    pub paid_late: i64,
    /// What is owed on open invoices past their due date, in the home currency's minor units.
    pub overdue_home: i64,
}

/// "today", "yesterday", "5 days ago".
fn ago(days: i64) -> String {
    match days {
        ..=0 => "today".into(),
        1 => "yesterday".into(),
        n => format!("{n} days ago"),
    }
}

/// "USD 18,000".
fn money(minor: i64, currency: &str) -> String {
    let major = minor / cremmy_protocol::crm::Money::minor_per_major(currency);
    let digits = major.abs().to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{currency} {grouped}")
}

fn messages(kind: ActivityKind) -> bool {
    matches!(kind, ActivityKind::Email | ActivityKind::Sms)
}

/// Adds signals to one subscore and keeps it within 0–100.
struct Tally {
    subscore: Subscore,
    points: i32,
    signals: Vec<Signal>,
}

impl Tally {
    fn new(subscore: Subscore) -> Tally {
        Tally {
            subscore,
            points: 0,
            signals: Vec::new(),
        }
    }
    fn add(&mut self, points: i32, text: String) {
        self.points += points;
        self.signals.push(Signal {
            subscore: self.subscore,
            text,
            points,
        });
    }
    fn value(&self) -> u8 {
        self.points.clamp(0, 100) as u8
    }
}

/// The median reply delay: for each message of ours, the time to their next message within 7
/// days.
fn reply_delay(touches: &[Touch]) -> Option<i64> {
    let mut delays: Vec<i64> = touches
        .iter()
        .filter(|t| messages(t.kind) && !t.inbound)
        .filter_map(|ours| {
            touches
                .iter()
                .filter(|t| {
                    messages(t.kind) && t.inbound && t.at > ours.at && t.at - ours.at <= 7 * DAY_MS
                })
                .map(|t| t.at - ours.at)
                .min()
        })
        .collect();
    delays.sort_unstable();
    delays.get(delays.len().saturating_sub(1) / 2).copied()
}

pub fn score(f: &ClientFacts, s: &ScoreSettings, now: i64) -> LeadScore {
    let days = |at: i64| (now - at).div_euclid(DAY_MS);
    let past: Vec<Touch> = f.touches.iter().copied().filter(|t| t.at <= now).collect();
    let last_theirs = past.iter().filter(|t| t.inbound).map(|t| t.at).max();
    let last_their_message = past
        .iter()
        .filter(|t| t.inbound && messages(t.kind))
        .map(|t| t.at)
        .max();
    let last_our_message = past
        .iter()
        .filter(|t| !t.inbound && messages(t.kind))
        .map(|t| t.at)
        .max();
    let meetings_30: Vec<i64> = past
        .iter()
        .filter(|t| t.kind == ActivityKind::Meeting && days(t.at) < 30)
        .map(|t| t.at)
        .collect();

    let mut engagement = Tally::new(Subscore::Engagement);
    if let Some(at) = last_theirs {
        match days(at) {
            d @ ..=2 => engagement.add(35, format!("heard from them {}", ago(d))),
            d @ 3..=7 => engagement.add(25, format!("heard from them {}", ago(d))),
            d @ 8..=30 => engagement.add(10, format!("heard from them {}", ago(d))),
            _ => {}
        }
    }
    let inbound_30 = past
        .iter()
        .filter(|t| t.inbound && t.kind != ActivityKind::Meeting && days(t.at) < 30)
        .count() as i32;
    if inbound_30 >= 2 {
        engagement.add(
            inbound_30.min(5) * 5,
            format!("{inbound_30} messages or calls from them in 30 days"),
        );
    }
    if !meetings_30.is_empty() {
        let n = meetings_30.len() as i32;
        let what = if n == 1 {
            "1 meeting".to_string()
        } else {
            format!("{n} meetings")
        };
        engagement.add(n.min(3) * 8, format!("{what} in 30 days"));
    }
    match reply_delay(&past) {
        Some(d) if d <= 2 * HOUR_MS => engagement.add(15, "replied within 2 hours".into()),
        Some(d) if d <= 24 * HOUR_MS => engagement.add(10, "replies within a day".into()),
        _ => {}
    }
    let unanswered_days = match (last_our_message, last_their_message) {
        (Some(ours), theirs) if theirs.is_none_or(|t| t < ours) => Some(days(ours)),
        _ => None,
    };
    let no_reply = unanswered_days.filter(|d| *d >= i64::from(s.no_reply_days));
    if let Some(d) = no_reply {
        engagement.add(-20, format!("no reply for {d} days"));
    }

    let mut fit = Tally::new(Subscore::Fit);
    let mut ideal = 0;
    for tag in &f.tags {
        if ideal < 2 && s.ideal_tags.iter().any(|t| t.eq_ignore_ascii_case(tag)) {
            fit.add(30, format!("tagged {tag} (ideal client)"));
            ideal += 1;
        }
    }
    let biggest = f.open_deals.iter().filter_map(|d| d.value_home).max();
    match biggest {
        Some(v)
            if v >= s.ideal_deal_value.saturating_mul(
                cremmy_protocol::crm::Money::minor_per_major(&f.home_currency),
            ) =>
        {
            fit.add(
                30,
                format!("a {} deal, the ideal size", money(v, &f.home_currency)),
            );
        }
        _ if !f.open_deals.is_empty() => fit.add(10, "has an open deal".into()),
        _ => {}
    }
    if f.has_website {
        fit.add(10, "has a website".into());
    }

    let mut momentum = Tally::new(Subscore::Momentum);
    let furthest = f
        .open_deals
        .iter()
        .max_by_key(|d| (d.stage_rank, d.in_stage_since));
    if let Some(d) = furthest {
        momentum.add(
            ((d.stage_rank + 1) * 40 / d.open_stages.max(1)) as i32,
            format!("{} is in {}", d.title, d.stage),
        );
        match days(d.in_stage_since) {
            n @ ..=14 => momentum.add(30, format!("moved to {} {}", d.stage, ago(n))),
            n @ 31.. => momentum.add(-20, format!("in {} for {n} days", d.stage)),
            _ => {}
        }
    }
    if let Some(last) = past.iter().map(|t| t.at).max() {
        match days(last) {
            n @ ..=7 => momentum.add(40, format!("in touch {}", ago(n))),
            n @ 22.. => momentum.add(-20, format!("no contact for {n} days")),
            _ => {}
        }
    }
    let this_month = past.iter().filter(|t| days(t.at) < 30).count();
    let month_before = past
        .iter()
        .filter(|t| (30..60).contains(&days(t.at)))
        .count();
    if this_month >= 2 && this_month > month_before {
        momentum.add(
            20,
            format!("more contact than the month before ({this_month} vs {month_before})"),
        );
    }

    let mut financial = Tally::new(Subscore::Financial);
    if f.won_count >= 1 {
        financial.add(
            50,
            format!(
                "won {} with them so far",
                money(f.won_home, &f.home_currency)
            ),
        );
    }
    if f.won_count >= 2 {
        financial.add(25, format!("repeat client ({} deals won)", f.won_count));
    }
    if f.paid_on_time >= 1 {
        let n = f.paid_on_time;
        financial.add(
            15,
            format!("paid {n} invoice{} on time", if n == 1 { "" } else { "s" }),
        );
    }
    if f.paid_late >= 1 {
        let n = f.paid_late;
        financial.add(
            -10,
            format!("paid {n} invoice{} late", if n == 1 { "" } else { "s" }),
        );
    }
    if f.overdue_home > 0 {
        financial.add(
            -30,
            format!("{} overdue", money(f.overdue_home, &f.home_currency)),
        );
    }

    let parts = [
        (s.engagement_weight, engagement.value()),
        (s.fit_weight, fit.value()),
        (s.momentum_weight, momentum.value()),
        (s.financial_weight, financial.value()),
    ];
    let weights: u32 = parts.iter().map(|(w, _)| w).sum();
    let total = if weights == 0 {
        0
    } else {
        let sum: u32 = parts.iter().map(|(w, v)| w * u32::from(*v)).sum();
        ((sum + weights / 2) / weights).min(100) as u8
    };

    let mut next_actions = Vec::new();
    if let Some(theirs) = last_their_message {
        if last_our_message.is_none_or(|ours| ours < theirs) && days(theirs) <= 14 {
            next_actions.push(format!("Reply: they wrote {}", ago(days(theirs))));
        }
    }
    if let Some(d) = no_reply {
        next_actions.push(format!("Follow up: no reply for {d} days"));
    }
    let recent_meeting = meetings_30
        .iter()
        .copied()
        .filter(|at| days(*at) <= 2)
        .max();
    if let (Some(at), Some(_)) = (recent_meeting, furthest) {
        next_actions.push(format!("Send the proposal: meeting {}", ago(days(at))));
    }
    let meeting_soon = f
        .touches
        .iter()
        .any(|t| t.kind == ActivityKind::Meeting && t.at > now && t.at - now <= 2 * DAY_MS);
    if total >= 70 && !meeting_soon {
        next_actions.push(format!("Schedule a call within 48 h: score {total}"));
    }
    if total >= 70 && f.open_deals.is_empty() {
        next_actions.push(format!("Open a deal: score {total}"));
    }
    if let Some(d) = furthest.filter(|d| days(d.in_stage_since) > 30) {
        next_actions.push(format!(
            "Move {} forward: in {} for {} days",
            d.title,
            d.stage,
            days(d.in_stage_since)
        ));
    }

    let subscores = [
        engagement.value(),
        fit.value(),
        momentum.value(),
        financial.value(),
    ];
    let mut signals = engagement.signals;
    signals.extend(fit.signals);
    signals.extend(momentum.signals);
    signals.extend(financial.signals);
    LeadScore {
        client_id: f.client_id,
        total,
        engagement: subscores[0],
        fit: subscores[1],
        momentum: subscores[2],
        financial: subscores[3],
        signals,
        next_actions,
        computed_at: now,
    }
}
