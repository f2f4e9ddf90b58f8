//! The queue's and the history's filters and search, as GET query parameters (bookmarkable):
//! `type`, `etat`, `sujet`, `miens=1`, `q`, and `page` for the history.

use guichet_store::{TicketFilter, TicketKind, TicketSearch, TicketState};
use serde::Deserialize;
use serde_json::{Value, json};

/// Longest search accepted (longer ones are cut).
const MAX_SEARCH_CHARS: usize = 100;

/// History tickets per page.
pub(crate) const HISTORY_PAGE: i64 = 25;

/// The query parameters, all optional and free text: anything unknown is ignored, never a 400.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct FilterQuery {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    etat: Option<String>,
    #[serde(default)]
    sujet: Option<String>,
    #[serde(default)]
    miens: Option<String>,
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    page: Option<String>,
}

/// Which list the filters apply to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Listing {
    /// Open tickets (nouveau, pris en charge).
    Queue,
    /// Closed tickets (terminé, injoignable), newest closed first.
    History,
}

impl Listing {
    fn states(self) -> [TicketState; 2] {
        match self {
            Listing::Queue => [TicketState::Nouveau, TicketState::PrisEnCharge],
            Listing::History => [TicketState::Termine, TicketState::Injoignable],
        }
    }
}

/// The filters understood from a query.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Filters {
    pub kind: Option<TicketKind>,
    pub state: Option<TicketState>,
    pub topic: Option<String>,
    pub mine: bool,
    pub search: String,
    /// 1-based page of the history.
    pub page: i64,
}

fn non_empty(text: &Option<String>) -> Option<String> {
    text.as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

impl Filters {
    /// Reads the query for `listing` (a state of the other listing is ignored).
    pub fn read(query: &FilterQuery, listing: Listing) -> Filters {
        let state = non_empty(&query.etat)
            .and_then(|s| s.parse::<TicketState>().ok())
            .filter(|s| listing.states().contains(s));
        Filters {
            kind: non_empty(&query.kind).and_then(|k| k.parse().ok()),
            state,
            topic: non_empty(&query.sujet).map(|t| t.chars().take(200).collect()),
            mine: query.miens.as_deref() == Some("1"),
            search: non_empty(&query.q)
                .map(|q| q.chars().take(MAX_SEARCH_CHARS).collect())
                .unwrap_or_default(),
            page: non_empty(&query.page)
                .and_then(|p| p.parse::<i64>().ok())
                .unwrap_or(1)
                .clamp(1, 100_000),
        }
    }

    /// What the search looks for: a ticket number (« 42 », « #42 »), a phone number in any
    /// spelling, and the words themselves.
    pub fn ticket_search(&self) -> Option<TicketSearch> {
        if self.search.is_empty() {
            return None;
        }
        let id = self
            .search
            .trim_start_matches(['#', 'n', '°', ' '])
            .parse::<i64>()
            .ok();
        Some(TicketSearch {
            id,
            number: guichet_phone::PhoneNumber::parse(&self.search).map(String::from),
            words: Some(self.search.clone()),
        })
    }

    /// The store filter for `listing` in `communes`, for `staff_id` (« les miens »).
    pub fn store_filter(
        &self,
        listing: Listing,
        communes: &[String],
        staff_id: i64,
    ) -> TicketFilter {
        let mut filter = TicketFilter {
            communes: communes.to_vec(),
            states: match self.state {
                Some(state) => vec![state],
                None => listing.states().to_vec(),
            },
            kinds: self.kind.into_iter().collect(),
            topic: self.topic.clone(),
            claimed_by: self.mine.then_some(staff_id),
            search: self.ticket_search(),
            ..TicketFilter::default()
        };
        if listing == Listing::History {
            filter.by_closing = true;
            // One more than a page: whether there is a next page.
            filter.limit = Some(HISTORY_PAGE + 1);
            filter.offset = Some((self.page - 1) * HISTORY_PAGE);
        } else {
            filter.limit = Some(500);
        }
        filter
    }

    /// The query string of these filters (without the page), for links and the live stream.
    pub fn query_string(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        if let Some(kind) = self.kind {
            query.append_pair("type", kind.as_str());
        }
        if let Some(state) = self.state {
            query.append_pair("etat", state.as_str());
        }
        if let Some(topic) = &self.topic {
            query.append_pair("sujet", topic);
        }
        if self.mine {
            query.append_pair("miens", "1");
        }
        if !self.search.is_empty() {
            query.append_pair("q", &self.search);
        }
        query.finish()
    }

    /// The filters as the templates see them.
    pub fn view(&self) -> Value {
        json!({
            "kind": self.kind.map(|k| k.as_str()),
            "state": self.state.map(|s| s.as_str()),
            "topic": self.topic,
            "mine": self.mine,
            "q": self.search,
            "query": self.query_string(),
            "active": self.kind.is_some() || self.state.is_some() || self.topic.is_some() || self.mine || !self.search.is_empty(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> FilterQuery {
        let text = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        serde_urlencoded::from_str(&text).unwrap_or_default()
    }

    #[test]
    fn filters_read_from_the_query_and_back() {
        let f = Filters::read(
            &query(&[
                ("type", "callback"),
                ("etat", "nouveau"),
                ("miens", "1"),
                ("q", " 06 12 34 56 78 "),
                ("page", "3"),
            ]),
            Listing::Queue,
        );
        assert_eq!(f.kind, Some(TicketKind::Callback));
        assert_eq!(f.state, Some(TicketState::Nouveau));
        assert!(f.mine);
        assert_eq!(f.page, 3);
        let search = f.ticket_search().expect("search");
        assert_eq!(search.number.as_deref(), Some("+33612345678"));
        assert_eq!(
            f.query_string(),
            "type=callback&etat=nouveau&miens=1&q=06+12+34+56+78"
        );
        let filter = f.store_filter(Listing::Queue, &["demo".into()], 7);
        assert_eq!(filter.claimed_by, Some(7));
        assert_eq!(filter.states, [TicketState::Nouveau]);
    }

    #[test]
    fn bad_values_are_ignored() {
        let f = Filters::read(
            &query(&[
                ("type", "pizza"),
                ("etat", "termine"),
                ("page", "-4"),
                ("q", &"x".repeat(500)),
            ]),
            Listing::Queue,
        );
        assert_eq!(f.kind, None);
        assert_eq!(f.state, None, "a closed state is not a queue filter");
        assert_eq!(f.page, 1);
        assert_eq!(f.search.chars().count(), MAX_SEARCH_CHARS);
        let history = Filters::read(
            &query(&[("etat", "termine"), ("q", "#42")]),
            Listing::History,
        );
        assert_eq!(history.state, Some(TicketState::Termine));
        assert_eq!(history.ticket_search().and_then(|s| s.id), Some(42));
        let filter = history.store_filter(Listing::History, &["demo".into()], 7);
        assert!(filter.by_closing);
        assert_eq!(filter.limit, Some(HISTORY_PAGE + 1));
    }
}
