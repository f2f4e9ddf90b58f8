//! File d'attente: the live queue, the history of closed tickets, the ticket page
//! ([`actions`]: what a standardiste does with a ticket).

pub(crate) mod actions;
mod filters;
mod view;

use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use guichet_store::{Role, SessionStore, StaffStore, TicketFilter, TicketState, TicketStore};
use serde_json::{Value, json};

use super::{audit, page as render};
use crate::auth::CurrentUser;
use crate::error::{ConsoleError, Result};
use crate::state::ConsoleState;
use filters::{FilterQuery, Filters, HISTORY_PAGE, Listing};
use view::{queue_order, ticket_view};

/// E-mails of staff ids, for "pris en charge par …".
async fn staff_names(state: &ConsoleState, ids: Vec<i64>) -> Result<BTreeMap<i64, String>> {
    let mut names = BTreeMap::new();
    for id in ids {
        if let std::collections::btree_map::Entry::Vacant(entry) = names.entry(id)
            && let Some(staff) = state.inner.store.get_staff(id).await?
        {
            entry.insert(staff.email);
        }
    }
    Ok(names)
}

/// The rows of the queue of `user`'s communes under `filters`, rendered (shared by the page
/// and the live stream), and how many.
async fn queue_rows(
    state: &ConsoleState,
    user: &CurrentUser,
    filters: &Filters,
) -> Result<(String, usize)> {
    let now = state.now();
    let filter = filters.store_filter(Listing::Queue, user.communes(), user.staff.id);
    let mut tickets = state.inner.store.list_tickets(&filter).await?;
    queue_order(&mut tickets, now);
    let ids: Vec<i64> = tickets.iter().filter_map(|t| t.claimed_by).collect();
    let names = staff_names(state, ids).await?;
    let rows: Vec<Value> = tickets
        .iter()
        .map(|t| ticket_view(state, t, &names, now))
        .collect();
    let html = state.inner.templates.render(
        "queue_rows.html",
        json!({ "base": state.inner.config.base_path, "tickets": rows, "filtered": filters.view()["active"] }),
    )?;
    Ok((html, tickets.len()))
}

/// Topics of the open (or closed) tickets of the viewer's communes, for the topic filter.
async fn topics(state: &ConsoleState, user: &CurrentUser, listing: Listing) -> Result<Vec<String>> {
    let states = match listing {
        Listing::Queue => vec![TicketState::Nouveau, TicketState::PrisEnCharge],
        Listing::History => vec![TicketState::Termine, TicketState::Injoignable],
    };
    let tickets = state
        .inner
        .store
        .list_tickets(&TicketFilter {
            communes: user.communes().to_vec(),
            states,
            limit: Some(1000),
            ..TicketFilter::default()
        })
        .await?;
    let topics: BTreeSet<String> = tickets.into_iter().map(|t| t.topic).collect();
    Ok(topics.into_iter().collect())
}

pub(crate) async fn page(
    State(state): State<ConsoleState>,
    user: CurrentUser,
    Query(query): Query<FilterQuery>,
) -> Result<Response> {
    user.require(&[Role::Standardiste])?;
    let filters = Filters::read(&query, Listing::Queue);
    let (rows, count) = queue_rows(&state, &user, &filters).await?;
    render(
        &state,
        Some(&user),
        "queue.html",
        json!({
            "rows": rows,
            "count": count,
            "filters": filters.view(),
            "topics": topics(&state, &user, Listing::Queue).await?,
        }),
    )
}

/// `GET /historique`: closed tickets, newest closed first, with their handling time, filtered
/// and searched like the queue, a page at a time.
pub(crate) async fn history(
    State(state): State<ConsoleState>,
    user: CurrentUser,
    Query(query): Query<FilterQuery>,
) -> Result<Response> {
    user.require(&[Role::Standardiste])?;
    let filters = Filters::read(&query, Listing::History);
    let now = state.now();
    let filter = filters.store_filter(Listing::History, user.communes(), user.staff.id);
    let mut tickets = state.inner.store.list_tickets(&filter).await?;
    let more = tickets.len() as i64 > HISTORY_PAGE;
    tickets.truncate(HISTORY_PAGE as usize);
    let ids: Vec<i64> = tickets
        .iter()
        .flat_map(|t| [t.claimed_by, t.closed_by])
        .flatten()
        .collect();
    let names = staff_names(&state, ids).await?;
    let rows: Vec<Value> = tickets
        .iter()
        .map(|t| ticket_view(&state, t, &names, now))
        .collect();
    let query = filters.query_string();
    let link = |page: i64| {
        if query.is_empty() {
            format!("?page={page}")
        } else {
            format!("?{query}&page={page}")
        }
    };
    render(
        &state,
        Some(&user),
        "queue_history.html",
        json!({
            "tickets": rows,
            "filters": filters.view(),
            "topics": topics(&state, &user, Listing::History).await?,
            "page": filters.page,
            "previous": (filters.page > 1).then(|| link(filters.page - 1)),
            "next": more.then(|| link(filters.page + 1)),
        }),
    )
}

/// `GET /file/flux`: Server-Sent Events, one `file` event with the queue's rows (under the
/// page's filters, given again in the query) whenever they change (checked when a ticket change
/// is signalled, by this node or through the database's feed by another, and every
/// `queue_poll`). Ends when the login session ends.
pub(crate) async fn stream(
    State(state): State<ConsoleState>,
    user: CurrentUser,
    Query(query): Query<FilterQuery>,
) -> Result<Response> {
    user.require(&[Role::Standardiste])?;
    let filters = Filters::read(&query, Listing::Queue);
    let changes = state.ticket_changes(user.communes());
    let poll = state.inner.config.queue_poll;
    let initial = (state, user, changes, String::new(), true);
    let events =
        futures_util::stream::unfold(initial, move |(state, user, mut changes, last, first)| {
            let filters = filters.clone();
            async move {
                let mut first = first;
                loop {
                    if !first {
                        tokio::select! {
                            _ = changes.changed() => {}
                            _ = tokio::time::sleep(poll) => {}
                        }
                    }
                    first = false;
                    match state
                        .inner
                        .store
                        .get_staff_session(&user.session.token_hash, state.now())
                        .await
                    {
                        Ok(Some(_)) => {}
                        Ok(None) => return None,
                        Err(error) => {
                            tracing::warn!(%error, "live queue: session check failed");
                            continue;
                        }
                    }
                    match queue_rows(&state, &user, &filters).await {
                        Ok((html, _)) if html != last => {
                            let event = Event::default().event("file").data(html.clone());
                            return Some((
                                Ok::<Event, Infallible>(event),
                                (state, user, changes, html, false),
                            ));
                        }
                        Ok(_) => {}
                        Err(error) => tracing::warn!(%error, "live queue: refresh failed"),
                    }
                }
            }
        });
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}

/// One line of a transcript, for the ticket page.
fn transcript_lines(turns: &[guichet_store::Turn], fallback: &Value) -> Vec<Value> {
    if !turns.is_empty() {
        return turns
            .iter()
            .map(|t| json!({ "caller": t.caller_text, "robot": t.reply_text, "action": t.action }))
            .collect();
    }
    match fallback {
        Value::Array(items) => items
            .iter()
            .map(|item| {
                let text = |keys: &[&str]| {
                    keys.iter()
                        .find_map(|k| item.get(*k).and_then(Value::as_str))
                        .unwrap_or_default()
                        .to_string()
                };
                json!({
                    "caller": text(&["caller", "caller_text", "citizen"]),
                    "robot": text(&["robot", "reply", "reply_text", "say"]),
                    "action": text(&["action"]),
                })
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Staff a held ticket may be given to: active standardistes and administrators of its
/// commune, other than its holder.
async fn colleagues(
    state: &ConsoleState,
    commune: &str,
    holder: Option<i64>,
) -> Result<Vec<Value>> {
    Ok(state
        .inner
        .store
        .list_staff()
        .await?
        .into_iter()
        .filter(|s| {
            !s.disabled
                && Some(s.id) != holder
                && matches!(s.role, Role::Standardiste | Role::Admin)
                && (s.role == Role::Admin || s.communes.iter().any(|c| c == commune))
        })
        .map(|s| json!({ "id": s.id, "email": s.email }))
        .collect())
}

pub(crate) async fn ticket(
    State(state): State<ConsoleState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response> {
    user.require(&[Role::Standardiste])?;
    let store = &state.inner.store;
    let ticket = store
        .get_ticket(id, user.communes())
        .await?
        .ok_or(ConsoleError::NotFound)?;
    let turns = match &ticket.conversation_id {
        Some(conversation) if ticket.anonymised_at.is_none() => {
            store
                .conversation_turns(&ticket.tenant, conversation)
                .await?
        }
        _ => Vec::new(),
    };
    let notes = store.ticket_notes(id, user.communes()).await?;
    let ids: Vec<i64> = [ticket.claimed_by, ticket.closed_by]
        .into_iter()
        .flatten()
        .chain(notes.iter().filter_map(|n| n.author))
        .collect();
    let names = staff_names(&state, ids).await?;
    let now = state.now();
    let notes: Vec<Value> = notes
        .iter()
        .map(|n| {
            json!({
                "at": state.local_time(&ticket.tenant, n.at),
                "author": n.author.and_then(|a| names.get(&a).cloned()).unwrap_or_else(|| "—".into()),
                "body": n.body,
            })
        })
        .collect();
    let actions = actions::available(&state, &user, &ticket);
    let colleagues = if actions.hand_over {
        colleagues(&state, &ticket.tenant, ticket.claimed_by).await?
    } else {
        Vec::new()
    };
    audit(
        &state,
        &user.staff.email,
        Some(&ticket.tenant),
        "ticket.view",
        format!("ticket={id}"),
    )
    .await?;
    render(
        &state,
        Some(&user),
        "ticket.html",
        json!({
            "ticket": ticket_view(&state, &ticket, &names, now),
            "transcript": transcript_lines(&turns, &ticket.transcript),
            "notes": notes,
            "actions": actions,
            "colleagues": colleagues,
            "max_attempts": state.inner.config.callback_max_attempts,
        }),
    )
}
