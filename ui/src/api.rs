//! The only place the UI talks to the backend: one typed function per command. Every call returns
//! `Result<T, ApiError>`; a failed IPC call becomes `ErrorCode::Transport`, never a panic.

use cremmy_protocol::{commands, ApiError, DatabaseStatus, DoctorReport, ErrorCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], js_name = invoke, catch)]
    async fn tauri_invoke(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;
}

#[derive(Serialize)]
struct NoArgs {}

fn transport_error(detail: impl std::fmt::Debug) -> ApiError {
    ApiError { code: ErrorCode::Transport, message: format!("The app's backend did not answer as expected: {detail:?}") }
}

async fn call<A: Serialize, T: DeserializeOwned>(command: &str, args: &A) -> Result<T, ApiError> {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    let args = args.serialize(&serializer).map_err(transport_error)?;
    match tauri_invoke(command, args).await {
        Ok(value) => serde_wasm_bindgen::from_value(value).map_err(transport_error),
        Err(error) => Err(serde_wasm_bindgen::from_value::<ApiError>(error.clone()).unwrap_or_else(|_| transport_error(error))),
    }
}

pub async fn app_status() -> Result<DatabaseStatus, ApiError> {
    call(commands::APP_STATUS, &NoArgs {}).await
}

pub async fn doctor() -> Result<DoctorReport, ApiError> {
    call(commands::DOCTOR, &NoArgs {}).await
}
