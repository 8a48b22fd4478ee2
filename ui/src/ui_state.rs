//! State shared across pages: where the user is, toasts, theme, and a "data changed" counter that
//! pages watch to refetch after a write anywhere.

use cremmy_protocol::crm::Id;
use cremmy_protocol::ApiError;
use leptos::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Today,
    Clients,
    Client(Id),
    Board,
    Tasks,
    Reports,
    Integrations,
    SyncHistory,
    Settings,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    pub id: u64,
    pub error: bool,
    pub text: String,
    /// A provider page to open from the toast (a spreadsheet just exported…).
    pub link: Option<String>,
}

/// Everything pages share; `Copy` because it is only signals.
#[derive(Clone, Copy)]
pub struct Ui {
    pub route: RwSignal<Route>,
    pub toasts: RwSignal<Vec<Toast>>,
    next_toast: RwSignal<u64>,
    /// Bumped after every successful write; resources that show data depend on it.
    pub revision: RwSignal<u64>,
    pub palette_open: RwSignal<bool>,
    /// The "?" overlay listing the keyboard shortcuts.
    pub shortcuts_open: RwSignal<bool>,
    /// Clients opened lately, most recent first (kept across restarts); the palette lists them
    /// first.
    pub recent: RwSignal<Vec<(Id, String)>>,
    /// What this machine's stored choices are kept under: the database file, so recent clients
    /// and list columns of one data folder never show in another.
    pub scope: StoredValue<String>,
    pub new_client_open: RwSignal<bool>,
    pub dark: RwSignal<bool>,
    /// The background engine (status bar, Integrations, outbox), pushed by the backend.
    pub engine: RwSignal<cremmy_protocol::engine::EngineStatus>,
}

impl Ui {
    pub fn new(database_path: &str) -> Ui {
        let dark = stored_theme().unwrap_or_else(prefers_dark);
        let ui = Ui {
            route: RwSignal::new(Route::Today),
            toasts: RwSignal::new(Vec::new()),
            next_toast: RwSignal::new(0),
            revision: RwSignal::new(0),
            palette_open: RwSignal::new(false),
            shortcuts_open: RwSignal::new(false),
            recent: RwSignal::new(stored_recent(database_path)),
            scope: StoredValue::new(database_path.to_string()),
            new_client_open: RwSignal::new(false),
            dark: RwSignal::new(dark),
            engine: RwSignal::new(Default::default()),
        };
        apply_theme(dark);
        ui
    }

    pub fn go(&self, route: Route) {
        self.route.set(route);
        self.palette_open.set(false);
    }

    pub fn changed(&self) {
        self.revision.update(|r| *r += 1);
    }

    pub fn ok(&self, text: impl Into<String>) {
        self.push(false, text.into(), None);
    }

    /// A success toast with an "Open" link (kept on screen longer).
    pub fn ok_with_link(&self, text: impl Into<String>, link: String) {
        self.push(false, text.into(), Some(link));
    }

    pub fn error(&self, error: &ApiError) {
        self.push(true, error.message.clone(), None);
    }

    fn push(&self, error: bool, text: String, link: Option<String>) {
        let id = self.next_toast.get_untracked();
        self.next_toast.set(id + 1);
        let lasting = error || link.is_some();
        self.toasts.update(|t| {
            t.push(Toast {
                id,
                error,
                text,
                link,
            })
        });
        let toasts = self.toasts;
        set_timeout(
            move || toasts.update(|t| t.retain(|x| x.id != id)),
            std::time::Duration::from_millis(if lasting { 8000 } else { 4000 }),
        );
    }

    /// Remembers that the client was opened (first in the palette's recent items).
    pub fn opened_client(&self, id: Id, name: &str) {
        let mut list = self.recent.get_untracked();
        list.retain(|(other, _)| *other != id);
        list.insert(0, (id, name.to_string()));
        list.truncate(RECENT_LIMIT);
        if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let text: Vec<String> = list
                .iter()
                .map(|(id, name)| format!("{id}\t{name}"))
                .collect();
            let _ = storage.set_item(&self.key(RECENT_KEY), &text.join("\n"));
        }
        self.recent.set(list);
    }

    /// A local-storage key for this database.
    pub fn key(&self, name: &str) -> String {
        scoped(name, &self.scope.get_value())
    }

    /// The client whose page is open, with its name.
    pub fn open_client(&self) -> Option<(Id, String)> {
        match self.route.get_untracked() {
            Route::Client(id) => self
                .recent
                .with_untracked(|r| r.iter().find(|(c, _)| *c == id).cloned()),
            _ => None,
        }
    }

    pub fn toggle_theme(&self) {
        let dark = !self.dark.get_untracked();
        self.dark.set(dark);
        apply_theme(dark);
        if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = storage.set_item("cremmy-theme", if dark { "dark" } else { "light" });
        }
    }
}

pub fn use_ui() -> Ui {
    expect_context::<Ui>()
}

const RECENT_KEY: &str = "cremmy-recent-clients";
const RECENT_LIMIT: usize = 8;

/// "id<TAB>name" lines; anything unreadable is skipped.
fn scoped(name: &str, database_path: &str) -> String {
    format!("{name}:{database_path}")
}

fn stored_recent(database_path: &str) -> Vec<(Id, String)> {
    let Some(text) = web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| {
            s.get_item(&scoped(RECENT_KEY, database_path))
                .ok()
                .flatten()
        })
    else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|l| {
            let (id, name) = l.split_once('\t')?;
            Some((id.parse().ok()?, name.to_string()))
        })
        .take(RECENT_LIMIT)
        .collect()
}

fn stored_theme() -> Option<bool> {
    let storage = web_sys::window()?.local_storage().ok()??;
    storage.get_item("cremmy-theme").ok()?.map(|t| t == "dark")
}

fn prefers_dark() -> bool {
    web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .map(|m| m.matches())
        .unwrap_or(false)
}

fn apply_theme(dark: bool) {
    if let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = root.set_attribute("data-theme", if dark { "dark" } else { "light" });
    }
}

/// Runs a backend call; on error shows a toast, on success runs `then`.
pub fn run<T: 'static>(
    ui: Ui,
    call: impl std::future::Future<Output = Result<T, ApiError>> + 'static,
    then: impl FnOnce(T) + 'static,
) {
    leptos::task::spawn_local(async move {
        match call.await {
            Ok(value) => then(value),
            Err(error) => ui.error(&error),
        }
    });
}
