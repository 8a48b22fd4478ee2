//! Cremmy's window. Pages render plain data from the backend, fetched only through `api`.

mod api;
mod app;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
