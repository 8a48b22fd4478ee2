//! Settings → Proposal drafts: the template a deal's Gmail draft is written from (when: the default
//! rule under Automation, a deal entering Proposal). Unknown variables are refused when saved, with the list of known ones.

use cremmy_protocol::mail::DraftTemplate;
use leptos::prelude::*;

use super::forms::Field;
use crate::api;
use crate::ui_state::{run, use_ui};

#[component]
pub fn DraftSettings() -> impl IntoView {
    let ui = use_ui();
    let stored = LocalResource::new(move || {
        ui.revision.track();
        api::draft_template()
    });
    view! {
        <section class="card" id="draft-settings">
            <h2>"Proposal drafts"</h2>
            <Transition fallback=|| ()>
                {move || stored.get().map(|r| match r {
                    Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                    Ok(t) => view! { <DraftForm template=t /> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn DraftForm(template: DraftTemplate) -> impl IntoView {
    let ui = use_ui();
    let subject = RwSignal::new(template.subject);
    let body = RwSignal::new(template.body);
    let save = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        let input = DraftTemplate {
            subject: subject.get_untracked(),
            body: body.get_untracked(),
        };
        run(ui, api::save_draft_template(input), move |_| {
            ui.ok("Proposal template saved");
        });
    };
    view! {
        <form on:submit=save>
            <p class="muted small">"When a deal enters Proposal, the default rule \"Proposal draft\" under Automation writes this as a Gmail draft; change its stage or switch it off there."</p>
            <Field label="Subject" value=subject id="drafts-subject" />
            <label class="field"><span>"Message"</span>
                <textarea id="drafts-body" rows="7" prop:value=move || body.get() on:input=move |e| body.set(event_target_value(&e))></textarea>
            </label>
            <p class="muted small">"Variables: {{client_name}}, {{deal_title}}, {{deal_value}}, {{date}}, {{contact_name}}, {{contact_first_name}}, {{stage}}. A variable without a value stops the draft and leaves a task saying which."</p>
            <div class="actions"><button type="submit" class="button primary small" id="drafts-save">"Save template"</button></div>
        </form>
    }
}
