//! How numbers, money and times are shown.

use cremmy_protocol::crm::{Money, ZERO_DECIMAL};

pub fn money(m: &Money) -> String {
    let symbol = match m.currency.as_str() {
        "USD" => "$".to_string(),
        "EUR" => "€".to_string(),
        "GBP" => "£".to_string(),
        other => format!("{other} "),
    };
    if ZERO_DECIMAL.contains(&m.currency.as_str()) {
        format!("{symbol}{}", grouped(m.minor))
    } else {
        let cents = m.minor.rem_euclid(100);
        if cents == 0 {
            format!("{symbol}{}", grouped(m.minor / 100))
        } else {
            format!("{symbol}{}.{cents:02}", grouped(m.minor / 100))
        }
    }
}

pub fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// Parses "12,500.50" into minor units.
pub fn parse_money(text: &str) -> Option<i64> {
    let clean: String = text
        .chars()
        .filter(|c| !matches!(c, ',' | ' ' | '$' | '€' | '£'))
        .collect();
    if clean.is_empty() {
        return Some(0);
    }
    let (whole, frac) = clean.split_once('.').unwrap_or((&clean, ""));
    if frac.len() > 2
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let frac: i64 = format!("{frac:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(frac)
}

/// The user's local date, 'YYYY-MM-DD'.
pub fn local_today() -> String {
    let d = js_sys::Date::new_0();
    format!(
        "{:04}-{:02}-{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date()
    )
}

/// A local date and time for a Unix-milliseconds instant.
pub fn datetime(ms: i64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    let opts = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&opts, &"dateStyle".into(), &"medium".into());
    let _ = js_sys::Reflect::set(&opts, &"timeStyle".into(), &"short".into());
    String::from(d.to_locale_string("default", &opts))
}

/// "3 days ago", "in 2 hours"…
pub fn relative(ms: i64) -> String {
    let now = js_sys::Date::now() as i64;
    let delta = (now - ms) / 1000;
    let (n, unit) = match delta.abs() {
        s if s < 60 => return "just now".to_string(),
        s if s < 3600 => (s / 60, "minute"),
        s if s < 86_400 => (s / 3600, "hour"),
        s if s < 30 * 86_400 => (s / 86_400, "day"),
        s if s < 365 * 86_400 => (s / (30 * 86_400), "month"),
        s => (s / (365 * 86_400), "year"),
    };
    let plural = if n == 1 { "" } else { "s" };
    if delta >= 0 {
        format!("{n} {unit}{plural} ago")
    } else {
        format!("in {n} {unit}{plural}")
    }
}

/// This machine's IANA time zone (`Europe/Berlin`), as the browser engine reports it; "UTC" if it
/// cannot say.
pub fn time_zone() -> String {
    let options = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
        .resolved_options();
    js_sys::Reflect::get(&options, &"timeZone".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_else(|| "UTC".into())
}

/// The instant of a local date ('YYYY-MM-DD') and wall time ('HH:MM'; 09:00 when empty), in Unix
/// ms; `None` when the date is malformed.
pub fn local_instant(date: &str, time: &str) -> Option<i64> {
    let mut d = date.splitn(3, '-').map(|p| p.parse::<i32>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let (h, min) = match time.split_once(':') {
        Some((h, m)) => (h.parse::<i32>().ok()?, m.parse::<i32>().ok()?),
        None => (9, 0),
    };
    let at = js_sys::Date::new_with_year_month_day_hr_min(y as u32, m - 1, day, h, min);
    let ms = at.get_time();
    (!ms.is_nan()).then_some(ms as i64)
}

/// The user's time zone offset now, in minutes east of UTC (UTC+1 is 60).
pub fn utc_offset_minutes() -> i32 {
    -(js_sys::Date::new_0().get_timezone_offset() as i32)
}

/// A local wall time ("14:30") for a Unix-milliseconds instant.
pub fn clock_time(ms: i64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    format!("{:02}:{:02}", d.get_hours(), d.get_minutes())
}
