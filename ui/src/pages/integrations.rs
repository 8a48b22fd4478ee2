//! One card per integration with its real state (from the backend).

use cremmy_protocol::IntegrationState;
use leptos::prelude::*;

use crate::api;

#[component]
pub fn IntegrationsPage() -> impl IntoView {
    let report = LocalResource::new(api::doctor);
    view! {
        <header class="page-header"><h1>"Integrations"</h1></header>
        <Transition fallback=|| view! { <p class="muted">"Checking…"</p> }>
            {move || report.get().map(|r| match r {
                Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                Ok(report) => view! {
                    <div class="integration-grid">
                        {report.integrations.into_iter().map(|i| {
                            let state = match i.state { IntegrationState::NotConfigured => "Not configured" };
                            view! {
                                <section class="card integration" data-provider=format!("{:?}", i.provider).to_lowercase()>
                                    <h2>{i.provider.display_name()}</h2>
                                    <p class="state">{state}</p>
                                    {(!i.base_url.is_empty()).then(|| view! { <p class="muted small">{i.base_url}</p> })}
                                </section>
                            }
                        }).collect_view()}
                    </div>
                }.into_any(),
            })}
        </Transition>
    }
}
