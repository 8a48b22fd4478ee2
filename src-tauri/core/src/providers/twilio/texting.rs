//! Twilio as the features see it: a [`TextGateway`] (Messages) and a [`CallLog`] (Calls) for one
//! account's credentials. Maps Twilio's codes to what the user can act on
//! (https://www.twilio.com/docs/api/errors: 21211 invalid 'To', 21610 unsubscribed recipient,
//! 21614 not a mobile number, 63016 outside the WhatsApp window, 21606 'From' not the account's).

use cremmy_protocol::sms::{Sender, TextTemplate};

use super::{
    OutgoingText as WireText, Twilio, TwilioCredentials, TwilioError, WireCall, WireMessage,
};
use crate::clock::Timestamp;
use crate::failure::SourceError;
use crate::features::call_log::{CallLog, CallRecord};
use crate::features::texts::{OutgoingText, Refusal, SendOutcome, TextGateway, TextState};
use crate::http::call::CallError;

/// One account's Twilio.
pub struct TwilioTexts {
    twilio: Twilio,
    creds: TwilioCredentials,
}

impl TwilioTexts {
    pub fn new(twilio: Twilio, creds: TwilioCredentials) -> TwilioTexts {
        TwilioTexts { twilio, creds }
    }

    pub fn calls(&self) -> u32 {
        self.twilio.calls()
    }
}

/// What a Twilio error code means for the user.
pub fn refusal_of(code: u32) -> Option<Refusal> {
    match code {
        21211 | 21614 | 21612 => Some(Refusal::InvalidNumber),
        21610 => Some(Refusal::OptedOut),
        63016 => Some(Refusal::OutsideWhatsAppWindow),
        21606 | 21603 => Some(Refusal::NotYourSender),
        _ => None,
    }
}

/// An RFC 2822 date (Twilio's) in Unix ms.
fn millis(rfc2822: &str) -> Option<Timestamp> {
    mailparse::dateparse(rfc2822).ok().map(|s| s * 1000)
}

pub fn text_state(m: WireMessage) -> TextState {
    let at = m
        .date_sent
        .as_deref()
        .and_then(millis)
        .or_else(|| millis(&m.date_created))
        .unwrap_or(0);
    TextState {
        refusal: m.error_code.and_then(refusal_of),
        inbound: m.direction == "inbound",
        segments: m
            .num_segments
            .as_deref()
            .and_then(|s| s.parse().ok())
            .unwrap_or(1),
        sid: m.sid,
        from: m.from,
        to: m.to,
        body: m.body,
        status: m.status,
        error_code: m.error_code,
        error_message: m.error_message,
        at,
    }
}

fn call_record(c: WireCall) -> CallRecord {
    CallRecord {
        inbound: c.direction == "inbound",
        started_at: c.start_time.as_deref().and_then(millis),
        duration_secs: c
            .duration
            .as_deref()
            .and_then(|d| d.parse().ok())
            .unwrap_or(0),
        sid: c.sid,
        from: c.from,
        to: c.to,
        status: c.status,
    }
}

/// `YYYY-MM-DD` (UTC) of a time: Twilio's list filters take a day.
fn day(at: Timestamp) -> String {
    crate::crm::Date::from_days(at.div_euclid(86_400_000)).to_string()
}

/// The answer's message, for the user (`{"code":…, "message":…}`).
fn twilio_message(e: &TwilioError) -> String {
    match e {
        TwilioError::Call(CallError::Status { excerpt, .. }) => {
            serde_json::from_str::<serde_json::Value>(excerpt)
                .ok()
                .and_then(|v| v["message"].as_str().map(str::to_string))
                .unwrap_or_else(|| e.to_string())
        }
        other => other.to_string(),
    }
}

impl TextGateway for TwilioTexts {
    fn provider_name(&self) -> &'static str {
        "Twilio"
    }

    async fn senders(&self) -> Result<Vec<Sender>, SourceError> {
        Ok(self.twilio.senders(&self.creds).await?)
    }

    async fn send(&self, text: &OutgoingText<'_>) -> Result<SendOutcome, SourceError> {
        let wire = WireText {
            to: text.to.to_string(),
            from: text.from.to_string(),
            body: text.body.to_string(),
            content_sid: text.template.map(|t| t.id.clone()),
            content_variables: text.template.map(|t| t.values.clone()).unwrap_or_default(),
        };
        match self.twilio.send(&self.creds, &wire).await {
            Ok(m) => Ok(SendOutcome::Accepted(text_state(m))),
            Err(e) => match (e.twilio_code(), &e) {
                (Some(code), TwilioError::Call(CallError::Status { status: 400, .. })) => {
                    Ok(SendOutcome::Refused {
                        refusal: refusal_of(code).unwrap_or(Refusal::Other),
                        code: Some(code),
                        message: twilio_message(&e),
                    })
                }
                _ => Err(e.into()),
            },
        }
    }

    async fn templates(&self) -> Result<Vec<TextTemplate>, SourceError> {
        let all = self.twilio.templates(&self.creds).await?;
        Ok(all
            .into_iter()
            .filter(|t| t.is_approved())
            .map(|t| TextTemplate {
                body: t.body(),
                id: t.sid,
                name: t.friendly_name,
                variables: t.variables,
            })
            .collect())
    }

    async fn state(&self, sid: &str) -> Result<Option<TextState>, SourceError> {
        match self.twilio.message(&self.creds, sid).await {
            Ok(m) => Ok(Some(text_state(m))),
            Err(TwilioError::Call(CallError::Status { status: 404, .. })) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn sent_between(
        &self,
        from: &str,
        to: &str,
        since: Timestamp,
    ) -> Result<Vec<TextState>, SourceError> {
        let found = if from.starts_with("MG") {
            // A Messaging Service's text is from one of its numbers: list by recipient.
            let to_them = self
                .twilio
                .messages_to(&self.creds, to, &day(since), super::MAX_PAGE_SIZE)
                .await?;
            to_them
                .into_iter()
                .filter(|m| m.messaging_service_sid.as_deref() == Some(from))
                .collect()
        } else {
            self.twilio
                .messages_between(&self.creds, from, to, &day(since))
                .await?
        };
        Ok(found.into_iter().map(text_state).collect())
    }

    async fn received_at(
        &self,
        address: &str,
        since: Timestamp,
    ) -> Result<Vec<TextState>, SourceError> {
        if address.starts_with("MG") {
            // A service has no address of its own; its numbers are polled themselves.
            return Ok(Vec::new());
        }
        let found = self
            .twilio
            .messages_to(&self.creds, address, &day(since), super::MAX_PAGE_SIZE)
            .await?;
        Ok(found.into_iter().map(text_state).collect())
    }
}

impl CallLog for TwilioTexts {
    async fn calls_since(&self, since: Timestamp) -> Result<Vec<CallRecord>, SourceError> {
        let calls = self.twilio.calls_since(&self.creds, &day(since)).await?;
        Ok(calls.into_iter().map(call_record).collect())
    }
}
