//! `cremmy://` links from the OS (deep-link plugin; a second `cremmy URL` is forwarded here by
//! the single-instance plugin) and the events they cause in the window. Links are classified by
//! the core; only the two known shapes do anything.

use std::sync::Mutex;

use cremmy_core::deep_link::{self, DeepLink};
use cremmy_core::HasErrorCode;
use cremmy_protocol::accounts::AppEvent;
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager};

use crate::desktop::Backend;

/// The window's event channel, and what happened before it subscribed (a link that started the app).
#[derive(Default)]
pub struct WindowEvents {
    channel: Mutex<Option<Channel<AppEvent>>>,
    backlog: Mutex<deep_link::Backlog<AppEvent>>,
}

impl WindowEvents {
    pub fn send(&self, event: AppEvent) {
        let channel = self.channel.lock().unwrap_or_else(|p| p.into_inner());
        match channel.as_ref() {
            Some(c) if c.send(event.clone()).is_ok() => {}
            _ => self
                .backlog
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(event),
        }
    }

    /// A state update: only a subscribed window wants it (the next one is as good when it
    /// subscribes later), so it is never kept in the backlog.
    pub fn send_live(&self, event: AppEvent) {
        let channel = self.channel.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = channel.as_ref() {
            let _ = c.send(event);
        }
    }

    /// A (re)loaded window subscribes; it gets the backlog first.
    pub fn subscribe(&self, channel: Channel<AppEvent>) {
        let backlog: Vec<AppEvent> = self
            .backlog
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        for event in backlog {
            let _ = channel.send(event);
        }
        *self.channel.lock().unwrap_or_else(|p| p.into_inner()) = Some(channel);
    }
}

/// Brings the main window to the front (a link arrived, or a second `cremmy` was started).
pub fn focus_main(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
}

/// Handles one link from the OS.
pub fn handle(app: &AppHandle, url: &str) {
    focus_main(app);
    let events = app.state::<WindowEvents>();
    match deep_link::classify(url) {
        Err(e) => events.send(AppEvent::LinkRefused {
            message: e.to_string(),
        }),
        Ok(DeepLink::OpenClient(id)) => events.send(AppEvent::OpenClient { id }),
        Ok(DeepLink::OAuthCallback(url)) => {
            let backend = app.state::<Backend>();
            let Ok(accounts) = backend.opened().map(|o| o.accounts.clone()) else {
                return;
            };
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                let event = match accounts.deliver_callback(&url).await {
                    None => return, // the Connect button that started it reports the outcome
                    Some(Ok(account)) => AppEvent::Connected { account },
                    Some(Err(e)) => AppEvent::SignInFailed {
                        error: e.to_api_error(),
                    },
                };
                app.state::<WindowEvents>().send(event);
            });
        }
    }
}
