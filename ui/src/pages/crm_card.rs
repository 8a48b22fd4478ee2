//! A CRM's part of its Integrations card (HubSpot, Pipedrive): connect with a pasted token
//! (checked by the CRM before anything is stored), then the first import: a preview of the won
//! customers against Cremmy's clients (new, will merge, conflicts with both values, already
//! linked) and the import the user confirms, with a choice per conflict; then the sync's
//! conflict rule and the conflicts it resolved.

use std::collections::BTreeSet;

use cremmy_protocol::accounts::{Account, AccountStatus};
use cremmy_protocol::crm_sync::{
    ConflictRule, CrmSyncSettings, ImportAction, ImportDecision, ImportPreview, RecordKind,
    SyncDirection,
};
use cremmy_protocol::Provider;
use leptos::prelude::*;

use crate::api;
use crate::ui_state::{run, use_ui};

/// What a CRM's card says: its name, where its token comes from, what the token looks like.
#[derive(Clone, Copy)]
struct CrmCopy {
    name: &'static str,
    help: &'static str,
    token_label: &'static str,
    placeholder: &'static str,
}

fn copy_of(provider: Provider) -> CrmCopy {
    match provider {
        Provider::Pipedrive => CrmCopy {
            name: "Pipedrive",
            help: "Your Pipedrive customers in Cremmy: the organizations and people behind your won deals, matched to your clients by email, imported once you have seen the preview. In Pipedrive, open Settings → Personal preferences → API and paste your personal API token. Cremmy keeps it in your system keychain.",
            token_label: "Personal API token",
            placeholder: "40 letters and digits",
        },
        _ => CrmCopy {
            name: "HubSpot",
            help: "Your HubSpot customers in Cremmy: the companies and contacts behind your won deals, matched to your clients by email and domain, imported once you have seen the preview. In HubSpot, make a private app (Settings → Integrations → Private Apps) with the CRM scopes for companies, contacts and deals (read and write) and deal schemas (read), and paste its access token. Cremmy keeps it in your system keychain.",
            token_label: "Private app access token",
            placeholder: "pat-na1-…",
        },
    }
}

#[component]
pub fn CrmSettings(
    provider: Provider,
    accounts: LocalResource<api::Reply<Vec<Account>>>,
) -> impl IntoView {
    let copy = copy_of(provider);
    let key = provider.key();
    let account = move || -> Option<Account> {
        accounts.get().and_then(Result::ok).and_then(|l| {
            l.into_iter()
                .find(|a| a.provider == provider && a.status != AccountStatus::Disconnected)
        })
    };
    view! {
        <div class="provider-settings" id=format!("{key}-settings")>
            <p class="muted small">{copy.help}</p>
            {move || match account() {
                Some(a) if a.status == AccountStatus::Connected => view! {
                    <Connected provider=provider account=a />
                }.into_any(),
                Some(a) => view! {
                    <p class="error small" id=format!("{key}-reconnect")>{a.problem.clone().unwrap_or_else(|| format!("{} no longer accepts the token.", copy.name))}</p>
                    <TokenForm provider=provider />
                }.into_any(),
                None => view! { <p class="state">"Not connected"</p><TokenForm provider=provider /> }.into_any(),
            }}
        </div>
    }
}

#[component]
fn TokenForm(provider: Provider) -> impl IntoView {
    let ui = use_ui();
    let copy = copy_of(provider);
    let key = provider.key();
    let token = RwSignal::new(String::new());
    let connect = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        run(
            ui,
            api::connect_crm(provider, token.get_untracked()),
            move |a| {
                token.set(String::new());
                ui.ok(format!("Connected {}", a.email));
                ui.changed();
            },
        );
    };
    view! {
        <form on:submit=connect>
            <label class="field"><span>{copy.token_label}</span>
                <input id=format!("{key}-token") type="password" autocomplete="off" placeholder=copy.placeholder prop:value=move || token.get() on:input=move |e| token.set(event_target_value(&e)) on:change=move |e| token.set(event_target_value(&e)) />
            </label>
            <button type="submit" class="button primary" id=format!("{key}-connect")>{format!("Connect {}", copy.name)}</button>
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
fn Connected(provider: Provider, account: Account) -> impl IntoView {
    let ui = use_ui();
    let name = copy_of(provider).name;
    let key = provider.key();
    let id = account.id;
    let preview: RwSignal<Option<ImportPreview>> = RwSignal::new(None);
    let remote_wins: RwSignal<BTreeSet<String>> = RwSignal::new(BTreeSet::new());
    let busy = RwSignal::new(false);
    let syncing = RwSignal::new(false);
    let sync_now = move |_| {
        super::integrations::sync_account_runs(ui, id, syncing, move |runs| {
            let n: i64 = runs.iter().map(|r| r.created).sum();
            format!("{name} synced: {n} change(s) either way.")
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
                        "Imported from {name}: {} new, {} merged, {} already linked.",
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
                    <strong id=format!("{key}-connected")>{account.email.clone()}</strong>
                    <span class="badge ok">"Connected"</span>
                </div>
                <div class="actions">
                    <button class="button secondary small" id="crm-preview" disabled=move || busy.get() on:click=load>
                        {move || if busy.get() { format!("Reading {name}…") } else { "Preview import".to_string() }}
                    </button>
                    <button class="button secondary small" id=format!("{key}-sync-now") disabled=move || syncing.get() on:click=sync_now>
                        {move || if syncing.get() { "Syncing…" } else { "Sync now" }}
                    </button>
                </div>
            </li>
        </ul>
        <SyncSettings name=name account_id=id />
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
                    <h2>{format!("Import from {name}")}</h2>
                    <p class="small"><strong>{p.profile.name.clone()}</strong>" · "{p.profile.currency.clone()}" · "{p.profile.time_zone.clone()}</p>
                    <p class="small" id="crm-preview-counts">{counts}</p>
                    <p class="muted small">{format!("Nothing is written until you import. Where both sides hold a field with different values, Cremmy's stays unless you tick {name}'s.")}</p>
                    <table class="table" id="crm-preview-rows">
                        <thead><tr><th>"Record"</th><th>"Name"</th><th>"Detail"</th><th>"Import"</th><th>"Differences"</th></tr></thead>
                        <tbody>
                            {p.rows.iter().map(|r| {
                                let (label, tone) = action_label(r.action);
                                let remote_id = r.remote_id.clone();
                                let differences = r.differences.iter().map(|d| format!("{}: Cremmy “{}”, {name} “{}”", d.field, d.cremmy, d.remote)).collect::<Vec<_>>().join("; ");
                                let pick = (r.action == ImportAction::Conflict).then(|| {
                                    let key = remote_id.clone();
                                    view! {
                                        <label class="small"><input type="checkbox" class="crm-remote-wins" data-remote-id=remote_id.clone() on:change=move |e| {
                                            let on = event_target_checked(&e);
                                            remote_wins.update(|s| { if on { s.insert(key.clone()); } else { s.remove(&key); } });
                                        } />{format!(" Use {name}'s")}</label>
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

fn direction_label(d: SyncDirection, name: &str) -> String {
    match d {
        SyncDirection::Both => "Both ways".into(),
        SyncDirection::Pull => format!("From {name} only"),
        SyncDirection::Push => format!("To {name} only"),
        SyncDirection::Off => "Not synced".into(),
    }
}

/// Who wins a field changed on both sides, and the conflicts resolved so far with both values.
#[component]
fn SyncSettings(name: &'static str, account_id: i64) -> impl IntoView {
    let ui = use_ui();
    let settings = LocalResource::new(move || {
        ui.revision.track();
        api::crm_sync_settings(account_id)
    });
    let conflicts = LocalResource::new(move || {
        ui.revision.track();
        api::crm_conflicts(account_id)
    });
    let current = move || {
        settings
            .get_untracked()
            .and_then(Result::ok)
            .unwrap_or(CrmSyncSettings {
                account_id,
                ..CrmSyncSettings::default()
            })
    };
    let save = move |s: CrmSyncSettings, what: &'static str| {
        run(ui, api::set_crm_sync_settings(s), move |_| ui.ok(what));
    };
    let choose = move |e: leptos::ev::Event| {
        let mut s = current();
        s.conflict_rule = ConflictRule::parse(&event_target_value(&e)).unwrap_or_default();
        save(s, "Conflict rule saved.");
    };
    let rule_now = move || {
        settings
            .get()
            .and_then(Result::ok)
            .map(|s| s.conflict_rule.as_str())
            .unwrap_or("last_writer_wins")
    };
    let direction = move |kind: RecordKind, label: &'static str| {
        let pick = move |e: leptos::ev::Event| {
            if let Some(d) = SyncDirection::parse(&event_target_value(&e)) {
                let mut s = current();
                s.directions.set(kind, d);
                save(s, "Sync directions saved.");
            }
        };
        let now = move || {
            settings
                .get()
                .and_then(Result::ok)
                .map(|s| s.directions.of(kind).as_str())
                .unwrap_or("both")
        };
        view! {
            <label class="field"><span>{label}</span>
                <select class="crm-direction" data-kind=kind_label(kind) on:change=pick prop:value=now>
                    {SyncDirection::ALL.into_iter().map(|d| view! {
                        <option value=d.as_str()>{direction_label(d, name)}</option>
                    }).collect_view()}
                </select>
            </label>
        }
    };
    view! {
        <p class="muted small">"Every sync keeps the imported companies, contacts and won deals in step, each kind the way chosen here: names, titles, emails, phones, deal titles and values, and websites where the CRM keeps them. Deals won at the CRM later come in when deals come from it."</p>
        <div class="crm-directions" id="crm-directions">
            {direction(RecordKind::Company, "Companies")}
            {direction(RecordKind::Person, "Contacts")}
            {direction(RecordKind::Deal, "Deals")}
        </div>
        <label class="field"><span>"When both sides changed a field"</span>
            <select id="crm-conflict-rule" on:change=choose prop:value=rule_now>
                <option value="last_writer_wins">"The side changed last"</option>
                <option value="cremmy_wins">"Cremmy's value"</option>
                <option value="remote_wins">{format!("{name}'s value")}</option>
            </select>
        </label>
        {move || {
            let list = conflicts.get().and_then(Result::ok).unwrap_or_default();
            (!list.is_empty()).then(|| view! {
                <h3 class="small">"Conflicts resolved"</h3>
                <ul class="crm-conflicts small" id="crm-conflicts">
                    {list.into_iter().take(10).map(|c| {
                        let won = if c.remote_won { format!("{name}'s kept") } else { "Cremmy's kept".to_string() };
                        view! {
                            <li>{format!("{} “{}” · {}: Cremmy “{}”, {name} “{}” — {won}", kind_label(c.kind), c.name, c.field, c.cremmy, c.remote)}</li>
                        }
                    }).collect_view()}
                </ul>
            })
        }}
    }
}
