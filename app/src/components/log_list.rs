//! Activity-log lines (the Activity tab, a sync run's log): time, event, words.

use leptos::prelude::*;

use crate::domain::integrations::LogLine;

#[component]
pub fn LogList(
    lines: Vec<LogLine>,
    #[prop(optional)] testid: Option<&'static str>,
) -> impl IntoView {
    view! {
        <ol class="log" data-testid=testid>
            {lines.into_iter().map(|line| view! {
                <li class=format!("log-line log-{}", line.level)>
                    <time title=line.at.exact>{line.at.relative}</time>
                    <code>{line.event}</code>
                    <span>{line.message}</span>
                </li>
            }).collect_view()}
        </ol>
    }
}
