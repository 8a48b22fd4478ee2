//! Settings → Data: back up now (optionally sealed with a passphrase), the backups with "Restore"
//! (checked now, put in place when Cremmy next starts), and the full JSON export.

use cremmy_protocol::data::{BackupInfo, BackupRequest, ExportMade, RestoreRequest};
use leptos::prelude::*;

use crate::api;
use crate::ui_state::{run, use_ui};

fn size_text(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / f64::from(1 << 20)),
        b if b >= 1 << 10 => format!("{} KB", b >> 10),
        b => format!("{b} bytes"),
    }
}

fn when_text(ms: i64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    date.to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED)
        .as_string()
        .unwrap_or_default()
}

#[component]
pub fn DataSettings() -> impl IntoView {
    let ui = use_ui();
    let backups = LocalResource::new(move || {
        ui.revision.track();
        api::list_backups()
    });
    let passphrase = RwSignal::new(String::new());
    // The backup being restored, and the passphrase typed for it (sealed ones).
    let choosing = RwSignal::new(None::<BackupInfo>);
    let restore_passphrase = RwSignal::new(String::new());
    let pending = RwSignal::new(None::<String>);
    let back_up = move |_| {
        let secret = passphrase.get_untracked();
        let request = BackupRequest {
            passphrase: (!secret.is_empty()).then_some(secret),
        };
        run(ui, api::backup_now(request), move |path: String| {
            passphrase.set(String::new());
            ui.ok(&format!("Backed up to {path}"));
            ui.changed();
        });
    };
    let export = move |_| {
        run(ui, api::export_everything(), move |made: ExportMade| {
            ui.ok(&format!("Exported {} rows to {}", made.rows, made.path));
        });
    };
    let confirm_restore = move |_| {
        let Some(backup) = choosing.get_untracked() else {
            return;
        };
        let secret = restore_passphrase.get_untracked();
        let request = RestoreRequest {
            name: backup.name.clone(),
            passphrase: (!secret.is_empty()).then_some(secret),
        };
        run(ui, api::restore_backup(request), move |b: BackupInfo| {
            choosing.set(None);
            restore_passphrase.set(String::new());
            pending.set(Some(b.name));
        });
    };
    view! {
        <section class="card" id="data-settings">
            <h2>"Data"</h2>
            <p class="muted small">"Cremmy keeps a backup of your database each day for a week, in the backups folder beside it. A backup sealed with a passphrase opens only with it (and with the age tool); Cremmy cannot recover a lost passphrase."</p>
            <div class="row">
                <label class="field inline">
                    <span>"Passphrase (optional, 10 characters or more)"</span>
                    <input id="backup-passphrase" type="password" autocomplete="new-password" prop:value=passphrase
                        on:input=move |e| passphrase.set(event_target_value(&e)) />
                </label>
                <button class="button secondary" id="backup-now" on:click=back_up>
                    {move || if passphrase.get().is_empty() { "Back up now" } else { "Back up now, sealed" }}
                </button>
                <button class="button secondary" id="export-everything" on:click=export>"Export everything (JSON)"</button>
            </div>
            {move || pending.get().map(|name| view! {
                <p class="notice" id="restore-pending">
                    {format!("{name} is checked and will be restored when Cremmy starts next (the current database is kept in the backups folder). ")}
                    <button class="button" id="restart-now" on:click=move |_| run(ui, api::restart_app(), |_| ())>"Restart now"</button>
                </p>
            })}
            <h3>"Backups"</h3>
            <Transition fallback=|| ()>
                {move || backups.get().map(|r| match r {
                    Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="muted" id="no-backups">"No backups yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="list" id="backup-list">
                            {list.into_iter().map(|b| {
                                let chosen = b.clone();
                                let name = b.name.clone();
                                view! {
                                    <li class="backup" data-name=name.clone()>
                                        <span class="name">{name.clone()}</span>
                                        <span class="muted small">{format!(" {} · {}", when_text(b.made_at), size_text(b.size_bytes))}</span>
                                        {b.sealed.then(|| view! { <span class="badge">"sealed"</span> })}
                                        <button class="button secondary restore" on:click=move |_| {
                                            restore_passphrase.set(String::new());
                                            choosing.set(Some(chosen.clone()));
                                        }>"Restore…"</button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                })}
            </Transition>
            {move || choosing.get().map(|b| view! {
                <div class="confirm" id="restore-confirm">
                    <p>{format!("Restore {}? The data as it is now is kept as a backup first.", b.name)}</p>
                    {b.sealed.then(|| view! {
                        <label class="field inline">
                            <span>"Its passphrase"</span>
                            <input id="restore-passphrase" type="password" prop:value=restore_passphrase
                                on:input=move |e| restore_passphrase.set(event_target_value(&e)) />
                        </label>
                    })}
                    <button class="button" id="restore-confirm-button" on:click=confirm_restore>"Check and restore at the next start"</button>
                    <button class="button secondary" on:click=move |_| choosing.set(None)>"Cancel"</button>
                </div>
            })}
        </section>
    }
}
