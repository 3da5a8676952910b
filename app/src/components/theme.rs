//! Light / dark / follow-the-system colour theme, remembered in the browser.
//!
//! `public/theme.js` applies the stored choice before the first paint; this
//! toggle changes and stores it.

use leptos::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    System,
    Light,
    Dark,
}

impl Theme {
    fn next(self) -> Self {
        match self {
            Theme::System => Theme::Dark,
            Theme::Dark => Theme::Light,
            Theme::Light => Theme::System,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Theme::System => "System",
            Theme::Light => "Light",
            Theme::Dark => "Dark",
        }
    }

    fn icon(self) -> &'static str {
        match self {
            Theme::System => "◐",
            Theme::Light => "☀",
            Theme::Dark => "☾",
        }
    }

    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn stored_value(self) -> Option<&'static str> {
        match self {
            Theme::System => None,
            Theme::Light => Some("light"),
            Theme::Dark => Some("dark"),
        }
    }
}

#[component]
pub fn ThemeToggle() -> impl IntoView {
    let theme = RwSignal::new(Theme::System);
    // Runs in the browser only, after hydration.
    Effect::new(move |_| theme.set(browser::stored()));
    view! {
        <button
            type="button"
            class="btn btn-ghost theme-toggle"
            data-testid="theme-toggle"
            title="Colour theme"
            aria-label=move || format!("Colour theme: {}. Change theme", theme.get().label())
            on:click=move |_| {
                let next = theme.get_untracked().next();
                theme.set(next);
                browser::apply(next);
            }
        >
            <span aria-hidden="true">{move || theme.get().icon()}</span>
            <span class="theme-label">{move || theme.get().label()}</span>
        </button>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::Theme;

    const KEY: &str = "hub-theme";

    pub fn stored() -> Theme {
        let value = web_sys::window()
            .and_then(|w| w.local_storage().ok().flatten())
            .and_then(|s| s.get_item(KEY).ok().flatten());
        match value.as_deref() {
            Some("light") => Theme::Light,
            Some("dark") => Theme::Dark,
            _ => Theme::System,
        }
    }

    pub fn apply(theme: Theme) {
        let Some(window) = web_sys::window() else {
            return;
        };
        if let Ok(Some(storage)) = window.local_storage() {
            let _ = match theme.stored_value() {
                Some(value) => storage.set_item(KEY, value),
                None => storage.remove_item(KEY),
            };
        }
        if let Some(root) = window.document().and_then(|d| d.document_element()) {
            let _ = match theme.stored_value() {
                Some(value) => root.set_attribute("data-theme", value),
                None => root.remove_attribute("data-theme"),
            };
        }
    }
}

#[cfg(not(feature = "hydrate"))]
mod browser {
    use super::Theme;

    pub fn stored() -> Theme {
        Theme::System
    }

    pub fn apply(_theme: Theme) {}
}
