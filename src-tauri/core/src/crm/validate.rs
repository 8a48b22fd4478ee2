//! Input rules shared by the forms, the CSV import and the sync (one definition each).

use super::{CrmError, CrmResult};

pub const MAX_NAME: usize = 200;
pub const MAX_TEXT: usize = 100_000;

/// Trims and checks a required single-line name.
pub fn name(field: &'static str, value: &str) -> CrmResult<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(CrmError::invalid(field, "is required"));
    }
    if value.chars().count() > MAX_NAME {
        return Err(CrmError::invalid(
            field,
            format!("is longer than {MAX_NAME} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(CrmError::invalid(field, "must be a single line of text"));
    }
    Ok(value.to_string())
}

pub fn text(field: &'static str, value: &str) -> CrmResult<String> {
    if value.chars().count() > MAX_TEXT {
        return Err(CrmError::invalid(
            field,
            format!("is longer than {MAX_TEXT} characters"),
        ));
    }
    Ok(value.trim().to_string())
}

/// A plausible address, lower-cased: one `@`, a non-empty local part, a dotted domain, no spaces.
pub fn email(value: &str) -> CrmResult<String> {
    let email = value.trim().to_lowercase();
    let bad = |why: &str| {
        Err(CrmError::invalid(
            "email",
            format!("\"{}\" {why}", value.trim()),
        ))
    };
    if email.is_empty() {
        return bad("is empty");
    }
    // No spaces, controls, or the characters that quote, group or separate addresses (they would
    // reach a To header and a mail search unquoted).
    if email.len() > 254
        || email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "{}()<>\",;:[]\\".contains(c))
    {
        return bad("is not a valid email address");
    }
    let Some((local, domain)) = email.split_once('@') else {
        return bad("has no @");
    };
    if local.is_empty()
        || domain.contains('@')
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || domain.contains("..")
    {
        return bad("is not a valid email address");
    }
    Ok(email)
}

pub fn phone(value: &str) -> CrmResult<String> {
    let phone = value.trim();
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    if digits < 3
        || !phone
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().x/".contains(c))
    {
        return Err(CrmError::invalid(
            "phone",
            format!("\"{phone}\" is not a phone number"),
        ));
    }
    Ok(phone.to_string())
}

/// The lower-case host of a website ("https://www.Acme.com/about" → "acme.com").
pub fn domain_of(website: &str) -> String {
    let w = website.trim().to_lowercase();
    let w = w.split_once("://").map(|(_, rest)| rest).unwrap_or(&w);
    let host = w.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit_once('@').map(|(_, h)| h).unwrap_or(host);
    let host = host.split(':').next().unwrap_or("");
    host.strip_prefix("www.").unwrap_or(host).to_string()
}

pub fn currency(value: &str) -> CrmResult<String> {
    let c = value.trim().to_uppercase();
    if c.is_empty() {
        return Ok("USD".to_string());
    }
    if c.len() != 3 || !c.chars().all(|ch| ch.is_ascii_uppercase()) {
        return Err(CrmError::invalid(
            "currency",
            format!("\"{value}\" is not a three-letter ISO 4217 code"),
        ));
    }
    Ok(c)
}

/// 'HH:MM', 24-hour.
pub fn wall_time(value: &str) -> CrmResult<String> {
    let v = value.trim();
    let ok = v.len() == 5
        && v.as_bytes()[2] == b':'
        && v[..2].parse::<u8>().is_ok_and(|h| h < 24)
        && v[3..].parse::<u8>().is_ok_and(|m| m < 60);
    if !ok {
        return Err(CrmError::invalid(
            "due time",
            format!("\"{v}\" is not a time like 09:30"),
        ));
    }
    Ok(v.to_string())
}
