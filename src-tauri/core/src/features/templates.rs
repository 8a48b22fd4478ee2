//! `{{variable}}` templates for emails and documents. A variable without a value is an error that
//! names it, never a blank in the output.

use std::collections::BTreeMap;

/// ISO 4217 currencies without minor units.
pub use cremmy_protocol::crm::ZERO_DECIMAL;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("The template uses {} with no value here: {}. Fill them in (or remove them from the template) and try again.", if names.len() == 1 { "a variable" } else { "variables" }, names.join(", "))]
    Missing { names: Vec<String> },
    #[error("The template has a '{{{{' without a closing '}}}}' (at character {at}).")]
    Unclosed { at: usize },
}

/// Splits a template into text and variable names.
fn parts(template: &str) -> Result<Vec<(bool, &str)>, TemplateError> {
    let mut out = Vec::new();
    let mut rest = template;
    let mut offset = 0;
    while let Some(start) = rest.find("{{") {
        out.push((false, &rest[..start]));
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or(TemplateError::Unclosed { at: offset + start })?;
        out.push((true, after[..end].trim()));
        let consumed = start + 2 + end + 2;
        offset += consumed;
        rest = &rest[consumed..];
    }
    out.push((false, rest));
    Ok(out)
}

/// Each distinct placeholder as written (`{{ name }}` included) with its variable name, in order.
pub fn placeholders(template: &str) -> Result<Vec<(String, String)>, TemplateError> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let raw = &rest[start..start + 2 + end + 2];
        if !out.iter().any(|(r, _)| r == raw) {
            out.push((raw.to_string(), after[..end].trim().to_string()));
        }
        rest = &rest[start + 2 + end + 2..];
    }
    parts(template)?;
    Ok(out)
}

/// The variables a template uses, each once, in order of appearance.
pub fn variables(template: &str) -> Result<Vec<String>, TemplateError> {
    let mut names: Vec<String> = Vec::new();
    for (is_var, text) in parts(template)? {
        if is_var && !names.iter().any(|n| n == text) {
            names.push(text.to_string());
        }
    }
    Ok(names)
}

/// Replaces every `{{name}}`; any name without a non-empty value fails the whole render.
pub fn render(template: &str, values: &BTreeMap<String, String>) -> Result<String, TemplateError> {
    let missing: Vec<String> = variables(template)?
        .into_iter()
        .filter(|n| values.get(n).is_none_or(|v| v.trim().is_empty()))
        .collect();
    if !missing.is_empty() {
        return Err(TemplateError::Missing { names: missing });
    }
    Ok(parts(template)?
        .into_iter()
        .map(|(is_var, text)| if is_var { values[text].as_str() } else { text })
        .collect())
}

/// `12,500.00 EUR`: grouped thousands, the currency's minor units.
pub fn money_text(minor: i64, currency: &str) -> String {
    let zero_decimal = ZERO_DECIMAL.contains(&currency);
    let (major, cents) = if zero_decimal {
        (minor.abs(), None)
    } else {
        (minor.abs() / 100, Some(minor.abs() % 100))
    };
    let digits = major.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if minor < 0 { "-" } else { "" };
    match cents {
        Some(c) => format!("{sign}{grouped}.{c:02} {currency}"),
        None => format!("{sign}{grouped} {currency}"),
    }
}
