fn main() {
    // Every command the UI may call is listed here; Tauri then requires each to be granted by a
    // capability file (least privilege), instead of allowing all app commands by default.
    let manifest = tauri_build::AppManifest::new().commands(&["app_status", "doctor"]);
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("src-tauri/capabilities/**/*")
        .app_manifest(manifest);
    if !std::path::Path::new("ui/dist/index.html").exists() {
        println!(
            "cargo:warning=ui/dist is missing: build the UI first (`trunk build --config ui/Trunk.toml`, done by .ci/start and .ci/test)"
        );
    }
    tauri_build::try_build(attributes).expect("tauri build script failed");
}
