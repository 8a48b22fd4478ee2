//! Settings → Desktop: close to tray, start at login, notifications; says so when the desktop
//! has no tray (then closing the window quits).

use cremmy_protocol::engine::{DesktopSettings, DesktopState};
use leptos::prelude::*;

use crate::api;
use crate::ui_state::{run, use_ui};

#[component]
pub fn DesktopSettingsCard() -> impl IntoView {
    let ui = use_ui();
    let state = LocalResource::new(move || {
        ui.revision.track();
        api::desktop_state()
    });
    let save = move |settings: DesktopSettings, said: &'static str| {
        run(
            ui,
            api::set_desktop_settings(settings),
            move |_: DesktopState| {
                ui.ok(said);
                ui.changed();
            },
        );
    };
    view! {
        <section class="card" id="desktop-settings">
            <h2>"Desktop"</h2>
            <Transition fallback=|| ()>
                {move || state.get().map(|r| match r {
                    Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                    Ok(s) => {
                        let current = s.settings.clone();
                        let (c1, c2, c3) = (current.clone(), current.clone(), current.clone());
                        view! {
                            <label class="field inline checkbox">
                                <input id="close-to-tray" type="checkbox" prop:checked=current.close_to_tray disabled=!s.tray on:change=move |e| {
                                    let on = event_target_checked(&e);
                                    save(DesktopSettings { close_to_tray: on, ..c1.clone() }, if on { "Closing the window keeps Cremmy in the tray" } else { "Closing the window quits Cremmy" });
                                } />
                                <span>"Keep Cremmy running in the tray when the window is closed"</span>
                            </label>
                            {s.tray_note.clone().map(|note| view! { <p class="muted small" id="tray-note">{note}</p> })}
                            <label class="field inline checkbox">
                                <input id="start-at-login" type="checkbox" prop:checked=current.start_at_login on:change=move |e| {
                                    let on = event_target_checked(&e);
                                    save(DesktopSettings { start_at_login: on, ..c2.clone() }, if on { "Cremmy starts when you log in" } else { "Cremmy no longer starts at login" });
                                } />
                                <span>"Start Cremmy (in the tray) when I log in"</span>
                            </label>
                            <label class="field inline checkbox">
                                <input id="notify" type="checkbox" prop:checked=current.notify on:change=move |e| {
                                    let on = event_target_checked(&e);
                                    save(DesktopSettings { notify: on, ..c3.clone() }, if on { "Notifications on" } else { "Notifications off" });
                                } />
                                <span>"Notify me when an account needs reconnecting, a client replies, or a task is due"</span>
                            </label>
                        }.into_any()
                    }
                })}
            </Transition>
        </section>
    }
}
