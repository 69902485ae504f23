//! `/dashboard`: per-app counts and a 14-day chart of payments and notification
//! success, drawn as server-rendered SVG (no JavaScript needed).

use leptos::prelude::*;

use crate::api::console::get_dashboard;
use crate::i18n::*;
use crate::protocol::yuan;
use crate::types::{AppStats, DayStats};

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 48.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 28.0;

/// The dashboard page.
#[component]
pub fn DashboardPage() -> impl IntoView {
    let locale = crate::lang::use_locale();
    let data = Resource::new_blocking(|| (), |_| get_dashboard());
    view! {
        <section>
            <h1>{td!(locale, tools.dashboard.title)}</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(err) => view! { <p class="error">{err.text(locale)}</p> }.into_any(),
                        Ok(data) if data.apps.is_empty() => {
                            view! {
                                <p class="empty">
                                    {td!(
                                        locale,
                                        tools.dashboard.empty,
                                        <create> = <a href="/apps/new" />,
                                        <pay> = <a href="/test-payments" />
                                    )}
                                </p>
                            }
                                .into_any()
                        }
                        Ok(data) => {
                            view! {
                                <div class="card">
                                    <h2>{td!(locale, tools.dashboard.last_14_days)}</h2>
                                    <Chart days=data.days />
                                    <p class="legend muted small">
                                        <span class="swatch bar"></span>
                                        {td!(locale, tools.dashboard.legend_bars)}
                                        <span class="swatch rate"></span>
                                        {td!(locale, tools.dashboard.legend_rate)}
                                    </p>
                                </div>
                                <AppTable apps=data.apps />
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}

/// Payments as bars and the notification success rate as a line, in SVG.
#[component]
fn Chart(days: Vec<DayStats>) -> impl IntoView {
    let locale = crate::lang::use_locale();
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = plot_w / days.len().max(1) as f64;
    let max = days.iter().map(|d| d.payments).max().unwrap_or(0).max(1);
    let x_mid = |i: usize| LEFT + slot * (i as f64 + 0.5);
    let bars = days
        .iter()
        .enumerate()
        .map(|(i, day)| {
            let h = plot_h * day.payments as f64 / max as f64;
            let rate = day
                .success_rate()
                .map(|rate| {
                    td_string!(
                        locale,
                        tools.dashboard.day_rate,
                        rate = format!("{rate:.0}"),
                        finished = day.delivered + day.failed
                    )
                })
                .unwrap_or_else(|| td_string!(locale, tools.dashboard.day_no_rate).into());
            let title = td_string!(
                locale,
                tools.dashboard.day_title,
                date = day.date.clone(),
                payments = day.payments,
                amount = yuan(day.paid_fen),
                rate = rate
            );
            let label = (i % 2 == 1 || i + 1 == days.len()).then(|| {
                view! {
                    <text x=format!("{:.1}", x_mid(i)) y=format!("{:.1}", HEIGHT - 8.0) text-anchor="middle">
                        {day.date[5..].to_owned()}
                    </text>
                }
            });
            view! {
                <g class="day">
                    <title>{title}</title>
                    <rect
                        class="bar"
                        x=format!("{:.1}", x_mid(i) - slot * 0.3)
                        y=format!("{:.1}", TOP + plot_h - h)
                        width=format!("{:.1}", slot * 0.6)
                        height=format!("{h:.1}")
                    />
                    {label}
                </g>
            }
        })
        .collect_view();
    let rate_y = |rate: f64| TOP + plot_h * (1.0 - rate / 100.0);
    let points: Vec<(f64, f64)> = days
        .iter()
        .enumerate()
        .filter_map(|(i, day)| day.success_rate().map(|rate| (x_mid(i), rate_y(rate))))
        .collect();
    let line = points
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect::<Vec<_>>()
        .join(" ");
    let dots = points
        .into_iter()
        .map(|(x, y)| view! { <circle class="rate" cx=format!("{x:.1}") cy=format!("{y:.1}") r="3" /> })
        .collect_view();
    let total: i64 = days.iter().map(|d| d.payments).sum();
    let label = td_string!(locale, tools.dashboard.chart_label, total = total);
    view! {
        <svg
            class="chart"
            viewBox=format!("0 0 {WIDTH} {HEIGHT}")
            role="img"
            aria-label=label
            xmlns="http://www.w3.org/2000/svg"
        >
            <line class="axis" x1=LEFT y1=TOP + plot_h x2=WIDTH - RIGHT y2=TOP + plot_h />
            <text x=LEFT - 6.0 y=TOP + 4.0 text-anchor="end">{max}</text>
            <text x=LEFT - 6.0 y=TOP + plot_h text-anchor="end">"0"</text>
            <text x=WIDTH - RIGHT + 6.0 y=TOP + 4.0>"100%"</text>
            <text x=WIDTH - RIGHT + 6.0 y=TOP + plot_h>"0%"</text>
            {bars}
            <polyline class="rate" points=line />
            {dots}
        </svg>
    }
}

/// Per-app counts.
#[component]
fn AppTable(apps: Vec<AppStats>) -> impl IntoView {
    let locale = crate::lang::use_locale();
    let status = move |status: String| match status.as_str() {
        "active" => td_string!(locale, tools.dashboard.status.active).to_owned(),
        "disabled" => td_string!(locale, tools.dashboard.status.disabled).to_owned(),
        _ => status,
    };
    view! {
        <table class="list" id="app-stats">
            <thead>
                <tr>
                    <th>{td!(locale, tools.dashboard.col.app)}</th>
                    <th>{td!(locale, tools.dashboard.col.status)}</th>
                    <th class="num">{td!(locale, tools.dashboard.col.orders)}</th>
                    <th class="num">{td!(locale, tools.dashboard.col.paid)}</th>
                    <th class="num">{td!(locale, tools.dashboard.col.paid_amount)}</th>
                    <th class="num">{td!(locale, tools.dashboard.col.delivered)}</th>
                    <th class="num">{td!(locale, tools.dashboard.col.failed)}</th>
                    <th class="num">{td!(locale, tools.dashboard.col.pending)}</th>
                </tr>
            </thead>
            <tbody>
                {apps
                    .into_iter()
                    .map(|app| {
                        view! {
                            <tr>
                                <td>
                                    <a href=format!("/apps/{}", app.appid)>{app.name}</a>
                                    " "
                                    <code class="muted small">{app.appid.clone()}</code>
                                </td>
                                <td>{status(app.status)}</td>
                                <td class="num">
                                    <a href=format!("/transactions?appid={}", app.appid)>{app.orders}</a>
                                </td>
                                <td class="num">{app.paid}</td>
                                <td class="num">{yuan(app.paid_fen)}</td>
                                <td class="num">{app.delivered}</td>
                                <td class="num">{app.failed}</td>
                                <td class="num">{app.pending}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}
