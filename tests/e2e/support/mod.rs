//! Shared helpers: running the binary, temp data dirs, driving the window.

pub mod app_window;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `cremmy` binary built for this test run (with the UI embedded).
pub fn cremmy_bin() -> &'static str {
    env!("CARGO_BIN_EXE_cremmy")
}

/// Runs `cremmy <args>` against `data_dir` with a clean environment for Cremmy's own variables.
pub fn run_cremmy(data_dir: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(cremmy_bin());
    command.args(args).env("CREMMY_DATA_DIR", data_dir);
    for (key, _) in std::env::vars() {
        if key.starts_with("CREMMY_") && key != "CREMMY_DATA_DIR" {
            command.env_remove(key);
        }
    }
    command.output().expect("the cremmy binary must start")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Where tests leave artifacts (screenshots) for people and CI logs to look at.
pub fn output_dir(kind: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("test-output")
        .join(kind);
    std::fs::create_dir_all(&dir).expect("test-output must be writable");
    dir
}

/// A fresh data folder with `cremmy demo` loaded.
pub fn demo_data_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = run_cremmy(dir.path(), &["demo"]);
    assert!(
        out.status.success(),
        "cremmy demo must load: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}
