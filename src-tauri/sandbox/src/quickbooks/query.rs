//! The QuickBooks query language, the subset the sandbox reads
//! (developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/data-queries):
//! `select * from <Entity> [where <field> <op> '<value>' [and …]] [STARTPOSITION n]
//! [MAXRESULTS m]`; keywords in any case, strings in single quotes with `\'` for a quote,
//! operators `=`, `<`, `>`, `<=`, `>=`, `like` (`%` wildcards); MAXRESULTS at most 1,000.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub field: String,
    pub op: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    pub entity: String,
    pub conditions: Vec<Condition>,
    /// 1-based.
    pub start: usize,
    pub max: usize,
}

fn tokens(text: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '\'' => {
                let mut s = String::from("'");
                loop {
                    match chars.next() {
                        Some('\\') => s.extend(chars.next()),
                        Some('\'') => break,
                        Some(c) => s.push(c),
                        None => return Err("an unterminated string".into()),
                    }
                }
                out.push(s);
            }
            '<' | '>' | '=' => {
                let mut op = c.to_string();
                if chars.peek() == Some(&'=') {
                    op.push('=');
                    chars.next();
                }
                out.push(op);
            }
            _ => {
                let mut word = c.to_string();
                while let Some(&n) = chars.peek() {
                    if n.is_whitespace() || "<>='".contains(n) {
                        break;
                    }
                    word.push(n);
                    chars.next();
                }
                out.push(word);
            }
        }
    }
    Ok(out)
}

pub fn parse(text: &str) -> Result<Select, String> {
    let t = tokens(text)?;
    let word = |i: usize| t.get(i).map(|s| s.to_ascii_lowercase()).unwrap_or_default();
    if word(0) != "select" || word(1) != "*" || word(2) != "from" || t.len() < 4 {
        return Err(format!("Error parsing query: {text}"));
    }
    let mut select = Select {
        entity: t[3].clone(),
        conditions: Vec::new(),
        start: 1,
        max: 100,
    };
    let mut i = 4;
    if word(i) == "where" {
        i += 1;
        loop {
            let (field, op, value) = (t.get(i), word(i + 1), t.get(i + 2));
            let (Some(field), Some(value)) = (field, value) else {
                return Err(format!("Error parsing query: {text}"));
            };
            if !["=", "<", ">", "<=", ">=", "like"].contains(&op.as_str())
                || !value.starts_with('\'')
            {
                return Err(format!("Error parsing query: {text}"));
            }
            select.conditions.push(Condition {
                field: field.clone(),
                op,
                value: value[1..].to_string(),
            });
            i += 3;
            if word(i) != "and" {
                break;
            }
            i += 1;
        }
    }
    while i < t.len() {
        let n: usize = t
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("Error parsing query: {text}"))?;
        match word(i).as_str() {
            "startposition" => select.start = n.max(1),
            "maxresults" => select.max = n.min(1000),
            _ => return Err(format!("Error parsing query: {text}")),
        }
        i += 2;
    }
    Ok(select)
}

/// A field of an object: `DisplayName`, `MetaData.LastUpdatedTime`; a reference or email
/// address compares by its `value` / `Address`.
fn field<'a>(object: &'a Value, path: &str) -> Option<&'a Value> {
    let mut v = object;
    for part in path.split('.') {
        v = v
            .as_object()?
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(part))?
            .1;
    }
    if v.is_object() {
        return v.get("value").or(v.get("Address"));
    }
    Some(v)
}

fn like(text: &str, pattern: &str) -> bool {
    let text = text.to_lowercase();
    let parts: Vec<String> = pattern
        .to_lowercase()
        .split('%')
        .map(str::to_string)
        .collect();
    let mut at = 0;
    for (i, part) in parts.iter().enumerate() {
        if part.is_empty() {
            continue;
        }
        match text[at..].find(part.as_str()) {
            Some(found) if i > 0 || found == 0 => at += found + part.len(),
            _ => return false,
        }
    }
    parts
        .last()
        .is_none_or(|p| p.is_empty() || text.ends_with(p.as_str()))
}

pub fn matches(object: &Value, c: &Condition) -> bool {
    let Some(v) = field(object, &c.field) else {
        return false;
    };
    let text = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if c.field.to_ascii_lowercase().ends_with("time") {
        if let (Some(a), Some(b)) = (super::parse_time(&text), super::parse_time(&c.value)) {
            return match c.op.as_str() {
                "=" => a == b,
                "<" => a < b,
                ">" => a > b,
                "<=" => a <= b,
                _ => a >= b,
            };
        }
    }
    match c.op.as_str() {
        // Names and emails compare without regard to case, as QuickBooks' do.
        "=" => text.eq_ignore_ascii_case(&c.value),
        "like" => like(&text, &c.value),
        "<" => text < c.value,
        ">" => text > c.value,
        "<=" => text <= c.value,
        _ => text >= c.value,
    }
}
