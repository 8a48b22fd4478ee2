//! Cremmy's benchmark harness: `cargo bench -p cremmy-core --bench cremmy [-- --quick]` (under a
//! Secret Service, e.g. `.ci/bench`). Runs against the provider sandbox and generated data, prints
//! one table and writes it as JSON (`target/bench/cremmy.json`) so runs can be compared. Every
//! figure is measured next to its reference in the same run. Not a test: nothing here fails on a
//! slow machine; a missed target is reported in the table.

mod figures;
mod world;

use std::time::Duration;

use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Row {
    pub figure: u8,
    pub name: String,
    pub value: f64,
    pub unit: String,
    /// What the value is compared with, measured in the same run where it can be.
    pub reference: String,
    pub target: Option<String>,
    pub meets_target: Option<bool>,
}

impl Row {
    pub fn new(
        figure: u8,
        name: &str,
        value: f64,
        unit: &str,
        reference: &str,
        target: Option<(&str, bool)>,
    ) -> Row {
        let row = Row {
            figure,
            name: name.to_string(),
            value,
            unit: unit.to_string(),
            reference: reference.to_string(),
            target: target.map(|(t, _)| t.to_string()),
            meets_target: target.map(|(_, ok)| ok),
        };
        eprintln!("  {}", row.line());
        row
    }

    fn line(&self) -> String {
        let verdict = match self.meets_target {
            Some(true) => "meets",
            Some(false) => "MISSES",
            None => "",
        };
        format!(
            "| {} | {} | {:.2} {} | {} | {} {} |",
            self.figure,
            self.name,
            self.value,
            self.unit,
            self.reference,
            self.target.as_deref().unwrap_or(""),
            verdict
        )
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    // `--only 2,3`: just those figures.
    let only: Option<Vec<u8>> = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .map(|list| {
            list.split(',')
                .filter_map(|n| n.trim().parse().ok())
                .collect()
        });
    let run = |figure: u8| only.as_ref().is_none_or(|o| o.contains(&figure));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let rows = runtime.block_on(async {
        let mut rows = Vec::new();
        let sizes: &[u64] = if quick {
            &[10, 1_000]
        } else {
            &[10, 1_000, 10_000]
        };
        if run(1) {
            figures::idle_poll(&mut rows, sizes).await;
        }
        if run(2) || run(3) {
            figures::first_import(&mut rows, if quick { 2_000 } else { 10_000 }).await;
        }
        if run(4) {
            let n = if quick { 2_000 } else { 10_000 };
            figures::sheets(&mut rows, n, n).await;
        }
        // Figure 8 (lead scores) is measured on figure 5's data.
        if (run(5) || run(8)) && quick {
            figures::scale(&mut rows, 2_000, 10_000, 100_000, 50).await;
        } else if run(5) || run(8) {
            figures::scale(&mut rows, 10_000, 50_000, 1_000_000, 200).await;
        }
        if run(9) {
            figures::outlook(&mut rows, if quick { 2_000 } else { 10_000 }).await;
        }
        if run(10) {
            figures::hubspot_import(&mut rows, if quick { 2_000 } else { 10_000 }).await;
            figures::pipedrive_import(&mut rows, if quick { 2_000 } else { 10_000 }).await;
        }
        if run(7) {
            figures::idle_cpu(&mut rows, Duration::from_secs(if quick { 60 } else { 300 })).await;
        }
        rows
    });
    println!("| # | figure | value | reference | target |");
    println!("|---|---|---|---|---|");
    for row in &rows {
        println!("{}", row.line());
    }
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench");
    let _ = std::fs::create_dir_all(&out);
    let out = out.canonicalize().unwrap_or(out);
    let json = serde_json::json!({ "quick": quick, "rows": rows });
    let path = out.join(match &only {
        Some(o) => format!(
            "cremmy-only-{}.json",
            o.iter().map(u8::to_string).collect::<Vec<_>>().join("-")
        ),
        None => "cremmy.json".to_string(),
    });
    std::fs::write(&path, serde_json::to_string_pretty(&json).unwrap()).unwrap();
    println!("\nwritten: {}", path.display());
}
