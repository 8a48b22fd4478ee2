//! HubSpot's part of its Integrations card: connect with a private app's token (checked by
//! HubSpot before anything is stored), then the first import: a preview of the won customers
//! against Cremmy's clients (new, will merge, conflicts with both values, already linked) and
//! the import the user confirms, with a choice per conflict.

use std::collections::BTreeSet;

use cremmy_protocol::accounts::{Account, AccountStatus};
use cremmy_protocol::crm_sync::{
    ConflictRule, CrmSyncSettings, ImportAction, ImportDecision, ImportPreview, RecordKind,
};
use cremmy_protocol::Provider;
use leptos::prelude::*;

use crate::api;
use crate::ui_state::{run, use_ui};

#[component]
pub fn HubSpotSettings(accounts: LocalResource<api::Reply<Vec<Account>>>) -> impl IntoView {
    let account = move || -> Option<Account> {
        accounts.get().and_then(Result::ok).and_then(|l| {
            l.into_iter().find(|a| {
                a.provider == Provider::Hubspot && a.status != AccountStatus::Disconnected
            })
        })
    };
    view! {
        <div class="provider-settings" id="hubspot-settings">
            <p class="muted small">"Your HubSpot customers in Cremmy: the companies and contacts behind your won deals, matched to your clients by email and domain, imported once you have seen the preview. In HubSpot, make a private app (Settings → Integrations → Private Apps) with the CRM scopes for companies, contacts and deals (read and write) and deal schemas (read), and paste its access token. Cremmy keeps it in your system keychain."</p>
            {move || match account() {
                Some(a) if a.status == AccountStatus::Connected => view! {
                    <Connected account=a />
                }.into_any(),
                Some(a) => view! {
                    <p class="error small" id="hubspot-reconnect">{a.problem.clone().unwrap_or_else(|| "HubSpot no longer accepts the token.".into())}</p>
                    <TokenForm />
                }.into_any(),
                None => view! { <p class="state">"Not connected"</p><TokenForm /> }.into_any(),
            }}
        </div>
    }
}

#[component]
fn TokenForm() -> impl IntoView {
    let ui = use_ui();
    let token = RwSignal::new(String::new());
    let connect = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        run(
            ui,
            api::connect_crm(Provider::Hubspot, token.get_untracked()),
            move |a| {
                token.set(String::new());
                ui.ok(format!("Connected {}", a.email));
                ui.changed();
            },
        );
    };
    view! {
        <form on:submit=connect>
            <label class="field"><span>"Private app access token"</span>
                <input id="hubspot-token" type="password" autocomplete="off" placeholder="pat-na1-…" prop:value=move || token.get() on:input=move |e| token.set(event_target_value(&e)) on:change=move |e| token.set(event_target_value(&e)) />
            </label>
            <button type="submit" class="button primary" id="hubspot-connect">"Connect HubSpot"</button>
        </form>
    }
}

fn action_label(a: ImportAction) -> (&'static str, &'static str) {
    match a {
        ImportAction::New => ("New", "ok"),
        ImportAction::Merge => ("Will merge", "merge"),
        ImportAction::Conflict => ("Conflict", "warn"),
        ImportAction::Linked => ("Already linked", "waiting"),
    }
}

fn kind_label(k: RecordKind) -> &'static str {
    match k {
        RecordKind::Company => "Company",
        RecordKind::Person => "Contact",
        RecordKind::Deal => "Won deal",
    }
}

#[component]
fn Connected(account: Account) -> impl IntoView {
    let ui = use_ui();
    let id = account.id;
    let preview: RwSignal<Option<ImportPreview>> = RwSignal::new(None);
    let remote_wins: RwSignal<BTreeSet<String>> = RwSignal::new(BTreeSet::new());
    let busy = RwSignal::new(false);
    let syncing = RwSignal::new(false);
    let sync_now = move |_| {
        super::integrations::sync_account_now(ui, id, syncing, |n| {
            format!("HubSpot synced: {n} change(s) either way.")
        })
    };
    let load = move |_| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            match api::crm_import_preview(id).await {
                Ok(p) => {
                    remote_wins.set(BTreeSet::new());
                    preview.set(Some(p));
                }
                Err(e) => ui.error(&e),
            }
            busy.set(false);
        });
    };
    let import = move |_| {
        let decision = ImportDecision {
            account_id: id,
            remote_wins: remote_wins.get_untracked().into_iter().collect(),
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            match api::crm_import(decision).await {
                Ok(r) => {
                    preview.set(None);
                    ui.ok(format!(
                        "Imported from HubSpot: {} new, {} merged, {} already linked.",
                        r.created, r.merged, r.unchanged
                    ));
                    ui.changed();
                }
                Err(e) => ui.error(&e),
            }
            busy.set(false);
        });
    };
    view! {
        <ul class="accounts">
            <li class="account" data-status="connected">
                <div>
                    <strong id="hubspot-connected">{account.email.clone()}</strong>
                    <span class="badge ok">"Connected"</span>
                </div>
                <div class="actions">
                    <button class="button secondary small" id="crm-preview" disabled=move || busy.get() on:click=load>
                        {move || if busy.get() { "Reading HubSpot…" } else { "Preview import" }}
                    </button>
                    <button class="button secondary small" id="hubspot-sync-now" disabled=move || syncing.get() on:click=sync_now>
                        {move || if syncing.get() { "Syncing…" } else { "Sync now" }}
                    </button>
                </div>
            </li>
        </ul>
        <SyncSettings account_id=id />
        {move || preview.get().map(|p| {
            let counts = format!(
                "{} new · {} will merge · {} conflicts · {} already linked",
                p.count(ImportAction::New),
                p.count(ImportAction::Merge),
                p.count(ImportAction::Conflict),
                p.count(ImportAction::Linked),
            );
            let nothing = p.rows.iter().all(|r| r.action == ImportAction::Linked);
            view! {
                <div class="overlay" on:click=move |_| preview.set(None)>
                <div class="dialog wide crm-preview" id="crm-preview-panel" on:click=|e| e.stop_propagation()>
                    <h2>"Import from HubSpot"</h2>
                    <p class="small"><strong>{p.profile.name.clone()}</strong>" · "{p.profile.currency.clone()}" · "{p.profile.time_zone.clone()}</p>
                    <p class="small" id="crm-preview-counts">{counts}</p>
                    <p class="muted small">"Nothing is written until you import. Where both sides hold a field with different values, Cremmy's stays unless you tick HubSpot's."</p>
                    <table class="table" id="crm-preview-rows">
                        <thead><tr><th>"Record"</th><th>"Name"</th><th>"Detail"</th><th>"Import"</th><th>"Differences"</th></tr></thead>
                        <tbody>
                            {p.rows.iter().map(|r| {
                                let (label, tone) = action_label(r.action);
                                let remote_id = r.remote_id.clone();
                                let differences = r.differences.iter().map(|d| format!("{}: Cremmy “{}”, HubSpot “{}”", d.field, d.cremmy, d.remote)).collect::<Vec<_>>().join("; ");
                                let pick = (r.action == ImportAction::Conflict).then(|| {
                                    let key = remote_id.clone();
                                    view! {
                                        <label class="small"><input type="checkbox" class="crm-remote-wins" data-remote-id=remote_id.clone() on:change=move |e| {
                                            let on = event_target_checked(&e);
                                            remote_wins.update(|s| { if on { s.insert(key.clone()); } else { s.remove(&key); } });
                                        } />" Use HubSpot's"</label>
                                    }
                                });
                                view! {
                                    <tr class="crm-row" data-action=label>
                                        <td>{kind_label(r.kind)}</td>
                                        <td>{r.name.clone()}</td>
                                        <td class="muted">{r.detail.clone()}</td>
                                        <td><span class=format!("badge {tone}")>{label}</span></td>
                                        <td class="small">{differences}" "{pick}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                    <div class="actions">
                        <button class="button primary" id="crm-import" disabled=move || busy.get() || nothing on:click=import>"Import"</button>
                        <button class="button secondary" on:click=move |_| preview.set(None)>"Cancel"</button>
                    </div>
                </div>
                </div>
            }
        })}
    }
}

/// Who wins a field changed on both sides, and the conflicts resolved so far with both values.
#[component]
fn SyncSettings(account_id: i64) -> impl IntoView {
    let ui = use_ui();
    let settings = LocalResource::new(move || {
        ui.revision.track();
        api::crm_sync_settings(account_id)
    });
    let conflicts = LocalResource::new(move || {
        ui.revision.track();
        api::crm_conflicts(account_id)
    });
    let choose = move |e: leptos::ev::Event| {
        let rule = match event_target_value(&e).as_str() {
            "cremmy_wins" => ConflictRule::CremmyWins,
            "remote_wins" => ConflictRule::RemoteWins,
            _ => ConflictRule::LastWriterWins,
        };
        let s = CrmSyncSettings {
            account_id,
            conflict_rule: rule,
        };
        run(ui, api::set_crm_sync_settings(s), move |_| {
            ui.ok("Conflict rule saved.")
        });
    };
    let current = move || {
        settings
            .get()
            .and_then(Result::ok)
            .map(|s| s.conflict_rule.as_str())
            .unwrap_or("last_writer_wins")
    };
    view! {
        <p class="muted small">"Every sync keeps the imported companies, contacts and won deals in step both ways: names, websites, titles, emails, phones, deal titles and values. A field changed on both sides since the last sync goes to:"</p>
        <label class="field"><span>"When both sides changed a field"</span>
            <select id="crm-conflict-rule" on:change=choose prop:value=current>
                <option value="last_writer_wins">"The side changed last"</option>
                <option value="cremmy_wins">"Cremmy's value"</option>
                <option value="remote_wins">"HubSpot's value"</option>
            </select>
        </label>
        {move || {
            let list = conflicts.get().and_then(Result::ok).unwrap_or_default();
            (!list.is_empty()).then(|| view! {
                <h3 class="small">"Conflicts resolved"</h3>
                <ul class="crm-conflicts small" id="crm-conflicts">
                    {list.into_iter().take(10).map(|c| {
                        let won = if c.remote_won { "HubSpot's kept" } else { "Cremmy's kept" };
                        view! {
                            <li>{format!("{} “{}” · {}: Cremmy “{}”, HubSpot “{}” — {won}", kind_label(c.kind), c.name, c.field, c.cremmy, c.remote)}</li>
                        }
                    }).collect_view()}
                </ul>
            })
        }}
    }
}
