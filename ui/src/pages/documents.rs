//! Proposals and contracts from Google Docs templates: the client page's "Generate" dialog (the
//! template's variables are shown first; unknown or unfilled ones block generation) and the
//! Settings card where the template documents are chosen.

use cremmy_protocol::crm::{DocumentKind, Id};
use cremmy_protocol::docs::{DocPreview, DocRequest, DocTemplates, TemplateMade, TemplateUpload};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::forms::Field;
use crate::api;
use crate::ui_state::{run, use_ui};

#[component]
pub fn GenerateDocument(client_id: Id, open: RwSignal<bool>) -> impl IntoView {
    let ui = use_ui();
    let kind = RwSignal::new(DocumentKind::Proposal);
    let preview = LocalResource::new(move || {
        let kind = kind.get();
        async move {
            if !open.get_untracked() {
                return None;
            }
            Some(
                api::preview_document(DocRequest {
                    client_id,
                    kind,
                    deal_id: None,
                })
                .await,
            )
        }
    });
    let busy = RwSignal::new(false);
    let generate = move |_| {
        busy.set(true);
        let request = DocRequest {
            client_id,
            kind: kind.get_untracked(),
            deal_id: None,
        };
        leptos::task::spawn_local(async move {
            match api::generate_document(request).await {
                Ok(done) => {
                    open.set(false);
                    ui.ok_with_link(
                        format!(
                            "{} is ready in the client's Drive folder.",
                            done.document.title
                        ),
                        done.document.url.unwrap_or_default(),
                    );
                    ui.changed();
                }
                Err(e) => ui.error(&e),
            }
            busy.set(false);
        });
    };
    let blocked = move || {
        preview.get().flatten().is_none_or(|r| {
            r.is_err()
                || r.as_ref()
                    .is_ok_and(|p| !p.unknown.is_empty() || !p.missing.is_empty())
        })
    };
    view! {
        <div class="overlay" on:click=move |_| open.set(false)>
            <div class="dialog wide" id="generate-document" on:click=|e| e.stop_propagation()>
                <h2>"Generate a document"</h2>
                <label class="field"><span>"Kind"</span>
                    <select id="document-kind" on:change=move |e| kind.set(if event_target_value(&e) == "contract" { DocumentKind::Contract } else { DocumentKind::Proposal })>
                        <option value="proposal">"Proposal"</option>
                        <option value="contract">"Contract"</option>
                    </select>
                </label>
                <Transition fallback=|| view! { <p class="muted">"Reading the template…"</p> }>
                    {move || preview.get().flatten().map(|r| match r {
                        Err(e) => view! { <p class="error" id="document-problem">{e.message}</p> }.into_any(),
                        Ok(p) => view! { <PreviewView preview=p /> }.into_any(),
                    })}
                </Transition>
                <div class="actions">
                    <button type="button" class="button secondary" on:click=move |_| open.set(false)>"Cancel"</button>
                    <button type="button" class="button primary" id="document-generate" disabled=move || busy.get() || blocked() on:click=generate>
                        {move || if busy.get() { "Generating…" } else { "Generate" }}
                    </button>
                </div>
            </div>
        </div>
    }
}

#[component]
fn PreviewView(preview: DocPreview) -> impl IntoView {
    let list = |v: &[String]| {
        v.iter()
            .map(|n| format!("{{{{{n}}}}}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    view! {
        <p class="small">"Template: "<strong>{preview.template_title.clone()}</strong></p>
        <p class="muted small" id="document-variables">{format!("Fills in: {}", if preview.variables.is_empty() { "nothing".to_string() } else { list(&preview.variables) })}</p>
        {(!preview.unknown.is_empty()).then(|| view! { <p class="error small" id="document-unknown">{format!("Unknown variables (fix the template): {}", list(&preview.unknown))}</p> })}
        {(!preview.missing.is_empty()).then(|| view! { <p class="error small" id="document-missing">{format!("No value yet for: {}. Add a contact or a deal first.", list(&preview.missing))}</p> })}
    }
}

#[component]
pub fn DocTemplateSettings() -> impl IntoView {
    let ui = use_ui();
    let stored = LocalResource::new(move || {
        ui.revision.track();
        api::doc_templates()
    });
    view! {
        <section class="card" id="doc-template-settings">
            <h2>"Document templates"</h2>
            <Transition fallback=|| ()>
                {move || stored.get().map(|r| match r {
                    Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                    Ok(t) => view! { <TemplateLinks templates=t /> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn TemplateLinks(templates: DocTemplates) -> impl IntoView {
    let ui = use_ui();
    let proposal = RwSignal::new(templates.proposal);
    let contract = RwSignal::new(templates.contract);
    let save = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        let input = DocTemplates {
            proposal: proposal.get_untracked(),
            contract: contract.get_untracked(),
        };
        run(ui, api::set_doc_templates(input), move |_| {
            ui.ok("Document templates saved");
            ui.changed();
        });
    };
    view! {
        <form on:submit=save>
            <Field label="Proposal template (Google Doc link)" value=proposal id="template-proposal" />
            <Field label="Contract template (Google Doc link)" value=contract id="template-contract" />
            <p class="muted small">"Write {{client_name}}, {{client_website}}, {{contact_name}}, {{contact_first_name}}, {{contact_email}}, {{deal_title}}, {{deal_value}}, {{date}} or {{document_type}} where the values go. Each document is a copy in Cremmy CRM/Clients/<client>."</p>
            <p class="muted small">"Cremmy can open only the Google Docs it made or you uploaded through it (it never asks to read all your Drive). Start from a template Cremmy makes, or upload a Word file:"</p>
            <div class="actions"><button type="submit" class="button primary small" id="templates-save">"Save templates"</button></div>
        </form>
        <div class="actions">
            <MakeTemplate kind=DocumentKind::Proposal proposal contract />
            <MakeTemplate kind=DocumentKind::Contract proposal contract />
            <UploadTemplate proposal contract />
        </div>
        <CopyExistingDoc proposal contract />
    }
}

/// "Copy an existing Google Doc": needs read access to the user's Docs, asked only now, after
/// saying why.
#[component]
fn CopyExistingDoc(proposal: RwSignal<String>, contract: RwSignal<String>) -> impl IntoView {
    use cremmy_protocol::accounts::{ConnectRequest, Feature};
    use cremmy_protocol::{ErrorCode, Provider};
    let ui = use_ui();
    let link = RwSignal::new(String::new());
    let kind = RwSignal::new(DocumentKind::Proposal);
    let asking = RwSignal::new(false);
    let copy = move || {
        let (kind, link) = (kind.get_untracked(), link.get_untracked());
        let done = made(proposal, contract);
        leptos::task::spawn_local(async move {
            match api::copy_doc_template(kind, link).await {
                Ok(m) => done(m),
                Err(e) if e.code == ErrorCode::NotConfigured => asking.set(true),
                Err(e) => ui.error(&e),
            }
        });
    };
    let allow = move |_| {
        asking.set(false);
        let request = ConnectRequest {
            provider: Provider::Google,
            features: vec![Feature::Docs, Feature::DocsRead],
            login_hint: None,
        };
        run(ui, api::connect_account(request), move |_| copy());
    };
    view! {
        <div class="actions">
            <input id="template-copy-link" placeholder="…or copy an existing Google Doc: paste its link"
                prop:value=move || link.get() on:input=move |e| link.set(event_target_value(&e)) />
            <select id="template-copy-kind" on:change=move |e| kind.set(match event_target_value(&e).as_str() {
                "contract" => DocumentKind::Contract,
                _ => DocumentKind::Proposal,
            })>
                <option value="proposal">"as the proposal template"</option>
                <option value="contract">"as the contract template"</option>
            </select>
            <button type="button" class="button secondary small" id="template-copy" on:click=move |_| copy()>"Copy it"</button>
        </div>
        <Show when=move || asking.get()>
            <div class="notice" id="template-copy-permission">
                <p class="small">"To copy a Doc you made yourself, Cremmy needs Google's permission to read your Google Docs (read-only). Google will ask you now. Cremmy reads only the Doc you paste, copies its text (not its formatting) into a template it owns, and never changes your Doc. For an exact copy, download the Doc as .docx and upload it instead."</p>
                <div class="actions">
                    <button type="button" class="button primary small" id="template-copy-allow" on:click=allow>"Allow read access and copy"</button>
                    <button type="button" class="button secondary small" on:click=move |_| asking.set(false)>"Not now"</button>
                </div>
            </div>
        </Show>
    }
}

/// After a template was made or imported: the fields show it, and it opens for editing.
fn made(proposal: RwSignal<String>, contract: RwSignal<String>) -> impl Fn(TemplateMade) {
    let ui = use_ui();
    move |m: TemplateMade| {
        proposal.set(m.templates.proposal);
        contract.set(m.templates.contract);
        ui.ok("Template ready: it opens in Google Docs for you to edit");
        ui.changed();
        run(ui, api::open_provider_page(m.url), |()| {});
    }
}

#[component]
fn MakeTemplate(
    kind: DocumentKind,
    proposal: RwSignal<String>,
    contract: RwSignal<String>,
) -> impl IntoView {
    let ui = use_ui();
    let (id, text) = match kind {
        DocumentKind::Contract => ("template-create-contract", "Create a contract template"),
        _ => ("template-create-proposal", "Create a proposal template"),
    };
    view! {
        <button type="button" class="button secondary small" id=id
            on:click=move |_| run(ui, api::create_doc_template(kind), made(proposal, contract))>
            {text}
        </button>
    }
}

#[component]
fn UploadTemplate(proposal: RwSignal<String>, contract: RwSignal<String>) -> impl IntoView {
    let ui = use_ui();
    let kind = RwSignal::new(DocumentKind::Proposal);
    view! {
        <select id="template-upload-kind" on:change=move |e| kind.set(match event_target_value(&e).as_str() {
            "contract" => DocumentKind::Contract,
            _ => DocumentKind::Proposal,
        })>
            <option value="proposal">"as the proposal template"</option>
            <option value="contract">"as the contract template"</option>
        </select>
        <label class="button secondary small file-button">
            "Upload a .docx template"
            <input type="file" id="template-upload" accept=".docx,application/vnd.openxmlformats-officedocument.wordprocessingml.document"
                on:change=move |e| {
                    let Some(file) = e.target()
                        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                        .and_then(|i| i.files())
                        .and_then(|f| f.get(0)) else { return };
                    let kind = kind.get_untracked();
                    leptos::task::spawn_local(async move {
                        let bytes = match wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
                            Ok(buffer) => js_sys::Uint8Array::new(&buffer).to_vec(),
                            Err(_) => Vec::new(),
                        };
                        let upload = TemplateUpload { kind, file_name: file.name(), bytes };
                        run(ui, api::upload_doc_template(upload), made(proposal, contract));
                    });
                } />
        </label>
    }
}
