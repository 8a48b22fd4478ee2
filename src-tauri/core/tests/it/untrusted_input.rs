//! Untrusted input, fuzzed with property tests (a fixed seed and case budget, so a CI run is
//! bounded and repeatable): `cremmy://` links and sign-in callbacks (never a panic, never an
//! accepted wrong shape or wrong state), CSV files (random bytes, BOMs, mixed line endings, `;`
//! delimiters, 1 MB cells: either every row is imported or a clear error and nothing written) and
//! `{{variable}}` templates (a missing value is named, never rendered blank).

use std::collections::BTreeMap;

use cremmy_core::accounts::{AccountsError, CallbackRejection};
use cremmy_core::deep_link::{classify, DeepLink, DeepLinkError, MAX_LENGTH};
use cremmy_core::features::templates::{self, TemplateError};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use crate::accounts_support::{consent, google, test_accounts};
use crate::support::test_crm;

/// A fixed seed and budget: the same cases on every run.
fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x00C2_E33F),
        ..Config::default()
    }
}

/// `n` values of `strategy`, drawn with a fixed seed (for async checks proptest's runner cannot
/// drive).
fn sample<S: Strategy>(strategy: S, n: usize, seed: u8) -> Vec<S::Value> {
    let mut runner = TestRunner::new_with_rng(
        config(n as u32),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]),
    );
    (0..n)
        .map(|_| strategy.new_tree(&mut runner).expect("a value").current())
        .collect()
}

/// Text that looks like a link: a scheme, a host, a path, a query and a fragment, each drawn from
/// near misses of Cremmy's real shapes and from arbitrary characters.
fn link_like() -> impl Strategy<Value = String> {
    let scheme = prop_oneof![
        Just("cremmy://"),
        Just("CREMMY://"),
        Just("cremmy:"),
        Just("http://"),
        Just("javascript:"),
        Just(""),
    ];
    let host = prop_oneof![
        Just("client".to_string()),
        Just("oauth".to_string()),
        Just("Client".to_string()),
        Just("user:pw@client".to_string()),
        Just("client:8080".to_string()),
        Just("evil.example".to_string()),
        "[a-z%.@:]{0,12}",
    ];
    let path = prop_oneof![
        Just("/callback".to_string()),
        Just("/".to_string()),
        (0i64..i64::MAX).prop_map(|n| format!("/{n}")),
        (-5i64..5).prop_map(|n| format!("/{n}")),
        Just("/00000000000000000001".to_string()),
        Just("/1/../2".to_string()),
        "/[0-9a-z%./]{0,20}",
    ];
    let query = prop_oneof![
        Just(String::new()),
        Just("?state=s&code=c".to_string()),
        "\\?[ -~]{0,40}",
    ];
    let fragment = prop_oneof![Just(String::new()), "#[ -~]{0,10}"];
    let noise = "\\PC{0,3}";
    (scheme, host, path, query, fragment, noise, noise)
        .prop_map(|(s, h, p, q, f, before, after)| format!("{before}{s}{h}{p}{q}{f}{after}"))
}

#[test]
fn deep_links_are_accepted_only_in_their_two_shapes() {
    let mut runner = TestRunner::new(config(2_000));
    let any_text = prop_oneof![link_like(), "\\PC{0,200}", ".{0,60}"];
    runner
        .run(&any_text, |raw| {
            match classify(&raw) {
                Ok(DeepLink::OpenClient(id)) => {
                    prop_assert!(id > 0, "a client id is positive: {raw:?}");
                    // Accepted only if it is exactly the canonical link (whitespace around it aside).
                    let canonical = format!("cremmy://client/{id}");
                    let url = url::Url::parse(raw.trim()).expect("accepted text parses");
                    prop_assert_eq!(url.scheme(), "cremmy");
                    prop_assert_eq!(url.host_str(), Some("client"));
                    prop_assert_eq!(
                        classify(&canonical),
                        Ok(DeepLink::OpenClient(id)),
                        "the canonical form of {:?} opens the same client",
                        raw
                    );
                }
                Ok(DeepLink::OAuthCallback(url)) => {
                    prop_assert!(
                        url.starts_with("cremmy://oauth/callback"),
                        "a callback is cremmy://oauth/callback…: {url:?} from {raw:?}"
                    );
                }
                Err(DeepLinkError::TooLong(n)) => prop_assert!(n > MAX_LENGTH),
                Err(e) => {
                    prop_assert!(
                        raw.trim().len() < 12 || !e.to_string().contains(raw.trim()),
                        "a refusal never repeats the link's text: {e} for {raw:?}"
                    );
                }
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn an_overlong_link_is_refused_before_it_is_parsed() {
    let mut runner = TestRunner::new(config(64));
    runner
        .run(&(MAX_LENGTH + 1..MAX_LENGTH * 4), |len| {
            let raw = format!("cremmy://client/1?{}", "a".repeat(len));
            prop_assert!(matches!(classify(&raw), Err(DeepLinkError::TooLong(_))));
            Ok(())
        })
        .unwrap();
}

/// Sign-in callbacks: whatever arrives at the loopback listener or as a deep link, a pending
/// sign-in is finished only by its own state on its own redirect; every fuzzed callback is
/// refused without consuming it, and the real one still works afterwards.
#[tokio::test]
async fn fuzzed_callbacks_never_finish_or_spend_a_pending_sign_in() {
    let t = test_accounts().await;
    let redirect = "http://127.0.0.1:53682/callback";
    let start = t
        .accounts
        .begin_login(&google(&[]), redirect)
        .await
        .unwrap();
    let state = start.state.clone();
    let real = consent(&start.authorize_url).await;

    let prefix = prop_oneof![
        Just("http://127.0.0.1:53682/callback".to_string()),
        Just("http://127.0.0.1:53683/callback".to_string()),
        Just("http://localhost:53682/callback".to_string()),
        Just("cremmy://oauth/callback".to_string()),
        Just("https://127.0.0.1:53682/callback".to_string()),
        Just("http://user@127.0.0.1:53682/callback".to_string()),
        "[ -~]{0,30}",
    ];
    let query = prop_oneof![
        Just(format!("?state={state}X&code=abc")),
        Just(format!("?state={}&code=abc", &state[..state.len() / 2])),
        Just("?state=&code=abc".to_string()),
        Just("?code=abc".to_string()),
        Just(format!("?state={}&code=abc", state.to_uppercase())),
        "\\?state=[ -~]{0,40}&code=[ -~]{0,20}",
        "[ -~]{0,60}",
    ];
    let inputs = sample((prefix, query), 300, 7);
    for (prefix, query) in inputs {
        let url = format!("{prefix}{query}");
        let refused = t.accounts.finish_login(&url).await;
        let Err(error) = refused else {
            panic!("a fuzzed callback finished a sign-in: {url:?}");
        };
        assert!(
            matches!(error, AccountsError::Callback(_)),
            "refused as a callback, before any provider call: {url:?} gave {error:?}"
        );
        if let AccountsError::Callback(CallbackRejection::RedirectMismatch) = error {
            panic!("only the real state reaches the redirect check: {url:?}");
        }
    }
    let account = t
        .accounts
        .finish_login(&real)
        .await
        .expect("the real callback still finishes the sign-in");
    assert_eq!(account.email, "consultant@sandbox.example");
}

/// A CSV file's bytes: a header (guessable or not), rows of random cells, in UTF-8 or not, with
/// a BOM or not, `,` or `;`, `\n`, `\r\n` or `\r`, and now and then a 1 MB cell.
fn csv_like() -> impl Strategy<Value = Vec<u8>> {
    let header = prop_oneof![
        Just(vec!["Company", "Contact", "Email", "Phone"]),
        Just(vec!["name", "email"]),
        Just(vec!["Client name", "Tags", "Notes"]),
        Just(vec!["x", "y"]),
        Just(vec![]),
    ];
    let cell = prop_oneof![
        6 => "[A-Za-z0-9 .@+()-]{0,20}",
        1 => Just("=HYPERLINK(\"http://evil.example\")".to_string()),
        1 => Just("\"quoted, with comma\"".to_string()),
        1 => Just("\"unclosed".to_string()),
        1 => "\\PC{0,8}",
        1 => Just("\u{0}\u{7}\u{1b}[31m".to_string()),
    ];
    // Rows as wide as the header, mostly (a file with ragged rows is refused as a whole).
    // Half the files are clean (every cell valid for its column, rows as wide as the header) and
    // should import; the others mix in hostile cells and ragged rows.
    let rows = (header, any::<bool>()).prop_flat_map(move |(header, clean)| {
        let n = header.len();
        let row = if clean {
            let cells: Vec<BoxedStrategy<String>> = header
                .iter()
                .map(|h| match *h {
                    "Email" | "email" => "[a-z]{3,8}@example\\.com".boxed(),
                    "Phone" => "\\+1 555 01[0-9]{2}".boxed(),
                    _ => "[A-Z][a-z]{2,10}( [A-Z][a-z]{1,8})?".boxed(),
                })
                .collect();
            cells.boxed()
        } else {
            prop::collection::vec(cell.clone(), n.saturating_sub(1)..n + 2).boxed()
        };
        (Just(header), prop::collection::vec(row, 0..8))
    });
    let delimiter = prop_oneof![Just(","), Just(";"), Just("\t")];
    let newline = prop_oneof![Just("\n"), Just("\r\n"), Just("\r")];
    let bom = any::<bool>();
    let huge = prop_oneof![9 => Just(false), 1 => Just(true)];
    let garbage = prop::collection::vec(any::<u8>(), 0..200);
    let structured = (rows, delimiter, newline, bom, huge).prop_map(
        |((header, rows), delimiter, newline, bom, huge)| {
            let mut text = String::new();
            if bom {
                text.push('\u{feff}');
            }
            text.push_str(&header.join(delimiter));
            for (i, row) in rows.iter().enumerate() {
                text.push_str(if i % 2 == 0 { newline } else { "\n" });
                text.push_str(&row.join(delimiter));
            }
            if huge {
                text.push_str(newline);
                text.push_str(&"A".repeat(1 << 20));
            }
            text.into_bytes()
        },
    );
    prop_oneof![4 => structured, 1 => garbage]
}

async fn table_counts(db: &cremmy_core::Database) -> (i64, i64, i64) {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM clients), (SELECT count(*) FROM contacts), \
                (SELECT count(*) FROM contact_emails)",
    )
    .fetch_one(db.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn a_fuzzed_csv_is_imported_whole_or_refused_with_nothing_written() {
    let t = test_crm().await;
    let db = t.crm.database().clone();
    let mut imported = 0;
    let mut refused = 0;
    for bytes in sample(csv_like(), 150, 11) {
        let before = table_counts(&db).await;
        match t.crm.commit_import(&bytes, None).await {
            Ok(result) => {
                imported += 1;
                let after = table_counts(&db).await;
                assert_eq!(
                    (after.0 - before.0, after.1 - before.1),
                    (
                        result.clients_created as i64,
                        result.contacts_created as i64
                    ),
                    "an import writes exactly what it reports"
                );
            }
            Err(e) => {
                refused += 1;
                let message = e.to_string();
                assert!(
                    !message.is_empty() && message.len() < 2_000,
                    "a clear, bounded message: {message:?}"
                );
                assert_eq!(
                    table_counts(&db).await,
                    before,
                    "a refused file writes nothing: {message}"
                );
            }
        }
    }
    assert!(
        imported > 10 && refused > 10,
        "the cases reach both outcomes ({imported} imported, {refused} refused)"
    );
}

/// A template as segments: text (never containing `{{` or `}}`) and variable names.
fn template_parts() -> impl Strategy<Value = Vec<(bool, String)>> {
    let text = "[^{}]{0,12}".prop_map(|s: String| (false, s));
    let name = prop_oneof![
        Just("client_name"),
        Just("deal_title"),
        Just("first_name"),
        Just("today"),
        Just("x"),
    ]
    .prop_map(|n| (true, n.to_string()));
    prop::collection::vec(prop_oneof![text, name], 0..12)
}

#[test]
fn templates_name_every_missing_variable_and_render_the_rest_exactly() {
    let mut runner = TestRunner::new(config(1_000));
    let values = prop::collection::btree_map(
        prop_oneof![
            Just("client_name"),
            Just("deal_title"),
            Just("first_name"),
            Just("today")
        ]
        .prop_map(String::from),
        prop_oneof![
            Just(String::new()),
            Just("  ".to_string()),
            "[a-z{} ]{1,10}"
        ],
        0..4,
    );
    runner
        .run(&(template_parts(), values), |(parts, values)| {
            let template: String = parts
                .iter()
                .map(|(is_var, s)| {
                    if *is_var {
                        format!("{{{{ {s} }}}}")
                    } else {
                        s.clone()
                    }
                })
                .collect();
            let has = |n: &str| values.get(n).is_some_and(|v| !v.trim().is_empty());
            let mut missing: Vec<String> = Vec::new();
            for (is_var, s) in &parts {
                if *is_var && !has(s) && !missing.contains(s) {
                    missing.push(s.clone());
                }
            }
            match templates::render(&template, &values) {
                Ok(out) => {
                    prop_assert!(missing.is_empty(), "rendered with {missing:?} missing");
                    let expected: String = parts
                        .iter()
                        .map(|(is_var, s)| {
                            if *is_var {
                                values[s].clone()
                            } else {
                                s.clone()
                            }
                        })
                        .collect();
                    prop_assert_eq!(out, expected);
                }
                Err(TemplateError::Missing { names }) => prop_assert_eq!(names, missing),
                Err(other) => prop_assert!(false, "a well-formed template failed: {other}"),
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn any_text_as_a_template_fails_cleanly_or_renders() {
    let mut runner = TestRunner::new(config(1_000));
    runner
        .run(&"\\PC{0,80}", |text| {
            let values: BTreeMap<String, String> = BTreeMap::new();
            match templates::render(&text, &values) {
                Ok(out) => prop_assert_eq!(out, text, "no variables: the text is unchanged"),
                Err(TemplateError::Unclosed { at }) => {
                    prop_assert_eq!(&text[at..at + 2], "{{", "the position points at the '{{'")
                }
                Err(TemplateError::Missing { names }) => prop_assert!(!names.is_empty()),
            }
            Ok(())
        })
        .unwrap();
}
