use std::hash::{Hash, Hasher};
use std::path::Path;

#[path = "command_contract.rs"]
mod command_contract;

// The command list comes from the protocol crate, so the build declares exactly the commands the UI
// knows about (least privilege: Tauri then requires each to be granted by a capability).
fn main() {
    let manifest = tauri_build::AppManifest::new().commands(cremmy_protocol::commands::ALL);
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("src-tauri/capabilities/**/*")
        .app_manifest(manifest);
    stamp_ui_dist(Path::new("ui/dist"));
    check_command_contract();
    tauri_build::try_build(attributes).expect("tauri build script failed");
}

/// The window's assets are embedded by `tauri::generate_context!`, but cargo does not know the
/// crate depends on ui/dist's contents: after a new Trunk build it could keep serving the old
/// embedding (a new index.html naming a wasm file that was never embedded). A fingerprint of the
/// folder, passed as a compile-time variable, makes every UI change recompile and re-embed.
fn stamp_ui_dist(dist: &Path) {
    println!("cargo:rerun-if-changed={}", dist.display());
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    let mut entries: Vec<_> = std::fs::read_dir(dist)
        .map(|d| d.flatten().collect())
        .unwrap_or_default();
    if entries.is_empty() {
        println!(
            "cargo:warning=ui/dist is missing: build the UI first (`cd ui && trunk build --offline`, done by .ci/start and .ci/test)"
        );
    }
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        println!("cargo:rerun-if-changed={}", entry.path().display());
        entry.file_name().hash(&mut hasher);
        if let Ok(meta) = entry.metadata() {
            meta.len().hash(&mut hasher);
            meta.modified().ok().hash(&mut hasher);
        }
    }
    println!(
        "cargo:rustc-env=CREMMY_UI_DIST_STAMP={:016x}",
        hasher.finish()
    );
}

/// A command added in one place and not the others fails the build, not the window at run time.
fn check_command_contract() {
    for f in command_contract::FILES {
        println!("cargo:rerun-if-changed={f}");
    }
    let texts = command_contract::read(Path::new("."));
    let problems = command_contract::check(
        cremmy_protocol::commands::ALL,
        &command_contract::Sources::of(&texts),
    );
    if !problems.is_empty() {
        panic!(
            "the commands, their registration, the capability file and ui/src/api.rs disagree:\n  {}",
            problems.join("\n  ")
        );
    }
}
